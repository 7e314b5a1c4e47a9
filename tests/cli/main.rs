//! The one integration test binary (every tests/*.rs would link the whole SDK again).

mod coverage;
mod dispatch;
mod dispatch_server;
mod emulator_core;
mod emulator_iam;
mod emulator_lambda;
mod runner;
mod scenarios;
mod steps;
