//! Council single sign-on (issue 17 item 8): OpenID Connect's authorization code flow with PKCE,
//! state and nonce, through the `openidconnect` crate. The council's identity provider (Entra ID,
//! Google Workspace, Okta) vouches for the person; the store decides who they are here and which
//! role their groups give (`caremarket_store::single_sign_on`). The administrator's group
//! mappings are kept at `/admin/sign-in`.

use crate::AppState;
use crate::auth::{CSRF_KEY, CurrentUser, SIGNED_IN_AT_KEY, USER_KEY, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::{Permission, Role};
use caremarket_core::versions::Version;
use caremarket_store::StoreError;
use caremarket_store::single_sign_on::{Identity, Refusal, SignInOutcome};
use minijinja::context;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

pub const START_PATH: &str = "/sign-in/single-sign-on";
pub const CALLBACK_PATH: &str = "/sign-in/single-sign-on/callback";
const STATE_KEY: &str = "sso_state";
const NONCE_KEY: &str = "sso_nonce";
const VERIFIER_KEY: &str = "sso_verifier";

/// How caremarket reaches the council's identity provider (from the configuration file or
/// `CAREMARKET_OIDC_*`; see docs/configuration.md).
#[derive(Debug, Clone)]
pub struct SingleSignOnSettings {
    /// The issuer, whose `/.well-known/openid-configuration` is read once, at first use.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// This service's own address as people's browsers reach it (`https://caremarket.council.example`):
    /// the provider sends people back to `{redirect_base_url}/sign-in/single-sign-on/callback`.
    pub redirect_base_url: String,
    /// What the sign-in page calls the provider: "Sign in with {display_name}".
    pub display_name: String,
    /// Scopes asked for besides `openid email profile` (Okta sends groups only for `groups`).
    pub extra_scopes: Vec<String>,
}

impl SingleSignOnSettings {
    pub fn redirect_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.redirect_base_url.trim_end_matches('/'))
    }
}

/// The `groups` claim, as Entra ID, Okta and most providers send it: a list of group names or ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupsClaim {
    #[serde(default)]
    groups: Vec<String>,
}
impl AdditionalClaims for GroupsClaim {}

type GroupsTokenResponse = StandardTokenResponse<
    IdTokenFields<GroupsClaim, EmptyExtraTokenFields, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>,
    CoreTokenType,
>;

type OidcClient = Client<
    GroupsClaim,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    GroupsTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The configured provider, its client once discovered, and the HTTP client that talks to it.
pub struct SingleSignOn {
    pub settings: SingleSignOnSettings,
    client: tokio::sync::OnceCell<OidcClient>,
    http: openidconnect::reqwest::Client,
}

impl std::fmt::Debug for SingleSignOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleSignOn").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl SingleSignOn {
    pub fn new(settings: SingleSignOnSettings) -> Result<SingleSignOn, AppError> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider's answer send caremarket's requests anywhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|e| AppError::Internal(format!("single sign-on HTTP client: {e}")))?;
        Ok(SingleSignOn { settings, client: tokio::sync::OnceCell::new(), http })
    }

    /// The client, discovering the provider's endpoints and keys at first use. A failure is not
    /// kept, so the next sign-in tries again once the provider is back.
    async fn client(&self) -> Result<&OidcClient, String> {
        self.client
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.settings.issuer_url.clone()).map_err(|e| format!("issuer URL: {e}"))?;
                let metadata = CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(|e| format!("discovery: {e}"))?;
                let redirect = RedirectUrl::new(self.settings.redirect_url()).map_err(|e| format!("redirect URL: {e}"))?;
                Ok::<_, String>(
                    OidcClient::from_provider_metadata(
                        metadata,
                        ClientId::new(self.settings.client_id.clone()),
                        Some(ClientSecret::new(self.settings.client_secret.expose_secret().to_string())),
                    )
                    .set_redirect_uri(redirect),
                )
            })
            .await
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(START_PATH, get(start))
        .route(CALLBACK_PATH, get(callback))
        .route("/admin/sign-in", get(mappings_page).post(add_mapping))
        .route("/admin/sign-in/remove", post(remove_mapping))
}

