//! paritytest: declarative AWS parity tests.

fn main() {
    let _ = paritytest::dispatch::operations();
    eprintln!("paritytest: CLI not implemented yet");
    std::process::exit(2);
}
