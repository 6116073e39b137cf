//! In-process HTTP test client: drives the router with `oneshot`, keeps the session cookie,
//! and fills in the CSRF token from the last page like a browser would.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use caremarket_store::{Actor, Store};
use caremarket_web::{AppState, WebSettings, router};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct Client {
    pub app: Router,
    pub store: Store,
    pub throttle: std::sync::Arc<caremarket_web::SignInThrottle>,
    cookie: Option<String>,
    csrf: Option<String>,
}

pub struct Res {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub body: String,
    /// The body as sent, for downloads that are not text (a Word document).
    pub bytes: Vec<u8>,
}

impl Res {
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.status, StatusCode::OK, "body: {}", &self.body[..self.body.len().min(3000)]);
        self
    }
    pub fn contains(&self, s: &str) -> bool {
        self.body.contains(s)
    }
}

pub fn app_for(store: Store) -> Router {
    app_and_state(store).0
}

pub fn app_and_state(store: Store) -> (Router, AppState) {
    let state = AppState::new(store, WebSettings { sign_in_burst: 1000, ..Default::default() }).expect("state");
    (router(state.clone()).layer(axum::Extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))))), state)
}

impl Client {
    pub fn new(store: Store) -> Client {
        let (app, state) = app_and_state(store.clone());
        Client { app, store, throttle: state.throttle, cookie: None, csrf: None }
    }

    /// A client for an application with web settings of its own (single sign-on, say).
    pub fn with_settings(store: Store, settings: WebSettings) -> Client {
        let state = AppState::new(store.clone(), WebSettings { sign_in_burst: 1000, ..settings }).expect("state");
        let app = router(state.clone()).layer(axum::Extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000)))));
        Client { app, store, throttle: state.throttle, cookie: None, csrf: None }
    }

    pub async fn sqlite() -> Client {
        let store = caremarket_testkit::sqlite().await.expect("sqlite store");
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        Client::new(store)
    }

    /// A user with `role` (and provider, for provider users), created directly in the store.
    pub async fn user(&self, email: &str, role: caremarket_core::access::Role, provider_id: Option<&str>) -> String {
        self.store
            .create_user(
                &Actor::system("test"),
                caremarket_store::users::NewUser {
                    email,
                    display_name: "Test User",
                    password: PASSWORD,
                    role,
                    provider_id,
                    must_change_password: false,
                },
            )
            .await
            .expect("create user")
            .id
    }

    /// Sign in and, as a browser does, follow the redirect: the form token changes at sign-in,
    /// so the next form must carry the new one. Returns the sign-in response.
    pub async fn sign_in_as(&mut self, email: &str) -> Res {
        self.sign_in_with(email, PASSWORD).await
    }

    /// Sign in with a given password, following the redirect as `sign_in_as` does.
    pub async fn sign_in_with(&mut self, email: &str, password: &str) -> Res {
        self.get("/sign-in").await;
        let res = self.post_form("/sign-in", &[("email", email), ("password", password)]).await;
        if let Some(to) = res.location.clone() {
            self.get(&to).await;
        }
        res
    }

    pub async fn send(&mut self, req: Request<Body>) -> Res {
        let res = self.app.clone().oneshot(req).await.expect("response");
        // A cookie jar: the session cookie and, before sign-in, the form-token cookie.
        for c in res.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = c.split(';').next().unwrap_or("").trim().to_string();
            let Some((name, _)) = pair.split_once('=') else { continue };
            let removed = c.to_ascii_lowercase().contains("max-age=0");
            let mut jar: Vec<String> = self
                .cookie
                .as_deref()
                .unwrap_or("")
                .split("; ")
                .filter(|p| !p.is_empty() && !p.starts_with(&format!("{name}=")))
                .map(str::to_string)
                .collect();
            if !removed {
                jar.push(pair.clone());
            }
            self.cookie = if jar.is_empty() { None } else { Some(jar.join("; ")) };
        }
        let status = res.status();
        let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_disposition = res.headers().get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(t) = extract_csrf(&body) {
            self.csrf = Some(t);
        }
        Res { status, location, content_type, content_disposition, body, bytes: bytes.to_vec() }
    }

    fn builder(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path).header(header::HOST, "localhost");
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        b
    }

    pub async fn get(&mut self, path: &str) -> Res {
        let req = self.builder("GET", path).body(Body::empty()).expect("request");
        self.send(req).await
    }

    /// POST a form with the page's CSRF token added (as a browser would).
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Res {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        all.push(("csrf_token", &token));
        self.post_form_raw(path, &all).await
    }

    /// POST a form exactly as given (no CSRF token added).
    pub async fn post_form_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Res {
        let body = serde_urlencoded::to_string(fields).expect("encode");
        let req = self
            .builder("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, body.len().to_string())
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// POST a multipart form with one file (field `file`) and the given CSRF token.
    pub async fn post_file(&mut self, path: &str, token: &str, filename: &str, content: &str) -> Res {
        self.post_file_with(path, token, &[], filename, content).await
    }

    /// POST a multipart form with text `fields` as well as the file and CSRF token.
    pub async fn post_file_with(&mut self, path: &str, token: &str, fields: &[(&str, &str)], filename: &str, content: &str) -> Res {
        let b = "XBOUNDARYX";
        let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n");
        for (name, value) in fields {
            body.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
        }
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{b}--\r\n"
        ));
        let req = self
            .builder("POST", path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
            .header(header::CONTENT_LENGTH, body.len().to_string())
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub fn throttle(&self) -> &caremarket_web::SignInThrottle {
        &self.throttle
    }

    pub fn throttle_tracked(&self) -> usize {
        self.throttle.tracked()
    }

    /// The cookies this client sends (the session cookie among them).
    pub fn cookies(&self) -> Option<String> {
        self.cookie.clone()
    }

    pub fn csrf(&self) -> String {
        self.csrf.clone().unwrap_or_default()
    }

    /// A JSON API call with a bearer token.
    pub async fn api(&mut self, method: &str, path: &str, token: Option<&str>, json: Option<serde_json::Value>) -> Res {
        let mut b = Request::builder().method(method).uri(path).header(header::HOST, "localhost");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match json {
            Some(j) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(j.to_string())).expect("request"),
            None => b.body(Body::empty()).expect("request"),
        };
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_disposition = res.headers().get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Res {
            status,
            location: None,
            content_type,
            content_disposition,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }
}

fn extract_csrf(body: &str) -> Option<String> {
    let i = body.find("name=\"csrf_token\"")?;
    let rest = &body[i..];
    let v = rest.find("value=\"")? + 7;
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_string())
}

/// Sign in as `email` on a fresh client over the same store, open `page` for its CSRF token (or
/// use `token_override`), and upload `csv` to `action` as a browser would.
pub async fn upload_csv(
    store: &Store,
    email: &str,
    page: &str,
    action: &str,
    filename: &str,
    csv: &str,
    token_override: Option<&str>,
) -> Res {
    let mut c = Client::new(store.clone());
    c.sign_in_as(email).await;
    c.get(page).await;
    let token = token_override.map(str::to_string).unwrap_or_else(|| c.csrf());
    c.post_file(action, &token, filename, csv).await
}

/// Visible text of a page, as a sighted reader sees it: visually hidden spans and tags dropped,
/// entities decoded, whitespace collapsed.
pub fn visible_text(html: &str) -> String {
    let mut html = html.to_string();
    while let Some(i) = html.find("<span class=\"govuk-visually-hidden\">") {
        let end = html[i..].find("</span>").map(|e| i + e + "</span>".len()).unwrap_or(html.len());
        html.replace_range(i..end, "");
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
