//! Kept copies of rendered pages (issue 18 item 3): the public directory's, and an officer's own
//! copies of the four pages officers reload most.
//!
//! Rendering one of these pages costs 2 to 7 ms of CPU at demo scale 10; serving a kept copy costs
//! what the middleware costs. Two kinds of copy, one rule for when each stops being served:
//! - **Public directory** (`serve_public_copy`): the directory looks the same to everyone (no
//!   account, no form token, no personal data: see `directory`), so its address is the whole key.
//! - **Officers' pages** (`serve_officer_copy`: the dashboard, the service list, the quality
//!   dashboard and the watch list): a copy is keyed by the session as well as the address, so it
//!   is only ever served to the session it was rendered for, which was given exactly these bytes.
//!   It is served without reading the session or the account again; what could have changed
//!   them (signing out, an account switched off, a new role, a password reset) is a write.
//!
//! A copy is served only while both hold:
//! - **nothing was written through this server since it was rendered**: every request that may
//!   write (any method but GET, HEAD and OPTIONS) moves the generation on when it has answered,
//!   that is after its transaction committed, and a copy carries the generation read before its
//!   data was read. So an officer who changes a service sees the change at once, and so does the
//!   public; an account switched off is refused its next page, kept or not;
//! - **it is younger than its age limit** (`public_page_seconds`, `officer_page_seconds`, 10 s by
//!   default): the bound for what this server cannot see, a CQC import from the command line or
//!   another server on the same PostgreSQL database. Within it, a session that other server ended
//!   may still be given again a page it was given in the last 10 s, and nothing else.
//!
//! Only answers of 200 whose only headers are the content's type and length are kept (so never a
//! cookie or a download), and only if the render did not change the session. Copies are bounded
//! in bytes (least used first out), so many distinct addresses cannot exhaust memory: each then
//! costs a render, as without copies. An age of 0 turns that kind of copy off.

use crate::AppState;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tower_sessions::Session;

/// At most this many bytes of pages are kept (at demo scale 10 a directory results page is about
/// 32 KiB, the dashboard 88 KiB: some 400 pages).
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Longer addresses are served without keeping a copy: no search needs one this long.
const MAX_KEY_BYTES: usize = 2048;
/// A rendered page larger than this is not kept.
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// The officers' pages kept per session: the pages officers open and reload most, each of
/// figures or lists of services, none of a person's record. Each requires sign-in, so a 200
/// from one was rendered for a signed-in account allowed to see it.
const OFFICER_PAGES: [&str; 4] = ["/dashboard", "/services", "/quality", "/quality/watch-list"];

#[derive(Clone)]
struct KeptPage {
    body: Bytes,
    content_type: HeaderValue,
    rendered: Instant,
    generation: u64,
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, KeptPage> for ByBytes {
    fn weight(&self, key: &String, page: &KeptPage) -> u64 {
        (key.len() + page.body.len()) as u64
    }
}

/// The kept copies and the write generation (see the module's comment).
pub struct KeptPages {
    copies: quick_cache::sync::Cache<String, KeptPage, ByBytes>,
    generation: AtomicU64,
    public_age: Duration,
    officer_age: Duration,
}

impl KeptPages {
    pub fn new(public_age: Duration, officer_age: Duration) -> KeptPages {
        KeptPages {
            copies: quick_cache::sync::Cache::with_weighter(1024, MAX_BYTES, ByBytes),
            generation: AtomicU64::new(0),
            public_age,
            officer_age,
        }
    }

