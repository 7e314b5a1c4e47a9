//! paritytest as a library: the runner's modules, used by the `paritytest` binary and the tests.

pub mod diagnostic;
pub mod dispatch;
pub mod scenario;
pub mod schema;
pub mod template;
pub mod waiters;
pub mod interpreter;
pub mod snapshots;
pub mod target;