fn configured(state: &AppState) -> Result<&SingleSignOn, AppError> {
    state.single_sign_on.as_deref().ok_or(AppError::NotFound)
}

/// A page that says why single sign-on did not sign the person in, and how to go on.
async fn refusal_page(state: &AppState, session: &Session, status: StatusCode, heading: &str, body: &str) -> Result<Response, AppError> {
    let ctx = session_context(state, session).await?;
    let html = state.renderer.render("sign_in_refused.html", &ctx, context! { heading => heading, body => body })?;
    Ok((status, Html(html)).into_response())
}

async fn start(session: Session, State(state): State<AppState>) -> Result<Response, AppError> {
    let sso = configured(&state)?;
    let client = match sso.client().await {
        Ok(c) => c,
        Err(cause) => {
            tracing::warn!(%cause, "single sign-on: the identity provider could not be reached");
            let body = format!(
                "caremarket could not reach {}. Try again in a few minutes, or sign in with your email address and password if you have one.",
                sso.settings.display_name
            );
            return refusal_page(&state, &session, StatusCode::SERVICE_UNAVAILABLE, "Single sign-on is not available", &body).await;
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    for scope in &sso.settings.extra_scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf_state, nonce) = request.url();
    session.insert(STATE_KEY, csrf_state.secret()).await?;
    session.insert(NONCE_KEY, nonce.secret()).await?;
    session.insert(VERIFIER_KEY, verifier.secret()).await?;
    Ok(Redirect::to(url.as_str()).into_response())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Compare without stopping at the first difference, so timing says nothing of the expected value.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn callback(session: Session, State(state): State<AppState>, Query(q): Query<CallbackQuery>) -> Result<Response, AppError> {
    let sso = configured(&state)?;
    let provider = sso.settings.display_name.clone();
    // One use only: whatever happens next, this sign-in's secrets are gone from the session.
    let expected_state: Option<String> = session.remove(STATE_KEY).await?;
    let nonce: Option<String> = session.remove(NONCE_KEY).await?;
    let verifier: Option<String> = session.remove(VERIFIER_KEY).await?;
    let start_again = "Go back to the sign-in page and start again.";
    let (Some(expected_state), Some(nonce), Some(verifier)) = (expected_state, nonce, verifier) else {
        tracing::info!("single sign-on refused: no sign-in was started in this browser");
        let body = format!("This browser did not start a sign-in with {provider}, or it has already finished. {start_again}");
        return refusal_page(&state, &session, StatusCode::BAD_REQUEST, "Sign-in could not be completed", &body).await;
    };
    if !q.state.as_deref().is_some_and(|s| same(s, &expected_state)) {
        tracing::info!("single sign-on refused: state did not match");
        let body = format!("The answer from {provider} does not belong to the sign-in this browser started. {start_again}");
        return refusal_page(&state, &session, StatusCode::BAD_REQUEST, "Sign-in could not be completed", &body).await;
    }
    if let Some(error) = q.error.as_deref() {
        tracing::info!(error = %error.chars().take(64).collect::<String>(), "single sign-on: the identity provider did not sign the person in");
        let body = format!("{provider} did not sign you in. {start_again}");
        return refusal_page(&state, &session, StatusCode::BAD_REQUEST, "Sign-in could not be completed", &body).await;
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        let body = format!("The answer from {provider} had no authorisation code. {start_again}");
        return refusal_page(&state, &session, StatusCode::BAD_REQUEST, "Sign-in could not be completed", &body).await;
    };
    let checked = exchange(sso, code, verifier, nonce).await;
    let token = match checked {
        Ok(t) => t,
        Err(cause) => {
            tracing::warn!(%cause, "single sign-on refused");
            let body = format!("caremarket could not confirm your sign-in with {provider}. {start_again}");
            return refusal_page(&state, &session, StatusCode::BAD_REQUEST, "Sign-in could not be completed", &body).await;
        }
    };
    let identity = Identity {
        issuer: &token.issuer,
        subject: &token.subject,
        email: token.email.as_deref(),
        email_verified: token.email_verified,
        name: token.name.as_deref(),
        groups: &token.groups,
    };
    let outcome = match state.store.single_sign_on(&identity).await {
        Ok(o) => o,
        Err(StoreError::Invalid(e)) => {
            tracing::info!(field = %e.field, "single sign-on refused: the provider's claims were not acceptable");
            let body = format!("{provider} sent details caremarket cannot accept ({}). Ask your caremarket administrator.", e.message);
            return refusal_page(&state, &session, StatusCode::FORBIDDEN, "You cannot sign in to caremarket", &body).await;
        }
        Err(e) => return Err(e.into()),
    };
    match outcome {
        SignInOutcome::SignedIn { user, created } => {
            // As for a password sign-in: a new session id and a new form token.
            session.cycle_id().await?;
            session.insert(USER_KEY, &user.id).await?;
            session.insert(CSRF_KEY, &crate::csrf::fresh_token()).await?;
            session.insert(SIGNED_IN_AT_KEY, caremarket_store::now_timestamp()).await?;
            tracing::info!(user_id = %user.id, created, "signed in with single sign-on");
            Ok(Redirect::to(user.role.home()).into_response())
        }
        SignInOutcome::Refused(refusal) => {
            tracing::info!(?refusal, "single sign-on refused");
            let body = match refusal {
                Refusal::NoMappedGroup => format!(
                    "{provider} signed you in, but none of your groups there has been given access to caremarket. Ask your caremarket administrator to give one of your groups a role."
                ),
                Refusal::Deactivated => {
                    "Your caremarket account has been deactivated. Ask your caremarket administrator if you need it again.".to_string()
                }
                Refusal::EmailNotVerified => format!(
                    "{provider} did not confirm your email address, so caremarket cannot tell which account is yours. Ask your caremarket administrator."
                ),
                Refusal::ProviderAccount => {
                    "Care provider accounts sign in with their email address and password, not single sign-on.".to_string()
                }
            };
            refusal_page(&state, &session, StatusCode::FORBIDDEN, "You cannot sign in to caremarket", &body).await
        }
    }
}

/// What the checked ID token says.
struct Checked {
    issuer: String,
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
    groups: Vec<String>,
}

/// Exchange the code (with the PKCE verifier) and check the ID token: signature against the
/// provider's keys, issuer, audience, expiry and the nonce this browser's sign-in was given.
async fn exchange(sso: &SingleSignOn, code: String, verifier: String, nonce: String) -> Result<Checked, String> {
    let client = sso.client().await?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| format!("token endpoint: {e}"))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&sso.http)
        .await
        .map_err(|e| format!("token exchange: {e}"))?;
    let id_token = response.id_token().ok_or("the token response had no ID token")?;
    let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(nonce)).map_err(|e| format!("ID token: {e}"))?;
    Ok(Checked {
        issuer: claims.issuer().as_str().to_string(),
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
        groups: claims.additional_claims().groups.clone(),
    })
}

