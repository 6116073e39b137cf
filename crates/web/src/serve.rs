//! Serving the router on a TCP listener with the limits a public service needs against slow
//! and idle clients (issue 17 item 3). `axum::serve` sets no timeouts, so 20,000 half-sent
//! requests held 20,000 sockets open until the process ran out of file handles. Here:
//! - at most `max_connections` connections are served at once; further clients wait in the
//!   kernel's accept queue instead of taking file handles;
//! - a client must send a request's headers within `header_read_timeout`, and the same timer
//!   closes a kept-alive connection that sends no next request (hyper starts it whenever it
//!   waits for a request head);
//! - a request body must keep arriving: `body_read_timeout` between chunks (set in `router`).
//!
//! A reverse proxy in front (docs/operations.md) buffers slow clients before they reach this.

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Connection limits for [`serve`].
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// Connections served at once. Keep well under the process's open-file limit (`ulimit -n`),
    /// which also has to hold the database connections and files being imported.
    pub max_connections: usize,
    /// Time allowed for a request's headers, and for the next request on an idle connection.
    pub header_read_timeout: Duration,
    /// How long graceful shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits { max_connections: 512, header_read_timeout: Duration::from_secs(15), shutdown_grace: Duration::from_secs(30) }
    }
}

/// Serve `app` on `listener` until `shutdown` completes, then let requests in flight finish (up
/// to `shutdown_grace`). Each request carries `ConnectInfo<SocketAddr>` for the rate limits.
pub async fn serve(listener: TcpListener, app: Router, limits: ServeLimits, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // HTTP/1 only: detecting HTTP/2 means waiting for the client's first bytes with no timeout,
    // which a client that connects and sends nothing would hold for ever. HTTP/2 to browsers is
    // the reverse proxy's job.
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file handles or similar: wait rather than spin, and keep serving.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = app.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            req
        });
        let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc)).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight at shutdown were stopped");
    }
    Ok(())
}
