//! The HTTP endpoints (hyper, HTTP/1.1): `GET /metrics`, `GET /healthz`, `GET /readyz`, and
//! `POST /-/reload` when enabled.
//!
//! - `/healthz`: 200 while the process runs (liveness).
//! - `/readyz`: 200 when every input is bound and every output open or connected; 503 with
//!   the reason otherwise, and from the start of a shutdown on (readiness).
//! - `/metrics`: the Prometheus text format ([`super::metrics`]).
//! - `/-/reload`: reloads the rules and answers 200, or 500 with the rule file's errors.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use super::metrics::Metrics;
use super::reload::{self, Trigger};

/// What the handlers need.
#[derive(Debug)]
pub(crate) struct HttpState {
    pub(crate) metrics: Arc<Metrics>,
    /// `Some` when `POST /-/reload` is enabled.
    pub(crate) reload: Option<mpsc::UnboundedSender<reload::Request>>,
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

async fn handle(req: Request<Incoming>, st: Arc<HttpState>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path();
    let resp = match (req.method(), path) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let mut r = text(StatusCode::OK, st.metrics.render());
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        (&Method::GET | &Method::HEAD, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET | &Method::HEAD, "/readyz") => match st.metrics.readiness() {
            Ok(()) => text(StatusCode::OK, "ready\n"),
            Err(why) => text(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")),
        },
        (&Method::POST, "/-/reload") if st.reload.is_some() => {
            let (tx, rx) = oneshot::channel();
            let sent = st
                .reload
                .as_ref()
                .is_some_and(|r| r.send(reload::Request { trigger: Trigger::Http, reply: Some(tx) }).is_ok());
            match (sent, rx.await) {
                (true, Ok(Ok(()))) => text(StatusCode::OK, "reloaded\n"),
                (true, Ok(Err(e))) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
                _ => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
            }
        }
        (_, "/metrics" | "/healthz" | "/readyz") => text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(resp)
}

/// Serves until `stop` turns true.
pub(crate) async fn serve(listener: TcpListener, st: Arc<HttpState>, mut stop: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = async { drop(stop.wait_for(|s| *s).await) } => return,
        };
        let st = st.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(req, st.clone()));
            if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await
            {
                tracing::debug!(error = %e, "metrics: connection error");
            }
        });
    }
}
