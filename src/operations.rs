//! `paritytest operations` and `paritytest emulator`: what can be called, and the standalone
//! emulator server.

use crate::exit::Exit;

/// Prints every dispatchable operation (marking those the emulator implements), then those left
/// out with the reason.
pub fn print() {
    let ops = crate::dispatch::operations();
    println!("{} dispatchable operations:", ops.len());
    for o in ops {
        println!("  {}.{}", o.service, o.name);
    }
    let left = crate::dispatch::left_out();
    if !left.is_empty() {
        println!("\n{} left out:", left.len());
        for (s, o, why) in left {
            println!("  {s}.{o}: {why}");
        }
    }
}

/// Runs the emulator until Ctrl-C.
pub async fn serve_emulator(host: &str, _port: u16) -> Exit {
    eprintln!("error: the emulator is not linked into this build yet (host {host})");
    Exit::Infrastructure
}
