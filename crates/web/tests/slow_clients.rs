//! Issue 17 item 3: slow and idle clients against the real server loop on a TCP socket.

use caremarket_web::{AppState, ServeLimits, WebSettings, router, serve};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(limits: ServeLimits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let store = caremarket_testkit::sqlite().await.expect("store");
    let app = router(AppState::new(store, WebSettings::default()).expect("state"));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, app, limits, async move {
        let _ = rx.await;
    }));
    (addr, tx)
}

async fn healthz(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out
}

/// Read until the server closes the connection; how long that took.
async fn time_to_close(mut s: TcpStream) -> Duration {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return start.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the server kept the connection open for 20 seconds"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_while_many_half_sent_requests_are_held_open() {
    let limits = ServeLimits { max_connections: 50, header_read_timeout: Duration::from_secs(1), ..Default::default() };
    let (addr, _stop) = start(limits).await;
    // 200 clients each send half a request and then nothing (slowloris): four times the cap.
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.expect("write");
        held.push(s);
    }
    let start = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(15), healthz(addr)).await.expect("healthz answered within 15 s");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");
    // Held connections are closed by the server, not kept for ever.
    let first = held.remove(0);
    assert!(time_to_close(first).await < Duration::from_secs(10));
    eprintln!("healthz answered after {:?} with 200 half-sent requests held", start.elapsed());
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let limits = ServeLimits { header_read_timeout: Duration::from_secs(1), ..Default::default() };
    let (addr, _stop) = start(limits).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("write");
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // The connection stays open for a next request, but not for ever.
    let waited = time_to_close(s).await;
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(5), "closed after {waited:?}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let limits = ServeLimits { header_read_timeout: Duration::from_secs(1), ..Default::default() };
    let (addr, _stop) = start(limits).await;
    let s = TcpStream::connect(addr).await.expect("connect");
    let waited = time_to_close(s).await;
    assert!(waited < Duration::from_secs(5), "closed after {waited:?}");
}

/// One address takes only its share of the server: with the share at 20, its 21st and later
/// connections are closed at once (their file handles given back), while what it holds and a
/// newcomer are still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_only_its_share_of_connections() {
    let limits = ServeLimits {
        max_connections: 50,
        max_connections_per_address: 20,
        exempt_loopback: false,
        header_read_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let (addr, _stop) = start(limits).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.expect("write");
        held.push(s);
    }
    // Give the server time to accept the twenty.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The 21st is closed without an answer, well before the header timeout.
    let over = TcpStream::connect(addr).await.expect("connect");
    assert!(time_to_close(over).await < Duration::from_secs(2), "the connection over the share was held");
    // Once one of the twenty is given up, the address may open another, and it is answered.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = tokio::time::timeout(Duration::from_secs(5), healthz(addr)).await.expect("healthz answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
