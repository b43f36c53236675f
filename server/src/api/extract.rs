//! Extractors. A pending login and a full session are different types, so no
//! handler can take one for the other; JSON bodies reject with our error shape.

use std::net::{IpAddr, SocketAddr};

use app::api::ErrorCode;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::de::DeserializeOwned;

use super::{ApiError, AppState};
use crate::entity::account;
use crate::service::audit::Trail;
use crate::service::sessions::{self, Session, SessionToken, Stage};
use crate::service::{ServiceError, accounts, guessing};

pub const SESSION_COOKIE: &str = "tessera_session";

/// `axum::Json`, but its rejections are [`ApiError`]s.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// `axum::extract::Query`, but its rejections are [`ApiError`]s.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // PostgreSQL text cannot hold NUL (a filter with one was a 500), and
        // no username or filter value has one. In a URI it can only be `%00`.
        if parts
            .uri
            .query()
            .is_some_and(|q| q.to_ascii_lowercase().contains("%00"))
        {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                "The query string does not fit: it contains a NUL character.",
            ));
        }
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// The `{id}` of `/accounts/{id}/...`. Anything that is not an id is a
/// login that does not exist: 404, like every login the caller may not see.
pub struct AccountId(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for AccountId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        id_in_path(parts, state, "id").await.map(Self)
    }
}

/// The `{app_password_id}` of `.../app-passwords/{app_password_id}`; like
/// [`AccountId`], anything else is one that does not exist.
pub struct AppPasswordId(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for AppPasswordId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        id_in_path(parts, state, "app_password_id").await.map(Self)
    }
}

async fn id_in_path<S: Send + Sync>(parts: &mut Parts, state: &S, name: &str) -> Result<i32, ApiError> {
    let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::not_found())?;
    params
        .iter()
        .find(|(key, _)| key == name)
        .and_then(|(_, raw)| raw.parse().ok())
        .ok_or_else(ApiError::not_found)
}

/// Where a request came from, for the security log: the client's address
/// and the browser's User-Agent.
impl FromRequestParts<AppState> for Trail {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                let forwarded = parts
                    .headers
                    .get_all(X_FORWARDED_FOR)
                    .iter()
                    .filter_map(|v| v.to_str().ok());
                client_ip(peer.ip(), forwarded, &state.trusted_proxies).to_string()
            });
        // Lossy rather than `to_str`, which refuses any byte outside visible
        // ASCII: one such byte must not keep the browser out of the log.
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()));
        Ok(Self::new(ip, user_agent.as_deref()))
    }
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address. Only a trusted proxy's `X-Forwarded-For` is read,
/// from the right: each trusted hop appends the address it saw, so the first
/// address from the right that is not a trusted proxy is the client (anything
/// further left was written by the client and proves nothing).
pub fn client_ip<'a>(peer: IpAddr, forwarded: impl Iterator<Item = &'a str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|header| header.split(',')).collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // A hop we cannot read ends what we can believe.
            Err(_) => break,
        }
    }
    client
}

/// A fully logged-in user: password and (when enabled) second factor done.
pub struct AuthUser {
    pub account: account::Model,
    /// The login used a recovery code (see [`Session::via_recovery_code`]).
    pub via_recovery_code: bool,
    /// The session's own token, for changes that end the others.
    pub token: SessionToken,
    /// When the session ends at the latest, idle or not.
    pub expires_at: crate::clock::UnixTime,
}

/// A login whose password was right and whose code is still to come.
pub struct PendingLogin {
    pub session: Session,
}

pub fn session_token(jar: &CookieJar) -> Option<SessionToken> {
    jar.get(SESSION_COOKIE)
        .and_then(|c| SessionToken::from_cookie(c.value()))
}

async fn current_session(parts: &mut Parts, state: &AppState) -> Result<Option<Session>, ApiError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(token) = session_token(&jar) else {
        return Ok(None);
    };
    Ok(sessions::find(&state.db, &token, state.clock.now(), state.session_idle).await?)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = current_session(parts, state).await?.filter(|s| s.stage == Stage::Full);
        let session = session.ok_or_else(ApiError::not_logged_in)?;
        // A login deleted meanwhile has logged out; a database that cannot
        // answer has not (the browser must not be sent to the login page).
        let account = match accounts::get(&state.db, session.account_id).await {
            Err(ServiceError::AccountNotFound) => return Err(ApiError::not_logged_in()),
            found => found?,
        };
        // A request is a use: the idle timeout starts again.
        sessions::touch(&state.db, &session, state.clock.now()).await?;
        Ok(Self {
            account,
            via_recovery_code: session.via_recovery_code,
            expires_at: session.expires_at,
            token: session.token,
        })
    }
}

impl FromRequestParts<AppState> for PendingLogin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = current_session(parts, state)
            .await?
            .filter(|s| s.stage == Stage::PendingMfa);
        Ok(Self {
            session: session.ok_or_else(ApiError::no_pending_login)?,
        })
    }
}

impl AppState {
    /// The session cookie: HttpOnly, SameSite=Lax, Secure when served over https.
    pub fn session_cookie(&self, token: &SessionToken) -> Cookie<'static> {
        Cookie::build((SESSION_COOKIE, token.expose().to_owned()))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure_cookies)
            .path("/")
            .build()
    }

    /// A browser's device cookie (see `service::guessing`): long-lived, and
    /// like the session's, out of scripts' reach.
    pub fn device_cookie(&self, name: String, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure_cookies)
            .path("/")
            .max_age(cookie::time::Duration::days(guessing::DEVICE_COOKIE_DAYS))
            .build()
    }

    pub fn removal_cookie(&self) -> Cookie<'static> {
        Cookie::build((SESSION_COOKIE, "")).path("/").build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_a_trusted_proxy_the_peer_is_the_client() {
        let spoofed = ["203.0.113.7"];
        assert_eq!(
            client_ip(ip("198.51.100.1"), spoofed.into_iter(), &[]),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("198.51.100.1"), spoofed.into_iter(), &[ip("10.0.0.1")]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client claims 1.2.3.4; the proxies saw 203.0.113.7.
        let headers = ["1.2.3.4, 203.0.113.7", "10.0.0.2"];
        assert_eq!(
            client_ip(ip("10.0.0.1"), headers.into_iter(), &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(client_ip(ip("10.0.0.1"), std::iter::empty(), &trusted), ip("10.0.0.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), ["garbage"].into_iter(), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), [" 2001:db8::1 "].into_iter(), &trusted),
            ip("2001:db8::1")
        );
    }
}
