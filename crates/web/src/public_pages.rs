//! Copies of the public directory's rendered pages (issue 18 item 3).
//!
//! The directory looks the same to everyone (no account, no form token, no personal data: see
//! `directory`), so a page rendered for one visitor is the page every visitor would be given for
//! the same address until the data behind it changes. Rendering one costs 3 to 5 ms of CPU at
//! demo scale 10; serving a kept copy costs what the middleware costs. A copy is served only if
//! both hold:
//! - **nothing was written through this server since it was rendered**: every request that may
//!   write (any method but GET, HEAD and OPTIONS) moves the generation on when it has answered,
//!   that is after its transaction committed, and a copy carries the generation read before its
//!   data was read. So an officer who changes a service sees the change in the directory at once;
//! - **it is younger than `public_page_seconds`** (10 s by default): the bound for what this
//!   server cannot see, a CQC import from the command line or another server on the same
//!   PostgreSQL database.
//!
//! Only these addresses are kept, only answers of 200 that set no cookie, and the copies are
//! bounded in bytes (least used first out), so many distinct addresses cannot exhaust memory:
//! each then costs a render, as without copies. `public_page_seconds = 0` turns copies off.

use crate::AppState;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// At most this many bytes of pages are kept (a directory results page is about 40 KiB).
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Longer addresses are served without keeping a copy: no search needs one this long.
const MAX_KEY_BYTES: usize = 2048;
/// A rendered page larger than this is not kept.
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone)]
struct Copy {
    body: Bytes,
    content_type: HeaderValue,
    rendered: Instant,
    generation: u64,
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Copy> for ByBytes {
    fn weight(&self, key: &String, copy: &Copy) -> u64 {
        (key.len() + copy.body.len()) as u64
    }
}

/// The kept copies and the write generation (see the module's comment).
pub struct PublicPages {
    copies: quick_cache::sync::Cache<String, Copy, ByBytes>,
    generation: AtomicU64,
    max_age: Duration,
}

impl PublicPages {
    pub fn new(max_age: Duration) -> PublicPages {
        PublicPages { copies: quick_cache::sync::Cache::with_weighter(1024, MAX_BYTES, ByBytes), generation: AtomicU64::new(0), max_age }
    }

    fn enabled(&self) -> bool {
        !self.max_age.is_zero()
    }

    /// Something may have been written: no copy rendered before now is served again.
    pub fn written(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn current(&self, key: &str, generation: u64) -> Option<Copy> {
        self.copies.get(key).filter(|c| c.generation == generation && c.rendered.elapsed() < self.max_age)
    }
}

/// Route layer for the directory's pages: serve a current copy, or render and keep one.
pub async fn serve_copy(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let pages = &state.public_pages;
    let key = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if !pages.enabled() || req.method() != Method::GET || key.len() > MAX_KEY_BYTES {
        return next.run(req).await;
    }
    let key = key.to_string();
    // Read before the page's data is read: a write committed while it renders moves the
    // generation past it, so this copy is never served.
    let generation = pages.generation.load(Ordering::Acquire);
    if let Some(copy) = pages.current(&key, generation) {
        return ([(header::CONTENT_TYPE, copy.content_type)], copy.body).into_response();
    }
    // The copy's age counts from before its data was read, as its generation does.
    let rendered = Instant::now();
    let res = next.run(req).await;
    // A rendered page's length is known; a page too large to keep is served as it is.
    let small = res.body().size_hint().upper().is_some_and(|n| n <= MAX_PAGE_BYTES as u64);
    let keep = small && res.status() == StatusCode::OK && !res.headers().contains_key(header::SET_COOKIE);
    let Some(content_type) = res.headers().get(header::CONTENT_TYPE).cloned().filter(|_| keep) else {
        return res;
    };
    let (parts, body) = res.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(body) => {
            pages.copies.insert(key, Copy { body: body.clone(), content_type, rendered, generation });
            Response::from_parts(parts, Body::from(body))
        }
        // Only a body that fails while it is read: as any failed render, the error page.
        Err(e) => crate::error::AppError::Internal(format!("public page body: {e}")).into_response(),
    }
}

/// Layer for the whole router: a request that may have written moves the generation on once it
/// has answered (after its transaction), whatever its answer.
pub async fn note_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let may_write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.run(req).await;
    if may_write {
        state.public_pages.written();
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(body: &'static str, generation: u64) -> Copy {
        Copy {
            body: Bytes::from_static(body.as_bytes()),
            content_type: HeaderValue::from_static("text/html"),
            rendered: Instant::now(),
            generation,
        }
    }

    #[test]
    fn a_copy_is_current_until_a_write_or_its_age() {
        let pages = PublicPages::new(Duration::from_secs(60));
        pages.copies.insert("/directory".into(), copy("page", 0));
        assert_eq!(pages.current("/directory", 0).map(|c| c.body), Some(Bytes::from_static(b"page")));
        pages.written();
        assert!(pages.current("/directory", pages.generation.load(Ordering::Acquire)).is_none(), "a write makes the copy stale");

        let young = PublicPages::new(Duration::from_millis(1));
        young.copies.insert("/directory".into(), copy("page", 0));
        std::thread::sleep(Duration::from_millis(5));
        assert!(young.current("/directory", 0).is_none(), "an old copy is not served");
        assert!(!PublicPages::new(Duration::ZERO).enabled());
    }

    /// A page is kept once rendered; one too large to keep is served whole every time.
    #[tokio::test]
    async fn small_pages_are_kept_and_large_ones_served_as_they_are() {
        use tower::ServiceExt;
        let store = caremarket_testkit::sqlite().await.expect("store");
        let state = AppState::new(store, crate::WebSettings::default()).expect("state");
        let large = "x".repeat(MAX_PAGE_BYTES + 1);
        let app = axum::Router::new()
            .route("/small", axum::routing::get(|| async { axum::response::Html("small page") }))
            .route("/large", axum::routing::get(move || std::future::ready(axum::response::Html(large.clone()))))
            .route_layer(axum::middleware::from_fn_with_state(state.clone(), serve_copy))
            .with_state(state.clone());
        for (path, len) in [("/small", "small page".len()), ("/large", MAX_PAGE_BYTES + 1), ("/small", 10), ("/large", MAX_PAGE_BYTES + 1)]
        {
            let req = axum::http::Request::get(path).body(Body::empty()).expect("request");
            let res = app.clone().oneshot(req).await.expect("response");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
            assert_eq!(body.len(), len, "{path}");
        }
        assert!(state.public_pages.copies.get("/small").is_some());
        assert!(state.public_pages.copies.get("/large").is_none());
    }

    #[test]
    fn copies_are_bounded_in_bytes() {
        let pages = PublicPages::new(Duration::from_secs(60));
        let page = Bytes::from(vec![b'x'; 1024 * 1024]);
        for i in 0..100 {
            pages.copies.insert(
                format!("/directory?q={i}"),
                Copy { body: page.clone(), content_type: HeaderValue::from_static("text/html"), rendered: Instant::now(), generation: 0 },
            );
        }
        assert!(pages.copies.weight() <= MAX_BYTES, "kept {} bytes", pages.copies.weight());
        assert!(pages.copies.len() < 100);
    }
}
