//! Lambda benchmark driver for benches/lambda.sh (run it in release).
//!
//! `lambda_bench invoke`: emulator in-process, a python echo function, then cold-start and warm
//! invoke latencies measured over HTTP (keep-alive, as an SDK does). Prints p50/p90/p99.
//! `lambda_bench serve PORT`: emulator on 127.0.0.1:PORT with the echo function created, until
//! killed (for wrk against GetFunction).
//! `lambda_bench cpu [N]`: N in-process GetFunction requests through `Emulator::handle_http`
//! (routing, restJson1 parsing, handler, serialization; no HTTP server, no sockets) on one
//! thread; prints the CPU time per request, immune to machine load.

use std::io::Write;
use std::time::{Duration, Instant};

use base64::Engine;
use paritytest_emulator::protocol::HttpRequest;
use paritytest_emulator::{Config, Emulator, Service};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0";
const FUNCTION: &str = "bench-fn";

/// A minimal keep-alive HTTP/1.1 client: enough for JSON requests with Content-Length answers.
struct Conn {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).unwrap();
        Conn {
            stream: BufReader::new(s),
            host: addr.to_string(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {AUTH}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let s = self.stream.get_mut();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut status_line = String::new();
        self.stream.read_line(&mut status_line).await.unwrap();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).await.unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).await.unwrap();
        (status, body)
    }
}

fn echo_zip() -> String {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("index.py", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"def handler(event, context):\n    return event\n")
            .unwrap();
        w.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}

async fn setup(conn: &mut Conn) {
    let body = serde_json::json!({
        "FunctionName": FUNCTION, "Runtime": "python3.12", "Handler": "index.handler",
        "Role": "arn:aws:iam::000000000000:role/bench", "Code": {"ZipFile": echo_zip()},
    });
    let (status, out) = conn
        .send("POST", "/2015-03-31/functions", body.to_string().as_bytes())
        .await;
    assert_eq!(status, 201, "create: {}", String::from_utf8_lossy(&out));
    wait_settled(conn).await;
}

