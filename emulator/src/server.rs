//! The HTTP/1.1 server (hyper 1): one task per connection, keep-alive, graceful shutdown.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::protocol::{HttpRequest, HttpResponse, REQUEST_ID_HEADER};
use crate::Emulator;

/// `x-amzn-RequestId` as hyper writes it (validated at compile time, not per response).
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

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
    let Some(body) = read_body(body).await else {
        return to_hyper(HttpResponse {
            status: 413,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: b"request body unreadable or larger than the emulator accepts".to_vec(),
        });
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

/// The whole request body, or `None` when it is unreadable or larger than `MAX_BODY`.
///
/// Instead of `Limited::new(body, MAX_BODY).collect()`: nearly every request body arrives as
/// one data frame, which is kept as it came (no buffer list, no copy); only bodies of several
/// frames (chunked uploads, large zips) are gathered into one buffer.
async fn read_body(mut body: Incoming) -> Option<Bytes> {
    // The Content-Length when there is one: a body announced too large is refused unread.
    let announced = usize::try_from(hyper::body::Body::size_hint(&body).lower()).ok()?;
    if announced > MAX_BODY {
        return None;
    }
    let mut first: Option<Bytes> = None;
    let mut rest: Option<Vec<u8>> = None;
    while let Some(frame) = body.frame().await {
        // Trailers (chunked requests may carry them) are not part of the body.
        let Ok(data) = frame.ok()?.into_data() else {
            continue;
        };
        match (&mut first, &mut rest) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut joined = Vec::with_capacity(announced.max(head.len() + data.len()));
                joined.extend_from_slice(head);
                joined.extend_from_slice(&data);
                rest = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
        let len = rest
            .as_ref()
            .map_or_else(|| first.as_ref().map_or(0, Bytes::len), Vec::len);
        if len > MAX_BODY {
            return None;
        }
    }
    Some(match rest {
        Some(joined) => Bytes::from(joined),
        None => first.unwrap_or_default(),
    })
}

/// The hyper response, built in place: no `http::response::Builder` (which re-validates every
/// header through a chain of `Result`s) and header values taken over without copying.
fn to_hyper(response: HttpResponse) -> Response<Full<Bytes>> {
    let mut out = Response::new(Full::new(Bytes::from(response.body)));
    match hyper::StatusCode::from_u16(response.status) {
        Ok(status) => *out.status_mut() = status,
        Err(_) => return invalid_response(format!("status {}", response.status)),
    }
    let headers = out.headers_mut();
    headers.reserve(response.headers.len());
    for (name, value) in response.headers {
        // The two headers every response carries skip header-name parsing.
        let name = if name == "Content-Type" {
            CONTENT_TYPE
        } else if name == REQUEST_ID_HEADER {
            REQUEST_ID
        } else {
            match HeaderName::from_bytes(name.as_bytes()) {
                Ok(name) => name,
                Err(_) => return invalid_response(format!("header name {name:?}")),
            }
        };
        match HeaderValue::from_maybe_shared(Bytes::from(value)) {
            // `append`, as the builder did: a handler may repeat a header.
            Ok(value) => {
                headers.append(name, value);
            }
            Err(_) => return invalid_response(format!("value of header {name}")),
        }
    }
    out
}

/// Only reachable when a handler put an invalid status or header on a response.
fn invalid_response(what: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!(
        "the emulator produced an invalid response: invalid {what}"
    ))));
    *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    r
}
