//! A loopback HTTP server answering canned responses in order and recording the requests, for
//! driving the SDK dispatch where the emulator cannot help (unparseable, defaulted responses).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: String,
}

#[derive(Default)]
struct State {
    responses: VecDeque<Canned>,
    requests: Vec<Recorded>,
}

pub struct CannedServer {
    pub url: String,
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl CannedServer {
    pub async fn start() -> CannedServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(shared.clone(), req));
                    let _ = http1::Builder::new()
                        // a Date header would make the captured headers vary between runs
                        .auto_date_header(false)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        CannedServer { url, state, accept }
    }

    pub fn push(&self, canned: Canned) {
        self.state.lock().unwrap().responses.push_back(canned);
    }

    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.state.lock().unwrap().requests)
    }
}

impl Drop for CannedServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn answer(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let canned = {
        let mut st = state.lock().unwrap();
        st.requests.push(Recorded {
            method: parts.method.to_string(),
            path: parts.uri.to_string(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        st.responses.pop_front()
    };
    let canned = canned.unwrap_or(Canned {
        status: 599,
        headers: vec![],
        body: "no canned response left".into(),
    });
    let mut response = Response::builder().status(canned.status);
    for (k, v) in &canned.headers {
        response = response.header(k, v);
    }
    Ok(response
        .body(Full::new(Bytes::from(canned.body)))
        .expect("canned response is a valid HTTP response"))
}
