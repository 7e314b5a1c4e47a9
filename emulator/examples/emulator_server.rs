//! A standalone emulator for benchmarks (benches/emulator.sh): one tokio thread, so pinning the
//! process to one core measures one core. `paritytest emulator` is the user-facing server.
//!
//! Usage: emulator_server [--host H] [--port P]   (prints the URL once it accepts connections)
//!        emulator_server --cpu-per-request N     (N in-process IAM GetUser requests through
//!                                                  routing, protocol and handler; prints the
//!                                                  CPU time per request, immune to machine load)
//!
//! PT_RUNTIME=multi serves on tokio's multi-thread runtime, the one `paritytest emulator` runs on
//! (src/cli.rs), to compare it with the single thread.

use paritytest_emulator::protocol::HttpRequest;
use paritytest_emulator::{Config, Emulator};

/// CPU time this thread has run, in ns (from the scheduler's accounting).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn cpu_per_request(n: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let emulator = Emulator::new(Config::default());
    let mut headers = hyper::HeaderMap::new();
    headers.insert("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00".parse().unwrap());
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8"
            .parse()
            .unwrap(),
    );
    let body = b"Action=GetUser&Version=2010-05-08&UserName=bench-user";
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    runtime.block_on(async {
        // The user must exist, or this measures the NoSuchEntity error path.
        let create = HttpRequest {
            body: b"Action=CreateUser&Version=2010-05-08&UserName=bench-user",
            ..req
        };
        emulator.handle_http(&create).await;
        let status = emulator.handle_http(&req).await.status;
        let start = thread_cpu_ns();
        for _ in 0..n {
            std::hint::black_box(emulator.handle_http(&req).await);
        }
        match (start, thread_cpu_ns()) {
            (Some(a), Some(b)) => println!(
                "{:.2} us CPU per in-process GetUser (HTTP {status}, {n} requests)",
                (b - a) as f64 / n as f64 / 1000.0
            ),
            _ => println!("no /proc/thread-self/schedstat: cannot measure CPU time"),
        }
    });
}

fn main() {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--model-parse-ms", Some(service)) => {
                let Some(m) = paritytest_emulator::model::pinned(&service) else {
                    return eprintln!("no pinned model {service}");
                };
                let t = std::time::Instant::now();
                let ops = m.get().operations.len();
                return println!(
                    "{service}: {ops} operations parsed in {:.2} ms",
                    t.elapsed().as_secs_f64() * 1e3
                );
            }
            ("--cpu-per-request", Some(n)) => {
                return cpu_per_request(n.parse().unwrap_or(100_000));
            }
            ("--host", Some(h)) => config.host = h,
            ("--port", Some(p)) => match p.parse() {
                Ok(port) => config.port = port,
                Err(_) => return eprintln!("--port needs a number, got {p:?}"),
            },
            _ => return eprintln!("usage: emulator_server [--host H] [--port P]"),
        }
    }
    // PT_RUNTIME=multi: the multi-thread runtime `paritytest` itself runs on (src/cli.rs).
    let runtime = if std::env::var("PT_RUNTIME").as_deref() == Ok("multi") {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => return eprintln!("cannot build the tokio runtime: {e}"),
    };
    runtime.block_on(async {
        let running = match Emulator::start(config).await {
            Ok(r) => r,
            Err(e) => return eprintln!("{e}"),
        };
        println!("{}", running.url());
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown().await;
    });
}
