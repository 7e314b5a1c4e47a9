//! The one integration test binary (every tests/*.rs would link the whole SDK again).

mod emulator_iam;
mod emulator_lambda;
mod dispatch;
mod dispatch_server;
mod runner;
mod scenarios;
