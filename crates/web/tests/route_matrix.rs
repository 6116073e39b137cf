//! The role matrix (issue 17, "checks that stay in the suite"): every route the application
//! declares, for every demo identity and a visitor who has not signed in, by GET and POST (and
//! the API's other methods), checked against one declared table of expectations,
//! `tests/route_matrix/expectations.txt`.
//!
//! The routes are read from the source with `syn` (decision 28): every `.route("...", ...)` call
//! in `crates/web/src` and the methods its handler chain registers, with the prefix of a
//! `.nest(...)`. A route or method without a line in the table fails the test, naming it and
//! suggesting the line from what each identity was answered; a line without a route fails too.
//!
//! What each cell must answer:
//! - not signed in, on a route that needs it: a redirect to sign-in (401 on the API);
//! - signed in without the permission: 403 for a POST with a valid form token and an empty form
//!   (the role is checked before the form's fields are read); without a token, 403 or the
//!   form-token refusal (400), never anything done (the routes answering 400 are listed);
//! - signed in with the permission (or on a public route): neither 403 nor a sign-in redirect;
//! - nobody, ever: a server error. A method a route does not register answers 405.
//!
//! Path parameters are filled with an id that names nothing, so a permitted request meets "not
//! found" and nothing is changed; a refused one must be refused before the record is looked up.
//! The pages themselves are read with real records by `demo_crawl.rs` and the capability tests.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_demo::{DEMO_PASSWORD, DemoOptions, generate};
use common::{Client, Res};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// An id no record has, in the shape of ours (UUID v7).
const NO_SUCH_ID: &str = "01900000-0000-7000-8000-000000000000";
const API_PREFIX: &str = "/api/";
/// The refusal of a form sent without this session's token.
const TOKEN_REFUSAL: &str = "This form has expired or was not sent from caremarket";

// ---------------------------------------------------------------------------------------------
// The route table, from the source.

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Route {
    path: String,
    methods: BTreeSet<String>,
    /// The handlers its POST names, each as the path it is named by (`["spend", "import_upload"]`).
    post_handlers: BTreeSet<Vec<String>>,
    /// Where it is declared, for messages.
    at: String,
}

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// Methods registered by a handler chain such as `get(a).post(b)` or `get(a).merge(post_route)`,
/// following a local `let` the chain names.
struct MethodFinder<'a, 'ast> {
    lets: &'a BTreeMap<String, &'ast syn::Expr>,
    found: BTreeSet<String>,
    followed: BTreeSet<String>,
    post_handlers: BTreeSet<Vec<String>>,
}

/// The path an argument names, when it is one (`upload`, `spend::import_upload`).
fn named_path(e: &syn::Expr) -> Option<Vec<String>> {
    match e {
        syn::Expr::Path(p) => Some(p.path.segments.iter().map(|s| s.ident.to_string()).collect()),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for MethodFinder<'_, 'ast> {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*call.func
            && let Some(last) = p.path.segments.last()
        {
            let name = last.ident.to_string();
            if METHODS.contains(&name.as_str()) {
                self.found.insert(name.to_ascii_uppercase());
            }
            if name == "post" {
                self.post_handlers.extend(call.args.first().and_then(named_path));
            }
        }
        syn::visit::visit_expr_call(self, call);
    }
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let name = call.method.to_string();
        if METHODS.contains(&name.as_str()) {
            self.found.insert(name.to_ascii_uppercase());
        }
        if name == "post" {
            self.post_handlers.extend(call.args.first().and_then(named_path));
        }
        syn::visit::visit_expr_method_call(self, call);
    }
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(ident) = p.path.get_ident() {
            let name = ident.to_string();
            if let Some(init) = self.lets.get(&name).copied()
                && self.followed.insert(name)
            {
                self.visit_expr(init);
            }
        }
    }
}

/// Every `let name = expr;` in a function, so that a route's handler chain naming a local can be
/// followed.
struct LetFinder<'ast>(BTreeMap<String, &'ast syn::Expr>);

impl<'ast> Visit<'ast> for LetFinder<'ast> {
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let (syn::Pat::Ident(p), Some(init)) = (&local.pat, &local.init) {
            self.0.insert(p.ident.to_string(), &*init.expr);
        }
        syn::visit::visit_local(self, local);
    }
}

