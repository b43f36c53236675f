//! The REST API, `/api/v1`: one router per feature, merged, behind the
//! layers every endpoint shares (size limit, same-origin check, no-store).

mod accounts;
mod app_passwords;
mod audit;
mod auth;
mod error;
mod extract;
mod forms;
mod mail_auth;
mod mfa;
mod notices;
pub mod openapi;
mod password;
mod sessions;
mod setup_links;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::clock::Clock;
use crate::service::PasswordHasher;
use crate::service::guessing::Limits;
use crate::service::keys::Keys;
use crate::service::mail::Mailer;
use crate::service::mail_auth::{FailureLog, MailAuthSettings};
use crate::service::totp::Totp;

pub use error::{ApiError, ApiResult};

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What every handler may reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub hasher: PasswordHasher,
    pub totp: Arc<Totp>,
    /// Seal secrets and key hashes (also `totp.keys`).
    pub keys: Arc<Keys>,
    /// The free wrong passwords (`service::guessing`).
    pub guessing: Limits,
    /// Seconds a full session lasts without a request.
    pub session_idle: i64,
    pub clock: Clock,
    pub secure_cookies: bool,
    /// The origin browsers must send state-changing requests from; `None`
    /// means "the same host the request was sent to".
    pub public_origin: Option<Arc<str>>,
    /// Proxies whose `X-Forwarded-For` names the client (see `extract::client_ip`).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// `None` when mail is off: no e-mailed codes then.
    pub mailer: Option<Arc<Mailer>>,
    /// Where links in mails point: the public origin, else the address served.
    pub links_base: Arc<str>,
    /// `None`: nobody may ask `/api/v1/mail/auth`.
    pub mail_auth: Option<Arc<MailAuthSettings>>,
    /// Recent failed mail logins, per user and client address.
    pub mail_failures: Arc<FailureLog>,
    /// What mail clients are told to connect to.
    pub mail_clients: Arc<[app::api::MailServer]>,
    pub leptos: LeptosOptions,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

pub fn router(state: AppState) -> Router<AppState> {
    let v1 = Router::new()
        .merge(auth::router())
        .merge(mfa::router())
        .merge(accounts::router())
        .merge(audit::router())
        .merge(notices::router())
        .merge(app_passwords::router())
        .merge(setup_links::router())
        .merge(sessions::router())
        .merge(password::router())
        .merge(mail_auth::router())
        .merge(openapi::router())
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() });
    Router::new()
        .nest("/api/v1", v1)
        // `nest` leaves the bare prefix with a slash to the pages' router.
        .route("/api/v1/", any(|| async { ApiError::not_found() }))
        .merge(forms::router())
        .layer(middleware::from_fn_with_state(state, same_origin_only))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// Refuses state-changing requests a browser sent from another site (CSRF).
/// Non-browser clients send no `Origin` and are not at risk.
async fn same_origin_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !state.same_origin(&request) {
        tracing::warn!(target: "security", origin = ?request.headers().get(header::ORIGIN), "cross-origin request refused");
        return ApiError::cross_origin().into_response();
    }
    next.run(request).await
}

impl AppState {
    /// Whether this server sends mail, so e-mailed codes are asked for.
    pub fn mail_on(&self) -> bool {
        self.mailer.is_some()
    }

    fn same_origin(&self, request: &Request) -> bool {
        let headers = request.headers();
        // What the browser says (no page can set it) comes first: a form it
        // posts under `Referrer-Policy: no-referrer` says `Origin: null`.
        match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
            Some(b"cross-site") => return false,
            Some(b"same-origin") => return true,
            _ => {}
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if let Some(expected) = &self.public_origin {
            return origin == &**expected;
        }
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
    }
}
