//! A minimal HTTP/1.1 client for the load test: one keep-alive connection per simulated user,
//! built on hyper's connection API, so "32 clients" means exactly 32 TCP connections.

use anyhow::{Context, Result, anyhow};
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;

pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
    driver: tokio::task::JoinHandle<()>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> Result<Connection> {
        let stream = tokio::net::TcpStream::connect(addr).await.with_context(|| format!("could not connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = handshake(TokioIo::new(stream)).await?;
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.await {
                eprintln!("connection error: {e}");
            }
        });
        Ok(Connection { sender, host: HeaderValue::from_str(&addr.to_string())?, driver })
    }

    /// GET `path`, reading the whole body.
    pub async fn get(&mut self, path: &str, cookie: Option<&str>) -> Result<Response> {
        self.send(Method::GET, path, cookie, None).await
    }

    /// POST a urlencoded form to `path`.
    pub async fn post_form(&mut self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Result<Response> {
        let body = serde_urlencoded::to_string(form)?;
        self.send(Method::POST, path, cookie, Some(body)).await
    }

    async fn send(&mut self, method: Method, path: &str, cookie: Option<&str>, form: Option<String>) -> Result<Response> {
        let mut req = Request::builder().method(method).uri(path).header(header::HOST, self.host.clone());
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let body = match form {
            Some(f) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(f))
            }
            None => Full::new(Bytes::new()),
        };
        let req = req.body(body)?;
        self.sender.ready().await.context("the connection closed")?;
        let resp = self.sender.send_request(req).await.with_context(|| format!("request to {path} failed"))?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.with_context(|| format!("reading the response of {path} failed"))?.to_bytes();
        Ok(Response { status: parts.status, headers: parts.headers, body })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// The `name=value` of the first `Set-Cookie` header for `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .find(|pair| pair.split_once('=').is_some_and(|(n, _)| n == name))
        .map(str::to_string)
}

/// Sign in through the form as a browser does and return the `Cookie` header to send from then
/// on. Before sign-in there is no session: the sign-in page sets a form-token cookie
/// (`caremarket_form`) that must come back with the form; signing in sets the session cookie.
pub async fn sign_in(conn: &mut Connection, email: &str, password: &str) -> Result<String> {
    let page = conn.get("/sign-in", None).await?;
    if page.status != StatusCode::OK {
        return Err(anyhow!("GET /sign-in answered {}", page.status));
    }
    let form_cookie = cookie(&page.headers, "caremarket_form");
    let token = csrf_token(std::str::from_utf8(&page.body)?)?;
    let resp =
        conn.post_form("/sign-in", form_cookie.as_deref(), &[("email", email), ("password", password), ("csrf_token", &token)]).await?;
    let session = cookie(&resp.headers, "caremarket_session");
    match session {
        Some(session) if resp.status.is_redirection() => Ok(session),
        _ => Err(anyhow!(
            "signing in as {email} answered {} without a session cookie ({})",
            resp.status,
            String::from_utf8_lossy(&resp.body).lines().find(|l| l.contains("<title>")).unwrap_or("").trim()
        )),
    }
}

/// The value of the hidden `csrf_token` field in a page.
pub fn csrf_token(html: &str) -> Result<String> {
    hidden_field(html, "csrf_token")
}

/// The value of the first hidden field named `name` (the form token; a form's `version`, for the
/// lost-update check).
pub fn hidden_field(html: &str, name: &str) -> Result<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).ok_or_else(|| anyhow!("the page has no {name} field"))? + marker.len();
    let len = html[start..].find('"').ok_or_else(|| anyhow!("the {name} field is not closed"))?;
    Ok(unescape_html(&html[start..start + len]))
}

/// The text of the element with `id="{id}"` (up to its first child tag), unescaped.
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let open_end = at + html[at..].find('>')? + 1;
    let len = html[open_end..].find('<')?;
    Some(unescape_html(html[open_end..open_end + len].trim()))
}

/// Undo the HTML escaping a template applies to an attribute value.
fn unescape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_csrf_token() {
        let html = r#"<form><input type="hidden" name="csrf_token" value="ab&#x2f;c&#43;d&amp;e"></form>"#;
        assert_eq!(csrf_token(html).expect("token"), "ab/c+d&e");
        assert!(csrf_token("<form></form>").is_err());
    }

    #[test]
    fn reads_a_set_cookie() {
        let mut h = HeaderMap::new();
        h.append(header::SET_COOKIE, HeaderValue::from_static("other=1; Path=/"));
        h.append(header::SET_COOKIE, HeaderValue::from_static("caremarket_session=xyz; HttpOnly; SameSite=Lax; Path=/"));
        assert_eq!(cookie(&h, "caremarket_session").as_deref(), Some("caremarket_session=xyz"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn reads_an_element_by_id() {
        let html = r#"<h2 class="x" id="results" aria-live="polite">1,234 services: Care home &amp; nursing</h2>"#;
        assert_eq!(element_text(html, "results").as_deref(), Some("1,234 services: Care home & nursing"));
        assert_eq!(element_text(html, "missing"), None);
    }

    #[test]
    fn leaves_unknown_entities() {
        assert_eq!(unescape_html("a&b;c&zz;"), "a&b;c&zz;");
        assert_eq!(unescape_html("plain"), "plain");
    }
}