async fn wait_settled(conn: &mut Conn) {
    loop {
        let (_, out) = conn
            .send(
                "GET",
                &format!("/2015-03-31/functions/{FUNCTION}/configuration"),
                b"",
            )
            .await;
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        if v["State"] == "Active" && v["LastUpdateStatus"] == "Successful" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(label: &str, mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    let p50 = percentile(&samples, 0.5);
    println!(
        "{label}: n={} p50={p50:.2} ms p90={:.2} ms p99={:.2} ms",
        samples.len(),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99)
    );
    p50
}

async fn invoke_bench() {
    let emu = Emulator::start(Config::default()).await.expect("emulator");
    let addr = emu.addr().to_string();
    let mut conn = Conn::open(&addr).await;
    setup(&mut conn).await;
    let invoke_path = format!("/2015-03-31/functions/{FUNCTION}/invocations");

    // Cold starts: a configuration change retires the environment, the next call starts one.
    let mut cold = Vec::new();
    for i in 0..15 {
        let body = serde_json::json!({"Description": format!("cold {i}")});
        conn.send(
            "PUT",
            &format!("/2015-03-31/functions/{FUNCTION}/configuration"),
            body.to_string().as_bytes(),
        )
        .await;
        wait_settled(&mut conn).await;
        let t = Instant::now();
        let (status, out) = conn.send("POST", &invoke_path, br#"{"cold": true}"#).await;
        cold.push(t.elapsed());
        assert_eq!(
            (status, out.as_slice()),
            (200, br#"{"cold": true}"#.as_slice())
        );
    }
    // Warm invokes on the last environment.
    let payload = br#"{"hello": "world"}"#;
    for _ in 0..50 {
        conn.send("POST", &invoke_path, payload).await;
    }
    let mut warm = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let (status, _) = conn.send("POST", &invoke_path, payload).await;
        warm.push(t.elapsed());
        assert_eq!(status, 200);
    }
    let cold_p50 = report("cold start invoke (python3.12 echo)", cold);
    let warm_p50 = report("warm invoke (python3.12 echo)", warm);
    println!(
        "targets: warm p50 < 5 ms: {}; cold start < 300 ms: {}",
        if warm_p50 < 5.0 { "PASS" } else { "FAIL" },
        if cold_p50 < 300.0 { "PASS" } else { "FAIL" }
    );
    emu.shutdown().await;
}

async fn serve(port: u16) {
    let config = Config {
        port,
        ..Config::default()
    };
    let emu = Emulator::start(config).await.expect("emulator");
    let mut conn = Conn::open(&emu.addr().to_string()).await;
    setup(&mut conn).await;
    println!("ready {}", emu.url());
    let _ = tokio::signal::ctrl_c().await;
    emu.shutdown().await;
}

/// GetFunction without HTTP: how much of a request the handler itself costs.
async fn handler_cost() {
    let emu = Emulator::start(Config::default()).await.expect("emulator");
    let mut conn = Conn::open(&emu.addr().to_string()).await;
    setup(&mut conn).await;
    let ctx = paritytest_emulator::RequestContext {
        service: "lambda",
        operation: "GetFunction".into(),
        region: "us-east-1".into(),
        request_id: "bench".into(),
        caller: paritytest_emulator::Caller {
            access_key_id: "test".into(),
            account_id: "000000000000".into(),
            arn: "arn:aws:iam::000000000000:root".into(),
            user_id: "000000000000".into(),
        },
    };
    let n = 100_000;
    let t = Instant::now();
    for _ in 0..n {
        emu.call(
            &ctx,
            "lambda",
            "GetFunction",
            serde_json::json!({"FunctionName": FUNCTION}),
        )
        .await
        .unwrap();
    }
    println!(
        "GetFunction through Emulator::call: {:.1} us/call",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    // The Lambda handler alone, without the router and model lookups.
    let lambda = paritytest_emulator::services::lambda::Lambda::new(emu.shared().clone());
    let mut create_ctx = ctx.clone();
    create_ctx.operation = "CreateFunction".into();
    lambda
        .handle(
            &create_ctx,
            serde_json::json!({"FunctionName": FUNCTION, "Runtime": "python3.12", "Handler": "index.handler",
                "Role": "arn:aws:iam::000000000000:role/bench", "Code": {"ZipFile": echo_zip()}}),
        )
        .await
        .unwrap();
    let t = Instant::now();
    for _ in 0..n {
        lambda
            .handle(&ctx, serde_json::json!({"FunctionName": FUNCTION}))
            .await
            .unwrap();
    }
    println!(
        "GetFunction Lambda handler alone: {:.1} us/call",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for _ in 0..20_000 {
        conn.send("GET", &format!("/2015-03-31/functions/{FUNCTION}"), b"")
            .await;
    }
    println!(
        "GetFunction over HTTP (1 connection): {:.1} us/request",
        t.elapsed().as_secs_f64() * 1e6 / 20_000.0
    );
    emu.shutdown().await;
}

/// CPU time this thread has run, in ns (from the scheduler's accounting).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// In-process GetFunction: the Lambda-specific share of a request's server CPU.
fn cpu_per_request(n: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = Emulator::new(Config::default());
    let mut headers = hyper::HeaderMap::new();
    headers.insert("authorization", AUTH.parse().unwrap());
    headers.insert("content-type", "application/json".parse().unwrap());
    let create = serde_json::json!({
        "FunctionName": FUNCTION, "Runtime": "python3.12", "Handler": "index.handler",
        "Role": "arn:aws:iam::000000000000:role/bench", "Code": {"ZipFile": echo_zip()},
    })
    .to_string();
    let path = format!("/2015-03-31/functions/{FUNCTION}");
    let request = |method, path, body| HttpRequest {
        method,
        path,
        query: "",
        headers: &headers,
        body,
    };
    runtime.block_on(async {
        let created = emulator
            .handle_http(&request("POST", "/2015-03-31/functions", create.as_bytes()))
            .await;
        assert_eq!(
            created.status,
            201,
            "{}",
            String::from_utf8_lossy(&created.body)
        );
        // Past the Pending window, so every measured answer is the settled (Active) one.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let get = request("GET", &path, b"");
        let first = emulator.handle_http(&get).await;
        assert_eq!(
            first.status,
            200,
            "{}",
            String::from_utf8_lossy(&first.body)
        );
        let start = thread_cpu_ns();
        for _ in 0..n {
            std::hint::black_box(emulator.handle_http(&get).await);
        }
        match (start, thread_cpu_ns()) {
            (Some(a), Some(b)) => println!(
                "{:.2} us CPU per in-process GetFunction (HTTP {}, {} body bytes, {n} requests)",
                (b - a) as f64 / n as f64 / 1000.0,
                first.status,
                first.body.len()
            ),
            _ => println!("no /proc/thread-self/schedstat: cannot measure CPU time"),
        }
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads = std::env::var("BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    match args.get(1).map(String::as_str) {
        Some("invoke") => rt.block_on(invoke_bench()),
        Some("handler") => rt.block_on(handler_cost()),
        Some("cpu") => cpu_per_request(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000)),
        Some("serve") => {
            let port = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
            rt.block_on(serve(port))
        }
        _ => {
            eprintln!("usage: lambda_bench invoke | serve PORT | cpu [N] | handler");
            std::process::exit(2);
        }
    }
}
