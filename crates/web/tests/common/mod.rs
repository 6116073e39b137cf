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

pub mod two_officers;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct Client {
    pub app: Router,
    pub store: Store,
    pub throttle: std::sync::Arc<caremarket_web::SignInThrottle>,
    /// The application's state (its mail outbox, limiters), shared by `move_to_address`.
    pub state: AppState,
    cookie: Option<String>,
    csrf: Option<String>,
    /// The hidden `version` of each form last seen, by the form's action: sent back with a post
    /// to that action, as a browser sends the form it shows (decision 25).
    versions: Vec<(String, String)>,
}

pub struct Res {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub body: String,
    /// The body as sent, for downloads that are not text (a Word document).
    pub bytes: Vec<u8>,
    pub headers: axum::http::HeaderMap,
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

/// The settings every test app uses: a high sign-in burst, and mail written to an outbox folder
/// of the test's own (under the system's temporary folder).
pub fn test_settings() -> WebSettings {
    let outbox = std::env::temp_dir().join(format!("caremarket-test-outbox-{}", uuid::Uuid::now_v7()));
    WebSettings {
        sign_in_burst: 1000,
        mail: caremarket_web::mail::MailSettings::Outbox(outbox),
        evidence_dir: std::env::temp_dir().join(format!("caremarket-test-evidence-{}", uuid::Uuid::now_v7())),
        public_url: "http://localhost".into(),
        ..Default::default()
    }
}

pub fn app_and_state(store: Store) -> (Router, AppState) {
    let state = AppState::new(store, test_settings()).expect("state");
    (app_from(&state, SocketAddr::from(([127, 0, 0, 1], 4000))), state)
}

/// The router as a client at `addr` reaches it.
pub fn app_from(state: &AppState, addr: SocketAddr) -> Router {
    router(state.clone()).layer(axum::Extension(ConnectInfo(addr)))
}

impl Client {
    pub fn new(store: Store) -> Client {
        let (app, state) = app_and_state(store.clone());
        Client { app, store, throttle: state.throttle.clone(), state, cookie: None, csrf: None, versions: Vec::new() }
    }

    /// An application made with `settings` (the outbox and sign-in burst of `test_settings`
    /// unless `settings` says otherwise).
    pub fn with_settings(store: Store, settings: WebSettings) -> Client {
        let state = AppState::new(store.clone(), settings).expect("state");
        Client {
            app: app_from(&state, SocketAddr::from(([127, 0, 0, 1], 4000))),
            store,
            throttle: state.throttle.clone(),
            state,
            cookie: None,
            csrf: None,
            versions: Vec::new(),
        }
    }

    /// Another browser on the same application: its own cookies, the same state.
    pub fn sibling(&self) -> Client {
        Client {
            app: self.app.clone(),
            store: self.store.clone(),
            throttle: self.throttle.clone(),
            state: self.state.clone(),
            cookie: None,
            csrf: None,
            versions: Vec::new(),
        }
    }

    /// From now on this client sends from another network address (same application).
    pub fn move_to_address(&mut self, addr: SocketAddr) {
        self.app = app_from(&self.state, addr);
    }

