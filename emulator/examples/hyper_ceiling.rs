//! The ceiling of the HTTP stack on this machine (benches/emulator.sh compares against it): a
//! trivial hyper 1 server on one tokio thread that answers every request with the fixed bytes of
//! an IAM GetUser response, without routing, parsing or handler. Whatever CPU per request this
//! costs, the emulator cannot go below it with the same HTTP stack.
//!
//! Usage: hyper_ceiling [--port P]

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;

const BODY: &str = r#"<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User><Path>/</Path><UserName>bench-user</UserName><UserId>AIDAEXAMPLEEXAMPLE12</UserId><Arn>arn:aws:iam::000000000000:user/bench-user</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></User></GetUserResult><ResponseMetadata><RequestId>2d3b6a54-7f43-4f0e-9a56-6f3f0f6c1c2e</RequestId></ResponseMetadata></GetUserResponse>"#;

fn main() {
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(p)) => port = p.parse().expect("--port needs a number"),
            _ => return eprintln!("usage: hyper_ceiling [--port P]"),
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!("http://{}", listener.local_addr().expect("addr"));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    // Read the body as the emulator does, so the comparison is like for like.
                    let _ = req.into_body().collect().await;
                    let mut r = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("text/xml"),
                    );
                    r.headers_mut().insert(
                        "x-amzn-requestid",
                        hyper::header::HeaderValue::from_static(
                            "2d3b6a54-7f43-4f0e-9a56-6f3f0f6c1c2e",
                        ),
                    );
                    Ok::<_, Infallible>(r)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}
