//! Serving the router on a TCP listener with the limits a public service needs against slow
//! and idle clients (issue 17 item 3). `axum::serve` sets no timeouts, so 20,000 half-sent
//! requests held 20,000 sockets open until the process ran out of file handles. Here:
//! - at most `max_connections` connections are served at once; further clients wait in the
//!   kernel's accept queue instead of taking file handles;
//! - a client must send a request's headers within `header_read_timeout`, and the same timer
//!   closes a kept-alive connection that sends no next request (hyper starts it whenever it
//!   waits for a request head);
//! - a request body must keep arriving: `body_read_timeout` between chunks (set in `router`);
//! - one address may hold at most `max_connections_per_address` of those connections: a further
//!   connection from it is accepted and closed at once, so one slow client cannot take every
//!   place and leave the queue to everyone else (loopback is exempt, being the reverse proxy's
//!   address in the usual deployment).
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
use std::net::IpAddr;
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
    /// Connections one client address may hold at once; 0 for no limit (behind a reverse proxy
    /// on another host, whose address every connection has). Loopback addresses are exempt.
    pub max_connections_per_address: usize,
    /// Whether loopback addresses are exempt from `max_connections_per_address` (the reverse
    /// proxy on the same machine, and the machine's own health checks).
    pub exempt_loopback: bool,
    /// Time allowed for a request's headers, and for the next request on an idle connection.
    pub header_read_timeout: Duration,
    /// How long graceful shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            max_connections: 512,
            max_connections_per_address: 64,
            exempt_loopback: true,
            header_read_timeout: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serve `app` on `listener` until `shutdown` completes, then let requests in flight finish (up
/// to `shutdown_grace`). Each request carries `ConnectInfo<SocketAddr>` for the rate limits.
pub async fn serve(listener: TcpListener, app: Router, limits: ServeLimits, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = PerAddress::new(limits.max_connections_per_address, limits.exempt_loopback);
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
        let Some(held) = per_address.hold(addr.ip()) else {
            // Dropping the stream closes it: its file handle is back at once.
            drop(stream);
            continue;
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
            drop(held);
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight at shutdown were stopped");
    }
    Ok(())
}

/// How many connections each address holds. An address has an entry only while it holds a
/// connection, so the map is never larger than `max_connections`.
#[derive(Clone)]
struct PerAddress {
    max: usize,
    exempt_loopback: bool,
    held: Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
}

/// One connection's place in [`PerAddress`], given back when dropped.
struct Held {
    ip: IpAddr,
    held: Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
}

impl PerAddress {
    fn new(max: usize, exempt_loopback: bool) -> PerAddress {
        PerAddress { max, exempt_loopback, held: Arc::default() }
    }

    /// A place for a connection from `ip`, unless it already holds its share. Loopback holds
    /// no place: it is the reverse proxy's address, or the machine's own checks.
    fn hold(&self, ip: IpAddr) -> Option<Option<Held>> {
        if self.max == 0 || (self.exempt_loopback && ip.is_loopback()) {
            return Some(None);
        }
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = held.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Some(Held { ip, held: self.held.clone() }))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = held.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_its_share_and_gives_it_back() {
        let p = PerAddress::new(2, true);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let first = p.hold(a).expect("first");
        let second = p.hold(a).expect("second");
        assert!(p.hold(a).is_none(), "a third from the same address is refused");
        assert!(p.hold(b).is_some_and(|h| h.is_some()), "another address is not");
        drop(first);
        assert!(p.hold(a).is_some(), "a place given back is free again");
        drop(second);
        // Loopback and a limit of 0 hold no place at all, unless loopback is not exempt.
        assert!(p.hold("127.0.0.1".parse().expect("ip")).is_some_and(|h| h.is_none()));
        let strict = PerAddress::new(1, false);
        let _one = strict.hold("127.0.0.1".parse().expect("ip")).expect("first");
        assert!(strict.hold("127.0.0.1".parse().expect("ip")).is_none());
        assert!(PerAddress::new(0, true).hold(a).is_some_and(|h| h.is_none()));
        let empty = PerAddress::new(1, true);
        drop(empty.hold(a));
        assert!(empty.held.lock().expect("lock").is_empty(), "no entry is kept for an address with no connection");
    }
}