    /// The messages in the application's mail outbox, oldest first, as `.eml` text.
    pub fn mails(&self) -> Vec<String> {
        let Some(dir) = self.state.mailer.outbox() else { return Vec::new() };
        let mut files: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .filter_map(|e| {
                        let modified = e.metadata().and_then(|m| m.modified()).ok()?;
                        Some((modified, std::fs::read_to_string(e.path()).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort_by_key(|(t, _)| *t);
        files.into_iter().map(|(_, m)| m).collect()
    }

    pub async fn sqlite() -> Client {
        let store = caremarket_testkit::sqlite().await.expect("sqlite store");
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        Client::new(store)
    }

    /// A user with `role` (and provider, for provider users), created directly in the store.
    pub async fn user(&self, email: &str, role: caremarket_core::access::Role, provider_id: Option<&str>) -> String {
        self.user_named(email, "Test User", role, provider_id).await
    }

    /// A user with a name of their own, for pages that must name who did something.
    pub async fn user_named(
        &self,
        email: &str,
        display_name: &str,
        role: caremarket_core::access::Role,
        provider_id: Option<&str>,
    ) -> String {
        self.store
            .create_user(
                &Actor::system("test"),
                caremarket_store::users::NewUser {
                    email,
                    display_name,
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
        let headers = res.headers().clone();
        let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_disposition = res.headers().get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(t) = extract_csrf(&body) {
            self.csrf = Some(t);
        }
        for (action, name, version) in form_versions(&body) {
            self.versions.retain(|(a, _)| *a != format!("{action}#{name}"));
            if name == "version" {
                self.versions.retain(|(a, _)| *a != action);
                self.versions.push((action.clone(), version.clone()));
            }
            self.versions.push((format!("{action}#{name}"), version));
        }
        Res { status, location, content_type, content_disposition, body, bytes: bytes.to_vec(), headers }
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

    /// POST a form with the page's CSRF token added (as a browser would), and the `version` the
    /// last page showing a form for `path` carried, unless the test gives one.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Res {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        all.push(("csrf_token", &token));
        // Every hidden version the page's form carried (`version`, or `version_<key>` on pages that
        // save several settings), unless the test gives its own.
        let prefix = format!("{path}#");
        let carried: Vec<(String, String)> = self
            .versions
            .iter()
            .filter_map(|(a, v)| a.strip_prefix(&prefix).map(|name| (name.to_string(), v.clone())))
            .filter(|(name, _)| !fields.iter().any(|(k, _)| k == name))
            .collect();
        for (name, v) in &carried {
            all.push((name, v));
        }
        self.post_form_raw(path, &all).await
    }

    /// The hidden `version` the last page with a form posting to `action` carried.
    pub fn form_version(&self, action: &str) -> Option<String> {
        self.versions.iter().find(|(a, _)| a == action).map(|(_, v)| v.clone())
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
        self.post_files(path, token, fields, &[("file", filename, content)]).await
    }

    /// POST a multipart form with text `fields` and several files (field name, file name,
    /// content) as well as the CSRF token.
    pub async fn post_files(&mut self, path: &str, token: &str, fields: &[(&str, &str)], files: &[(&str, &str, &str)]) -> Res {
        let b = "XBOUNDARYX";
        let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n");
        for (name, value) in fields {
            body.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
        }
        for (name, filename, content) in files {
            body.push_str(&format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{b}--\r\n"));
        let req = self
            .builder("POST", path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
            .header(header::CONTENT_LENGTH, body.len().to_string())
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// POST a multipart form with one file of any bytes (field `field`) and the CSRF token.
    pub async fn post_file_bytes(&mut self, path: &str, token: &str, field: &str, filename: &str, content: &[u8]) -> Res {
        let b = "XBOUNDARYX";
        let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n").into_bytes();
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
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
    /// Send these cookies from now on, as a browser holding them would.
    pub fn set_cookies(&mut self, cookies: Option<String>) {
        self.cookie = cookies;
    }

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
        let headers = res.headers().clone();
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
            headers,
        }
    }
}

/// Each form's action and hidden versions (`version`, and `version_<key>` on pages that save
/// several settings), for the forms on a page that carry them: (action, field, value).
fn form_versions(body: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for form in body.split("<form").skip(1) {
        let form = form.split("</form>").next().unwrap_or("");
        let attr = |s: &str, name: &str| -> Option<String> {
            let i = s.find(&format!("{name}=\""))? + name.len() + 2;
            let end = s[i..].find('"')?;
            // Templates escape '/' in attribute values.
            Some(s[i..i + end].replace("&#x2f;", "/").replace("&#47;", "/"))
        };
        let Some(action) = attr(form.split('>').next().unwrap_or(""), "action") else { continue };
        for input in form.split('<').filter(|t| t.starts_with("input")) {
            let input = input.split('>').next().unwrap_or("");
            let Some(name) = attr(input, "name").filter(|n| n == "version" || n.starts_with("version_")) else { continue };
            if let Some(v) = attr(input, "value") {
                out.push((action.clone(), name, v));
            }
        }
    }
    out
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