/// `const NAME: &str = "/a/path";` in a file: a route may name its path by a constant.
struct ConstFinder(BTreeMap<String, String>);

impl<'ast> Visit<'ast> for ConstFinder {
    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &*c.expr {
            self.0.insert(c.ident.to_string(), s.value());
        }
        syn::visit::visit_item_const(self, c);
    }
}

struct RouteFinder<'a, 'ast> {
    /// The file's string constants, for routes whose path is one.
    consts: &'a BTreeMap<String, String>,
    file: String,
    /// The file's text, to say on which line a route is declared.
    text: &'a str,
    /// (file, function) -> the prefix its router is nested under.
    nests: &'a BTreeMap<(String, String), String>,
    lets: BTreeMap<String, &'ast syn::Expr>,
    prefix: String,
    routes: Vec<Route>,
}

impl<'ast> Visit<'ast> for RouteFinder<'_, 'ast> {
    /// A `#[cfg(test)]` module's routers are its tests' own, not the application's.
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let test_only = m
            .attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") && matches!(&a.meta, syn::Meta::List(list) if list.tokens.to_string() == "test"));
        if !test_only {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let mut lets = LetFinder(BTreeMap::new());
        lets.visit_item_fn(f);
        self.lets = lets.0;
        self.prefix = self.nests.get(&(self.file.clone(), f.sig.ident.to_string())).cloned().unwrap_or_default();
        syn::visit::visit_item_fn(self, f);
    }
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "route" && call.args.len() == 2 {
            // The path is a string literal or a constant of this file; anything else would be a
            // route this test cannot see, so it says so rather than skip it.
            let (path, needle) = match &call.args[0] {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(p), .. }) => (p.value(), format!("\"{}\"", p.value())),
                syn::Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.consts.contains_key(&i.to_string())) => {
                    let name = p.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                    (self.consts[&name].clone(), format!(".route({name}"))
                }
                _ => panic!("{}: a route's path is neither a string nor a string constant of the same file", self.file),
            };
            let mut finder =
                MethodFinder { lets: &self.lets, found: BTreeSet::new(), followed: BTreeSet::new(), post_handlers: BTreeSet::new() };
            finder.visit_expr(&call.args[1]);
            let line = self.text.find(&needle).map(|i| self.text[..i].lines().count()).unwrap_or(0);
            self.routes.push(Route {
                path: format!("{}{}", self.prefix, path),
                methods: finder.found,
                post_handlers: finder.post_handlers,
                at: format!("{}:{line}", self.file),
            });
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// `.nest("/api/v1", api::routes())`: the file and function whose routes take the prefix.
struct NestFinder(BTreeMap<(String, String), String>);

impl<'ast> Visit<'ast> for NestFinder {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "nest"
            && call.args.len() == 2
            && let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(prefix), .. })) = call.args.first()
            && let syn::Expr::Call(inner) = &call.args[1]
            && let syn::Expr::Path(p) = &*inner.func
        {
            let segments: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
            if let Some((function, modules)) = segments.split_last() {
                let module = modules.join("/");
                for file in [format!("{module}/mod.rs"), format!("{module}.rs")] {
                    self.0.insert((file, function.clone()), prefix.value());
                }
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every route declared in `crates/web/src`, one per path with all its methods.
fn declared_routes() -> Vec<Route> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let parsed: Vec<(String, String, syn::File)> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).expect("read source");
            let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (rel, text, file)
        })
        .collect();
    let mut nests = NestFinder(BTreeMap::new());
    for (_, _, file) in &parsed {
        nests.visit_file(file);
    }
    let mut by_path: BTreeMap<String, Route> = BTreeMap::new();
    for (rel, text, file) in &parsed {
        let mut consts = ConstFinder(BTreeMap::new());
        consts.visit_file(file);
        let mut finder = RouteFinder {
            consts: &consts.0,
            file: rel.clone(),
            text,
            nests: &nests.0,
            lets: BTreeMap::new(),
            prefix: String::new(),
            routes: Vec::new(),
        };
        finder.visit_file(file);
        for r in finder.routes {
            assert!(!r.methods.is_empty(), "{}: the route {} registers no method this test recognises", r.at, r.path);
            let entry = by_path.entry(r.path.clone()).or_insert_with(|| Route {
                methods: BTreeSet::new(),
                post_handlers: BTreeSet::new(),
                ..r.clone()
            });
            entry.methods.extend(r.methods);
            entry.post_handlers.extend(r.post_handlers.into_iter().map(|h| with_file(&r.at, h)));
        }
    }
    by_path.into_values().collect()
}

