//! paritytest as a library: the runner's modules, used by the `paritytest` binary and the tests.

pub mod dispatch;