// ----- the administrator's group mappings -----

#[derive(Serialize)]
struct MappingRow {
    group: String,
    role: &'static str,
}

#[derive(Serialize)]
struct RoleChoice {
    value: &'static str,
    text: &'static str,
}

#[derive(Debug, Default, Deserialize)]
struct MappingsQuery {
    added: Option<String>,
    removed: Option<String>,
    /// A row's Change link: the group whose role to change.
    group: Option<String>,
}

/// The mapping form as the administrator left it: the group and role typed, and, for a row's
/// Change form, the version of the group's mapping it was opened at (decision 25).
struct MappingView<'a> {
    group: &'a str,
    role: &'a str,
    change_version: Option<i64>,
}

async fn render_mappings(
    state: &AppState,
    user: &CurrentUser,
    reply: crate::versions::Reply,
    banner: Option<String>,
    errors: Vec<minijinja::Value>,
    form: MappingView<'_>,
) -> Result<Response, AppError> {
    let rows: Vec<MappingRow> =
        state.store.sign_in_groups().await?.into_iter().map(|m| MappingRow { group: m.group, role: m.role.label() }).collect();
    let roles: Vec<RoleChoice> =
        Role::ALL.into_iter().filter(|r| *r != Role::Provider).map(|r| RoleChoice { value: r.as_str(), text: r.label() }).collect();
    let provider = state.single_sign_on.as_ref().map(|s| s.settings.display_name.clone());
    let redirect_url = state.single_sign_on.as_ref().map(|s| s.settings.redirect_url());
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "admin_sign_in.html",
        &ctx,
        context! {
            mappings => rows, roles => roles, provider => provider, redirect_url => redirect_url, banner => banner, errors => errors,
            group => form.group, role => form.role, change_version => form.change_version, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}

async fn mappings_page(user: CurrentUser, State(state): State<AppState>, Query(q): Query<MappingsQuery>) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let banner = match (q.added.is_some(), q.removed.is_some()) {
        (true, _) => Some("Group mapping saved. People in the group get its role when they next sign in.".to_string()),
        (_, true) => Some("Group mapping removed. People in the group lose its role when they next sign in.".to_string()),
        _ => None,
    };
    // A row's Change link opens the group's own form, at the version its mapping is at now.
    let changing = match q.group.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => match state.store.sign_in_groups().await?.into_iter().find(|m| m.group == g) {
            Some(m) => Some((m.group, m.role.as_str(), state.store.group_mapping_version(g).await?)),
            None => return Err(AppError::NotFound),
        },
        None => None,
    };
    let form = match &changing {
        Some((g, r, v)) => MappingView { group: g, role: r, change_version: Some(*v) },
        None => MappingView { group: "", role: "", change_version: None },
    };
    render_mappings(&state, &user, crate::versions::Reply::status(StatusCode::OK), banner, Vec::new(), form).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MappingForm {
    group: String,
    role: String,
    /// Sent by a row's Change form only; the blank form adds a group not mapped yet.
    version: Option<String>,
}

