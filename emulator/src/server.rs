//! The HTTP/1.1 server (hyper 1): one task per connection, keep-alive, graceful shutdown.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::protocol::{HttpRequest, HttpResponse, REQUEST_ID_HEADER};
use crate::Emulator;

/// Largest request body accepted (Lambda zips inline in CreateFunction are up to ~70 MB as
/// base64 JSON).
const MAX_BODY: usize = 128 * 1024 * 1024;

/// Accept connections until `shutdown` flips, then let open connections finish their request.
pub(crate) async fn serve(
    listener: TcpListener,
    emulator: Arc<Emulator>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Transient accept errors (EMFILE, aborted handshakes) must not stop the server.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let emulator = emulator.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let emulator = emulator.clone();
                async move { Ok::<_, Infallible>(answer(&emulator, req).await) }
            });
            let conn = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = conn_shutdown.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                }
            }
        });
    }
}

async fn answer(emulator: &Emulator, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return to_hyper(HttpResponse {
                status: 413,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: b"request body unreadable or larger than the emulator accepts".to_vec(),
            })
        }
    };
    let request = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &body,
    };
    let is_head = parts.method == hyper::Method::HEAD;
    let mut response = emulator.handle_http(&request).await;
    if is_head {
        response.body.clear();
    }
    to_hyper(response)
}

fn to_hyper(response: HttpResponse) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        // The two headers every response carries skip header-name parsing.
        builder = if name == "Content-Type" {
            builder.header(CONTENT_TYPE, value.as_str())
        } else if name == REQUEST_ID_HEADER {
            builder.header(HeaderName::from_static("x-amzn-requestid"), value.as_str())
        } else {
            builder.header(name.as_str(), value.as_str())
        };
    }
    builder
        .body(Full::new(Bytes::from(response.body)))
        .unwrap_or_else(|e| {
            // Only reachable when a handler put an invalid header value on a modeled header.
            let mut r = Response::new(Full::new(Bytes::from(format!(
                "the emulator produced an invalid response: {e}"
            ))));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}
