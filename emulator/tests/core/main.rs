//! The emulator core through its real HTTP API (and the in-process API).
//! One test binary: modules per concern.

mod client;
mod conformance;
mod fake;
mod routing;
