//! The emulator core through its real HTTP API (and the in-process API).
//! One test binary: modules per concern.

mod client;
mod concurrency;
mod conformance;
mod fake;
mod http;
mod models;
mod python_clients;
mod requests;
mod routing;
mod shared_outputs;
