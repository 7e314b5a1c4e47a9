//! paritytest as a library: the runner's modules, used by the `paritytest` binary and the tests.

pub mod coverage;
pub mod diagnostic;
pub mod dispatch;
pub mod interpreter;
pub mod scenario;
pub mod schema;
pub mod snapshots;
pub mod target;
pub mod template;
pub mod waiters;
