//! Issue 17 item 12: what the request log says. A test file of its own: tracing caches, per
//! call site, whether anyone listens, so a thread-local subscriber is only reliable in a
//! process where no other test logs at the same time.

use crate::common;

use common::Client;
use std::sync::Arc;

// ---- item 12: logs ----------------------------------------------------------------------------

#[derive(Clone, Default)]
struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log sink").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn request_logs_name_the_path_but_not_the_query_string() {
    let sink = LogSink::default();
    let writer = sink.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_ansi(false).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut c = Client::sqlite().await;
    // Tests on other threads may register the request log's call sites first, while reading
    // that no subscriber but the global no-op one exists, and cache "never" for them after this
    // subscriber was set. Once a request here has registered them, recompute what each wants.
    c.get("/directory").await.assert_ok();
    tracing::callsite::rebuild_interest_cache();
    sink.0.lock().expect("log sink").clear();
    c.get("/directory?q=CASEREF98765").await.assert_ok();
    let logged = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("path=/directory"), "the request is logged: {logged}");
    assert!(!logged.contains("CASEREF98765"), "the search is not: {logged}");
}