/// A route's POST handler with the file that declares the route in front: `["spend", "f"]`
/// routed in `direct_payments/mod.rs` becomes `["direct_payments/mod.rs", "spend", "f"]`.
fn with_file(at: &str, handler: Vec<String>) -> Vec<String> {
    let file = at.split(':').next().unwrap_or_default().to_string();
    std::iter::once(file).chain(handler).collect()
}

/// Whether a type names a multipart body (`Multipart`, `LateMultipart`).
struct MultipartFinder(bool);

impl<'ast> Visit<'ast> for MultipartFinder {
    fn visit_path_segment(&mut self, seg: &'ast syn::PathSegment) {
        self.0 |= seg.ident.to_string().contains("Multipart");
        syn::visit::visit_path_segment(self, seg);
    }
}

/// Every function, per file, that takes a multipart body among its arguments: a handler that
/// reads a file.
struct FileHandlers(BTreeMap<String, BTreeSet<String>>, String);

impl<'ast> Visit<'ast> for FileHandlers {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let mut finder = MultipartFinder(false);
        for input in &f.sig.inputs {
            if let syn::FnArg::Typed(t) = input {
                finder.visit_type(&t.ty);
            }
        }
        if finder.0 {
            self.0.entry(self.1.clone()).or_default().insert(f.sig.ident.to_string());
        }
        syn::visit::visit_item_fn(self, f);
    }
}

/// Whether a route's POST handler (as [`with_file`] gives it) is one that reads a file: a bare
/// name is looked up in the declaring file, `module::name` in the module's file.
fn reads_a_file(handler: &[String], file_handlers: &BTreeMap<String, BTreeSet<String>>) -> bool {
    match handler {
        [file, name] => file_handlers.get(file).is_some_and(|fns| fns.contains(name)),
        [_, .., module, name] => file_handlers.iter().any(|(file, fns)| {
            let stem = file.strip_suffix("/mod.rs").or_else(|| file.strip_suffix(".rs")).unwrap_or(file);
            (stem == module || stem.ends_with(&format!("/{module}"))) && fns.contains(name)
        }),
        _ => false,
    }
}

/// The paths of the routes whose POST handler reads a file.
fn routes_taking_files() -> BTreeSet<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut handlers = FileHandlers(BTreeMap::new(), String::new());
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read source");
        handlers.1 = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        handlers.visit_file(&syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display())));
    }
    declared_routes().into_iter().filter(|r| r.post_handlers.iter().any(|h| reads_a_file(h, &handlers.0))).map(|r| r.path).collect()
}

/// Issue 17 item 2: only the routes that take a file accept more than a form's body, so the
/// list the body guard reads must be exactly those routes.
#[test]
fn the_upload_routes_are_exactly_the_routes_whose_handlers_read_a_file() {
    let taking = routes_taking_files();
    let listed: BTreeSet<String> = caremarket_web::guard::UPLOAD_ROUTES.iter().map(|(p, _)| p.to_string()).collect();
    // The CQC import and the officers' and providers' returns, at least: the reader is working.
    for path in ["/imports", "/ecm/import", "/portal/returns/upload", "/direct-payments/spend/import", "/evidence/{kind}/{id}"] {
        assert!(taking.contains(path), "the reader did not see that {path} takes a file: {taking:?}");
    }
    let unlisted: Vec<&String> = taking.difference(&listed).collect();
    let extra: Vec<&String> = listed.difference(&taking).collect();
    assert!(
        unlisted.is_empty() && extra.is_empty(),
        "guard::UPLOAD_ROUTES disagrees with the routes whose handlers read a multipart body.\n\
         Take a file but are not listed (their uploads would be cut off at a form's size): {unlisted:?}\n\
         Listed but take no file: {extra:?}"
    );
}

/// The route's path with every parameter filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with("{*") {
                "no-such-file".to_string()
            } else if s.starts_with('{') {
                NO_SUCH_ID.to_string()
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

// ---------------------------------------------------------------------------------------------
// The expectations table.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// A signed-in user whose role has any one of these permissions.
    AnyOf(Vec<Permission>),
}