async fn add_mapping(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<MappingForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let role = Role::parse(&form.role).filter(|r| *r != Role::Provider);
    let expected = form.version.as_deref().map(|v| Version::parse(v).unwrap_or(Version::STALE_FORM));
    let result = match (role, expected) {
        (Some(role), Some(expected)) => state.store.remap_group_at(&user.actor(), &form.group, role, expected).await,
        (Some(role), None) => state.store.add_group_mapping(&user.actor(), &form.group, role).await,
        (None, _) => Err(StoreError::invalid("role", "Choose the role people in this group get")),
    };
    let view = MappingView { group: &form.group, role: &form.role, change_version: expected.map(|v| v.get()) };
    match result {
        Ok(m) => {
            tracing::info!(role = m.role.as_str(), "sign-in group mapped");
            Ok(Redirect::to("/admin/sign-in?added=1").into_response())
        }
        Err(StoreError::Stale { current }) => {
            let group = form.group.trim();
            let now = state.store.sign_in_groups().await?.into_iter().find(|m| m.group == group);
            let changes = caremarket_core::versions::changes([(
                "Role",
                now.map(|m| m.role.label().to_string()).unwrap_or_else(|| "Not mapped (removed)".to_string()),
                role.map(|r| r.label().to_string()).unwrap_or_default(),
            )]);
            let expected = expected.unwrap_or(Version::STALE_FORM);
            let stale = crate::versions::stale(&state, "sign_in_group", group, current, expected, changes).await?;
            let view = MappingView { change_version: Some(current), ..view };
            render_mappings(&state, &user, crate::versions::Reply::stale(stale.notice), None, Vec::new(), view).await
        }
        Err(StoreError::Invalid(e)) => {
            let errors = vec![crate::render::field_error(&e.field, &e.message)];
            render_mappings(&state, &user, crate::versions::Reply::status(StatusCode::BAD_REQUEST), None, errors, view).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove_mapping(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<MappingForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    match state.store.unmap_group(&user.actor(), &form.group).await {
        Ok(()) => Ok(Redirect::to("/admin/sign-in?removed=1").into_response()),
        Err(StoreError::Invalid(e)) => {
            let errors = vec![crate::render::field_error("group", &e.message)];
            let view = MappingView { group: "", role: "", change_version: None };
            render_mappings(&state, &user, crate::versions::Reply::status(StatusCode::BAD_REQUEST), None, errors, view).await
        }
        Err(e) => Err(e.into()),
    }
}
