//! `paritytest operations` and `paritytest emulator`: what can be called, and the standalone
//! emulator server.

use std::collections::HashSet;

use crate::exit::Exit;

/// Every dispatchable operation, marking those the emulator implements, then those left out
/// with the reason.
pub fn render() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let ops = crate::dispatch::operations();
    let implemented: HashSet<(String, String)> =
        paritytest_emulator::Emulator::implemented_operations()
            .into_iter()
            .filter(|o| o.implemented)
            .map(|o| (o.service.to_string(), o.operation))
            .collect();
    let n_impl = ops
        .iter()
        .filter(|o| implemented.contains(&(o.service.to_string(), o.name.to_string())))
        .count();
    let _ = writeln!(
        out,
        "{} dispatchable operations ({n_impl} implemented by the emulator, marked *):",
        ops.len()
    );
    for o in ops {
        let mark = if implemented.contains(&(o.service.to_string(), o.name.to_string())) {
            "*"
        } else {
            " "
        };
        let _ = writeln!(out, "{mark} {}.{}", o.service, o.name);
    }
    let left = crate::dispatch::left_out();
    if !left.is_empty() {
        let _ = writeln!(out, "\n{} left out:", left.len());
        for (s, o, why) in left {
            let _ = writeln!(out, "  {s}.{o}: {why}");
        }
    }
    out
}

/// Runs the emulator until Ctrl-C.
pub async fn serve_emulator(host: &str, port: u16) -> Exit {
    if !paritytest_emulator::is_loopback(host) {
        eprintln!(
            "warning: binding {host}, which is not a loopback address: anyone who can reach this \
             machine can call the emulator, which accepts any credentials"
        );
    }
    let config = paritytest_emulator::Config {
        host: host.to_string(),
        port,
        ..Default::default()
    };
    let running = match paritytest_emulator::Emulator::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: the emulator did not start: {e}");
            return Exit::Infrastructure;
        }
    };
    println!("paritytest emulator listening on {}", running.url());
    println!(
        "  use it with: paritytest run --target endpoint={}",
        running.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("shutting down");
    running.shutdown().await;
    Exit::Passed
}
