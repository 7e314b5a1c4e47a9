//! The Lambda Runtime API (2018-06-01), served on a loopback port per execution environment:
//! `GET  /2018-06-01/runtime/invocation/next`,
//! `POST /2018-06-01/runtime/invocation/{id}/response`,
//! `POST /2018-06-01/runtime/invocation/{id}/error`,
//! `POST /2018-06-01/runtime/init/error`.
//! Any runtime that speaks this protocol (ours in emulator/runtimes/, or a custom `bootstrap`)
//! can serve invocations.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

/// One invocation as /next hands it to the runtime.
#[derive(Debug, Clone)]
pub struct NextInvocation {
    pub request_id: String,
    pub payload: Bytes,
    /// The function timeout: the deadline is set when the runtime picks the invocation up, so
    /// a cold start's init does not eat into it (AWS gives init its own budget).
    pub timeout: std::time::Duration,
    pub function_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
}

/// What the runtime reported.
#[derive(Debug)]
pub enum RuntimeEvent {
    /// The runtime took the invocation via /next: the function timeout starts now.
    Started {
        request_id: String,
    },
    Response {
        request_id: String,
        body: Bytes,
    },
    Error {
        request_id: String,
        body: Bytes,
    },
    InitError {
        body: Bytes,
    },
}

struct ApiState {
    next: Mutex<mpsc::Receiver<NextInvocation>>,
    events: mpsc::UnboundedSender<RuntimeEvent>,
}

/// A running Runtime API endpoint. Dropping it stops the server.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    pub invocations: mpsc::Sender<NextInvocation>,
    pub events: mpsc::UnboundedReceiver<RuntimeEvent>,
    server: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const PREFIX: &str = "/2018-06-01/runtime/";

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (inv_tx, inv_rx) = mpsc::channel(1);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let state = Arc::new(ApiState {
            next: Mutex::new(inv_rx),
            events: ev_tx,
        });
        let server = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(route(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
                // Reap finished connection tasks so the set does not grow.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(RuntimeApi {
            addr,
            invocations: inv_tx,
            events: ev_rx,
            server,
        })
    }
}

fn reply(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", "application/json".parse().expect("static"));
    r
}

async fn route(state: &ApiState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return reply(StatusCode::NOT_FOUND, r#"{"errorMessage":"not found"}"#);
    };
    let method = req.method().clone();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return reply(StatusCode::BAD_REQUEST, r#"{"errorMessage":"bad body"}"#),
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["invocation", "next"]) => {
            let next = state.next.lock().await.recv().await;
            match next {
                Some(inv) => {
                    let deadline_ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| (d + inv.timeout).as_millis())
                        .unwrap_or(0);
                    let _ = state.events.send(RuntimeEvent::Started {
                        request_id: inv.request_id.clone(),
                    });
                    let mut r = Response::new(Full::new(inv.payload));
                    let h = r.headers_mut();
                    let mut set = |k: &'static str, v: &str| {
                        if let Ok(v) = v.parse() {
                            h.insert(k, v);
                        }
                    };
                    set("Lambda-Runtime-Aws-Request-Id", &inv.request_id);
                    set("Lambda-Runtime-Deadline-Ms", &deadline_ms.to_string());
                    set("Lambda-Runtime-Invoked-Function-Arn", &inv.function_arn);
                    set("Lambda-Runtime-Trace-Id", &inv.trace_id);
                    if let Some(cc) = &inv.client_context {
                        set("Lambda-Runtime-Client-Context", cc);
                    }
                    set("content-type", "application/json");
                    r
                }
                // The environment is going away.
                None => reply(StatusCode::GONE, r#"{"errorMessage":"shutting down"}"#),
            }
        }
        ("POST", ["invocation", id, "response"]) => {
            let _ = state.events.send(RuntimeEvent::Response {
                request_id: id.to_string(),
                body,
            });
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        ("POST", ["invocation", id, "error"]) => {
            let _ = state.events.send(RuntimeEvent::Error {
                request_id: id.to_string(),
                body,
            });
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        ("POST", ["init", "error"]) => {
            let _ = state.events.send(RuntimeEvent::InitError { body });
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"unknown runtime API path"}"#,
        ),
    }
}
