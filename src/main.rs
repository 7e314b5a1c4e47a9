//! paritytest: declarative AWS parity tests.

fn main() {
    std::process::exit(paritytest::cli::main());
}
