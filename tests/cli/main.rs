//! The one integration test binary (every tests/*.rs would link the whole SDK again).
mod emulator_core;
mod emulator_lambda;