    /// Something may have been written: no copy rendered before now is served again.
    pub fn written(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn current(&self, key: &str, generation: u64, max_age: Duration) -> Option<KeptPage> {
        self.copies.get(key).filter(|c| c.generation == generation && c.rendered.elapsed() < max_age)
    }

    /// Serve the copy kept under `key`, or render the page and keep it.
    async fn serve(&self, key: String, max_age: Duration, session: Option<&Session>, req: Request, next: Next) -> Response {
        // Read before the page's data is read: a write committed while it renders moves the
        // generation past it, so this copy is never served.
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(copy) = self.current(&key, generation, max_age) {
            return ([(header::CONTENT_TYPE, copy.content_type)], copy.body).into_response();
        }
        // The copy's age counts from before its data was read, as its generation does.
        let rendered = Instant::now();
        let res = next.run(req).await;
        if !keepable(&res) || session.is_some_and(Session::is_modified) {
            return res;
        }
        let Some(content_type) = res.headers().get(header::CONTENT_TYPE).cloned() else { return res };
        let (parts, body) = res.into_parts();
        match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
            Ok(body) => {
                self.copies.insert(key, KeptPage { body: body.clone(), content_type, rendered, generation });
                Response::from_parts(parts, Body::from(body))
            }
            // Only a body that fails while it is read: as any failed render, the error page.
            Err(e) => crate::error::AppError::Internal(format!("kept page body: {e}")).into_response(),
        }
    }
}

/// Whether a rendered answer may be kept: a page (200) of known, small length whose headers the
/// copy reproduces whole (its type and length), so never one that sets a cookie or is a download.
fn keepable(res: &Response) -> bool {
    let small = res.body().size_hint().upper().is_some_and(|n| n <= MAX_PAGE_BYTES as u64);
    small
        && res.status() == StatusCode::OK
        && res.headers().contains_key(header::CONTENT_TYPE)
        && res.headers().keys().all(|k| k == header::CONTENT_TYPE || k == header::CONTENT_LENGTH)
}

fn path_and_query(req: &Request) -> &str {
    req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/")
}

/// Route layer for the directory's pages: serve a current copy, or render and keep one.
pub async fn serve_public_copy(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let pages = &state.kept_pages;
    let key = path_and_query(&req);
    if pages.public_age.is_zero() || req.method() != Method::GET || key.len() > MAX_KEY_BYTES {
        return next.run(req).await;
    }
    let key = key.to_string();
    pages.serve(key, pages.public_age, None, req, next).await
}

/// Layer for the whole router, outside the reads of the session's account (so that a kept copy
/// reads nothing): a signed-in session's own copy of one of `OFFICER_PAGES`.
pub async fn serve_officer_copy(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let pages = &state.kept_pages;
    let pq = path_and_query(&req);
    if pages.officer_age.is_zero() || req.method() != Method::GET || pq.len() > MAX_KEY_BYTES || !OFFICER_PAGES.contains(&req.uri().path())
    {
        return next.run(req).await;
    }
    // A visitor without a session cookie has nothing kept; the page asks them to sign in.
    let Some(session) = req.extensions().get::<Session>().cloned() else { return next.run(req).await };
    let Some(id) = session.id() else { return next.run(req).await };
    // The key holds a hash of the session's id, not the id that signs in.
    use sha2::Digest;
    let key = format!("{:x}{pq}", sha2::Sha256::digest(id.to_string().as_bytes()));
    pages.serve(key, pages.officer_age, Some(&session), req, next).await
}

/// Layer for the whole router: a request that may have written moves the generation on once it
/// has answered (after its transaction), whatever its answer.
pub async fn note_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let may_write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.run(req).await;
    if may_write {
        state.kept_pages.written();
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(body: &'static str, generation: u64) -> KeptPage {
        KeptPage {
            body: Bytes::from_static(body.as_bytes()),
            content_type: HeaderValue::from_static("text/html"),
            rendered: Instant::now(),
            generation,
        }
    }

    #[test]
    fn a_copy_is_current_until_a_write_or_its_age() {
        let age = Duration::from_secs(60);
        let pages = KeptPages::new(age, age);
        pages.copies.insert("/directory".into(), copy("page", 0));
        assert_eq!(pages.current("/directory", 0, age).map(|c| c.body), Some(Bytes::from_static(b"page")));
        pages.written();
        assert!(pages.current("/directory", pages.generation.load(Ordering::Acquire), age).is_none(), "a write makes the copy stale");

        let young = KeptPages::new(Duration::from_millis(1), Duration::from_millis(1));
        young.copies.insert("/directory".into(), copy("page", 0));
        std::thread::sleep(Duration::from_millis(5));
        assert!(young.current("/directory", 0, young.public_age).is_none(), "an old copy is not served");
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
            .route_layer(axum::middleware::from_fn_with_state(state.clone(), serve_public_copy))
            .with_state(state.clone());
        for (path, len) in [("/small", "small page".len()), ("/large", MAX_PAGE_BYTES + 1), ("/small", 10), ("/large", MAX_PAGE_BYTES + 1)]
        {
            let req = axum::http::Request::get(path).body(Body::empty()).expect("request");
            let res = app.clone().oneshot(req).await.expect("response");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
            assert_eq!(body.len(), len, "{path}");
        }
        assert!(state.kept_pages.copies.get("/small").is_some());
        assert!(state.kept_pages.copies.get("/large").is_none());
    }

    #[test]
    fn copies_are_bounded_in_bytes() {
        let pages = KeptPages::new(Duration::from_secs(60), Duration::from_secs(60));
        let page = Bytes::from(vec![b'x'; 1024 * 1024]);
        for i in 0..100 {
            pages.copies.insert(
                format!("/directory?q={i}"),
                KeptPage {
                    body: page.clone(),
                    content_type: HeaderValue::from_static("text/html"),
                    rendered: Instant::now(),
                    generation: 0,
                },
            );
        }
        assert!(pages.copies.weight() <= MAX_BYTES, "kept {} bytes", pages.copies.weight());
        assert!(pages.copies.len() < 100);
    }
}