impl Expect {
    fn allows(&self, role: Option<Role>) -> bool {
        match (self, role) {
            (Expect::Public, _) => true,
            (_, None) => false,
            (Expect::SignedIn, Some(_)) => true,
            (Expect::AnyOf(ps), Some(r)) => ps.iter().any(|p| r.can(*p)),
        }
    }
}

fn permission(name: &str) -> Option<Permission> {
    Permission::ALL.into_iter().find(|p| format!("{p:?}") == name)
}

fn expectations() -> BTreeMap<(String, String), Expect> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/route_matrix/expectations.txt");
    let text = std::fs::read_to_string(&file).expect("read expectations.txt");
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [method, path, expect] = fields[..] else {
            panic!("expectations.txt line {}: want 'METHOD PATH EXPECTATION', found {line:?}", n + 1)
        };
        let expect = match expect {
            "public" => Expect::Public,
            "signed-in" => Expect::SignedIn,
            names => Expect::AnyOf(
                names
                    .split('|')
                    .map(|p| permission(p).unwrap_or_else(|| panic!("expectations.txt line {}: no permission named {p:?}", n + 1)))
                    .collect(),
            ),
        };
        let previous = out.insert((method.to_string(), path.to_string()), expect);
        assert!(previous.is_none(), "expectations.txt line {}: {method} {path} is listed twice", n + 1);
    }
    out
}

/// The line a route's table entry would be, from which identities were let through: the
/// permission held by exactly those roles, if one is.
fn suggest(method: &str, path: &str, allowed: &BTreeSet<Option<Role>>) -> String {
    let roles: BTreeSet<Role> = allowed.iter().flatten().copied().collect();
    let what = if allowed.contains(&None) {
        "public".to_string()
    } else if roles.len() == Role::ALL.len() {
        "signed-in".to_string()
    } else {
        Permission::ALL
            .into_iter()
            .filter(|p| Role::ALL.into_iter().filter(|r| r.can(*p)).collect::<BTreeSet<_>>() == roles)
            .map(|p| format!("{p:?}"))
            .collect::<Vec<_>>()
            .join("|")
    };
    if what.is_empty() { format!("{method} {path} ?    # let through: {roles:?}") } else { format!("{method} {path} {what}") }
}

// ---------------------------------------------------------------------------------------------
// The requests.

struct Identity {
    email: Option<String>,
    role: Option<Role>,
    client: Client,
    token: Option<String>,
}

impl Identity {
    fn name(&self) -> &str {
        self.email.as_deref().unwrap_or("not signed in")
    }

