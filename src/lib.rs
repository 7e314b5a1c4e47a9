//! paritytest as a library: the runner's modules, used by the `paritytest` binary and the tests.

pub mod cli;
pub mod diagnostic;
pub mod dispatch;
pub mod events;
pub mod exit;
mod fsutil;
pub mod interpreter;
pub mod operations;
pub mod report;
pub mod runner;
pub mod coverage;
pub mod scenario;
pub mod schema;
pub mod snapshots;
pub mod target;
pub mod template;
pub mod waiters;
