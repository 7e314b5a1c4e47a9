//! Parity metrics and the coverage report (`paritytest coverage`): what a run exercised of each
//! service model, what the emulator implements, and what passed against AWS recordings.

pub mod metrics;
pub mod parity;
pub mod table;

pub use metrics::{Metrics, MetricsError, OperationMetrics};
