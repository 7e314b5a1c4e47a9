fn main() {
    eprintln!("transform bench: engine not implemented yet");
}