    async fn sign_in(&mut self) {
        if let Some(email) = self.email.clone() {
            self.client.get("/sign-in").await;
            let r = self.client.post_form("/sign-in", &[("email", &email), ("password", DEMO_PASSWORD)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "sign in as {email}");
            if let Some(to) = r.location {
                self.client.get(&to).await;
            }
        }
    }

    /// A form token this identity's session holds (or, not signed in, its form cookie's).
    async fn fresh_token(&mut self) -> String {
        if self.client.csrf().is_empty() {
            self.client.get("/sign-in").await;
        }
        self.client.csrf()
    }

    async fn request(&mut self, method: &str, path: &str, with_token: bool) -> Res {
        if path.starts_with(API_PREFIX) {
            let body = (method != "GET").then(|| serde_json::json!({}));
            return self.client.api(method, path, self.token.as_deref(), body).await;
        }
        match method {
            "GET" => self.client.get(path).await,
            "POST" if with_token => {
                let token = self.fresh_token().await;
                self.client.post_form_raw(path, &[("csrf_token", &token)]).await
            }
            "POST" => self.client.post_form_raw(path, &[]).await,
            other => {
                let req = axum::http::Request::builder()
                    .method(other)
                    .uri(path)
                    .header(axum::http::header::HOST, "localhost")
                    .body(axum::body::Body::empty())
                    .expect("request");
                self.client.send(req).await
            }
        }
    }
}

fn to_sign_in(r: &Res) -> bool {
    r.status == StatusCode::SEE_OTHER && r.location.as_deref().is_some_and(|l| l.starts_with("/sign-in"))
}

/// Whether the identity was let through: neither refused nor sent to sign in.
fn let_through(r: &Res) -> bool {
    r.status != StatusCode::FORBIDDEN && r.status != StatusCode::UNAUTHORIZED && !to_sign_in(r)
}

fn brief(r: &Res) -> String {
    let text = common::visible_text(r.body.split("<main").nth(1).unwrap_or(&r.body));
    format!("{} {}: {}", r.status.as_u16(), r.location.as_deref().unwrap_or(""), text.chars().take(160).collect::<String>())
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let routes = declared_routes();
    assert!(routes.len() > 100, "only {} routes found in the source: is the route reader broken?", routes.len());
    let table = expectations();

    let store = caremarket_testkit::sqlite().await.expect("sqlite");
    let demo = generate(&store, &DemoOptions::as_at(caremarket_store::today())).await.expect("demo");
    let mut identities = vec![Identity { email: None, role: None, client: Client::new(store.clone()), token: None }];
    let users = store.users().await.expect("users");
    for (email, role) in &demo.users {
        let user = users.iter().find(|u| &u.email == email).expect("demo user");
        let token = store
            .create_api_token(&caremarket_store::Actor::system("route matrix"), &user.id, "route matrix")
            .await
            .map(|(_, secret)| secret)
            .ok();
        let mut id = Identity { email: Some(email.clone()), role: Some(*role), client: Client::new(store.clone()), token };
        id.sign_in().await;
        identities.push(id);
    }
    assert_eq!(identities.len(), 10, "the demo's nine identities and one not signed in");

    let mut faults: Vec<String> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut cells = 0;
    let mut token_first: BTreeSet<String> = BTreeSet::new();
    let declared: BTreeSet<(String, String)> = routes.iter().flat_map(|r| r.methods.iter().map(|m| (m.clone(), r.path.clone()))).collect();
    for (method, path) in table.keys() {
        if !declared.contains(&(method.clone(), path.clone())) {
            faults.push(format!("expectations.txt lists {method} {path}, which no route in crates/web/src declares"));
        }
    }

    // Signing out is asked last, so no identity is signed out before its other requests.
    let mut order: Vec<&Route> = routes.iter().collect();
    order.sort_by_key(|r| r.path == "/sign-out");
    for route in order {
        let url = concrete(&route.path);
        let api = route.path.starts_with(API_PREFIX);
        let mut methods: BTreeSet<String> = route.methods.clone();
        methods.extend(["GET".to_string(), "POST".to_string()]);
        for method in &methods {
            let registered = route.methods.contains(method);
            let expect = table.get(&(method.clone(), route.path.clone()));
            let mut allowed = BTreeSet::new();
            for id in identities.iter_mut() {
                let tries: &[bool] = if method == "POST" && !api { &[true, false] } else { &[true] };
                for &with_token in tries {
                    let r = id.request(method, &url, with_token).await;
                    cells += 1;
                    let cell = format!(
                        "{method} {url} ({}) as {}{}",
                        route.at,
                        id.name(),
                        if method == "POST" && !api { if with_token { ", empty form" } else { ", no form token" } } else { "" }
                    );
                    if r.status.is_server_error() {
                        faults.push(format!("{cell}: server error {}", brief(&r)));
                        continue;
                    }
                    if !registered {
                        if r.status != StatusCode::METHOD_NOT_ALLOWED {
                            faults.push(format!("{cell}: the route has no {method}, so 405 was expected; {}", brief(&r)));
                        }
                        continue;
                    }
                    if with_token && let_through(&r) {
                        allowed.insert(id.role);
                    }
                    let Some(expect) = expect else { continue };
                    let should = expect.allows(id.role);
                    let wrong = match (should, id.role) {
                        // Signing out sends anyone to the sign-in page: on a public route only a
                        // refusal counts as one.
                        (true, _) if *expect == Expect::Public => {
                            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED).then(|| "not refused".to_string())
                        }
                        (true, _) => (!let_through(&r)).then(|| "let through".to_string()),
                        (false, None) if api => (r.status != StatusCode::UNAUTHORIZED).then(|| "401".to_string()),
                        (false, None) => (!to_sign_in(&r)).then(|| "a redirect to sign in".to_string()),
                        // Without a token, the form-token refusal may still come before the
                        // role's: nothing is done either way. Counted, to be turned into 403s.
                        (false, Some(_)) if !with_token && r.status == StatusCode::BAD_REQUEST && r.body.contains(TOKEN_REFUSAL) => {
                            token_first.insert(format!("{method} {}", route.path));
                            None
                        }
                        (false, Some(_)) => (r.status != StatusCode::FORBIDDEN).then(|| "403".to_string()),
                    };
                    if let Some(wanted) = wrong {
                        faults.push(format!("{cell}: expected {wanted} ({expect:?}), answered {}", brief(&r)));
                    }
                }
                if route.path == "/sign-out" && method == "POST" {
                    id.sign_in().await;
                }
            }
            if registered && expect.is_none() {
                missing.push(format!("{}    # {}", suggest(method, &route.path, &allowed), route.at));
            }
        }
    }
    let mut report = String::new();
    if !missing.is_empty() {
        report.push_str(&format!(
            "{} routes have no line in crates/web/tests/route_matrix/expectations.txt. Add one for each, saying who may use \
             it (the permission, `signed-in` or `public`); from what each identity was answered today:\n{}\n\n",
            missing.len(),
            missing.join("\n")
        ));
    }
    if !faults.is_empty() {
        report.push_str(&format!("{} faults in {cells} requests:\n{}", faults.len(), faults.join("\n")));
    }
    assert!(report.is_empty(), "{report}");
    eprintln!(
        "{} routes, {cells} requests; {} routes refuse a role's tokenless form for its token before its role:\n{}",
        routes.len(),
        token_first.len(),
        token_first.iter().cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_route_reader_finds_methods_nests_and_locals() {
    let text = r#"
        pub const CHANGE_PATH: &str = "/change";
        pub fn routes() -> Router<AppState> {
            let post_route = match throttled { Some(l) => post(sign_in).layer(l), None => post(sign_in) };
            Router::new()
                .route("/a/{id}", get(a).post(b))
                .route("/sign-in", get(page).merge(post_route))
                .route("/x", axum::routing::delete(x))
                .route(CHANGE_PATH, get(page).post(change))
        }
    "#;
    let file = syn::parse_file(text).expect("parse");
    let nests = BTreeMap::from([(("api/mod.rs".to_string(), "routes".to_string()), "/api/v1".to_string())]);
    let mut consts = ConstFinder(BTreeMap::new());
    consts.visit_file(&file);
    let mut finder = RouteFinder {
        consts: &consts.0,
        file: "api/mod.rs".into(),
        text,
        nests: &nests,
        lets: BTreeMap::new(),
        prefix: String::new(),
        routes: Vec::new(),
    };
    finder.visit_file(&file);
    let mut got: Vec<(String, Vec<String>)> = finder.routes.into_iter().map(|r| (r.path, r.methods.into_iter().collect())).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("/api/v1/a/{id}".to_string(), vec!["GET".to_string(), "POST".to_string()]),
            ("/api/v1/change".to_string(), vec!["GET".to_string(), "POST".to_string()]),
            ("/api/v1/sign-in".to_string(), vec!["GET".to_string(), "POST".to_string()]),
            ("/api/v1/x".to_string(), vec!["DELETE".to_string()]),
        ]
    );
    assert_eq!(concrete("/services/{id}/files/{*path}"), format!("/services/{NO_SUCH_ID}/files/no-such-file"));
}

#[test]
fn a_suggested_line_names_the_permission_held_by_exactly_the_roles_let_through() {
    let fees: BTreeSet<Option<Role>> = Role::ALL.into_iter().filter(|r| r.can(Permission::ManageFees)).map(Some).collect();
    assert!(suggest("POST", "/fees", &fees).split(['|', ' ']).any(|p| p == "ManageFees"));
    let everyone: BTreeSet<Option<Role>> = Role::ALL.into_iter().map(Some).collect();
    assert_eq!(suggest("GET", "/account", &everyone), "GET /account signed-in");
    let mut anyone = everyone.clone();
    anyone.insert(None);
    assert_eq!(suggest("GET", "/sign-in", &anyone), "GET /sign-in public");
    assert!(!Expect::AnyOf(vec![Permission::ManageFees]).allows(None));
    assert!(Expect::Public.allows(None));
}
