//! Exit codes: distinct per outcome, documented in README.md.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Exit {
    /// Every selected scenario passed.
    Passed = 0,
    /// At least one scenario failed (or unreferenced snapshots with --fail-unreferenced/--check).
    Failures = 1,
    /// At least one scenario file is invalid; nothing ran.
    InvalidScenarios = 2,
    /// The target could not be used: unreachable, credentials, region, emulator start.
    Infrastructure = 3,
    /// Bad command line (BSD EX_USAGE).
    Usage = 64,
    /// Interrupted by Ctrl-C (after cleanups ran).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}
