//! `/api/v1/mail/auth`: the question nginx's mail proxy asks before it lets
//! an IMAP, POP3 or SMTP login through, in two dialects:
//!
//! - `GET`: nginx's `auth_http` protocol (<https://nginx.org/en/docs/mail/ngx_mail_auth_http_module.html>).
//!   The login comes in `Auth-*` headers; the answer is always 200 with
//!   `Auth-Status: OK` and the backend (`Auth-Server`, `Auth-Port`,
//!   `Auth-User`, and `Auth-Pass` set to the backend secret, so the user's
//!   app password never reaches Dovecot), or `Auth-Status: <message>` with
//!   `Auth-Wait`. nginx ignores the status line and reads at most 1 KiB.
//! - `POST`: the same check as JSON, for gateways that cannot speak through
//!   nginx (ActiveSync: z-push, SOGo).
//!
//! Only the configured proxy may ask: from one of its addresses and with
//! the shared secret; anyone else gets 403, and the attempt is logged.

use std::net::{IpAddr, SocketAddr};

use app::api::{ErrorBody, ErrorCode, MailAuthRequest, MailAuthResponse};
use app::domain::MailProtocol;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::extract::ApiJson;
use super::{ApiError, ApiResult, AppState};
use crate::service::audit::Trail;
use crate::service::mail_auth::{self, MailAuthSettings, MailLogin, Refused, SECRET_HEADER};
use crate::service::{ServiceError, sha256_hex};

pub fn router() -> Router<AppState> {
    Router::new().route("/mail/auth", get(nginx).post(json))
}

/// The settings, if `peer` is the configured proxy and sent the secret.
fn the_proxy<'a>(state: &'a AppState, peer: IpAddr, headers: &HeaderMap) -> Result<&'a MailAuthSettings, ApiError> {
    let refuse = |why: &'static str| {
        tracing::warn!(target: "security", %peer, why, "mail authentication request refused");
        ApiError::new(ErrorCode::Forbidden, "Only the configured mail proxy may ask here.")
    };
    let Some(settings) = state.mail_auth.as_deref() else {
        return Err(refuse("mail authentication is off (no --mail-auth-secret-file)"));
    };
    if !settings.proxies.contains(&peer.to_canonical()) {
        return Err(refuse("not from an address given with --mail-proxy"));
    }
    // Hashed first, so that the comparison takes as long whatever the length.
    let sent = headers.get(SECRET_HEADER).map(|v| sha256_hex(&[v.as_bytes()]));
    let expected = sha256_hex(&[settings.secret.expose_secret().as_bytes()]);
    match sent {
        Some(sent) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => Ok(settings),
        Some(_) => Err(refuse("wrong secret")),
        None => Err(refuse("no secret")),
    }
}

/// nginx's mail proxy asks (`auth_http`). See the module's documentation.
#[utoipa::path(get, path = "/api/v1/mail/auth", tag = "mail", params(
    ("X-Tessera-Mail-Secret" = String, Header, description = "The secret of --mail-auth-secret-file"),
    ("Auth-Method" = String, Header, description = "`plain` (PLAIN and LOGIN); others are refused"),
    ("Auth-User" = String, Header, description = "URL-escaped"),
    ("Auth-Pass" = String, Header, description = "URL-escaped"),
    ("Auth-Protocol" = String, Header, description = "`imap`, `pop3` or `smtp`"),
    ("Client-IP" = String, Header, description = "The mail client's address"),
), responses(
    (status = 200, description = "`Auth-Status: OK` with `Auth-Server`, `Auth-Port`, `Auth-User`, `Auth-Pass`; \
        or `Auth-Status: <why>` with `Auth-Wait` (and `Auth-Error-Code` for SMTP)"),
    (status = 403, description = "`forbidden`: not the configured proxy, or no secret", body = ErrorBody),
))]
pub async fn nginx(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let settings = match the_proxy(&state, peer.ip(), &headers) {
        Ok(settings) => settings,
        Err(e) => return e.into_response(),
    };
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Ok(protocol) = text("auth-protocol").parse::<MailProtocol>() else {
        return refusal(None, "Unknown protocol", 0);
    };
    let smtp = protocol == MailProtocol::Smtp;
    if !text("auth-method").eq_ignore_ascii_case("plain") {
        // APOP and CRAM-MD5 need the password in the clear on our side.
        return refusal(
            smtp.then_some(SMTP_WEAK),
            "Log in with a plain password (PLAIN or LOGIN) over TLS",
            1,
        );
    }
    let Some(backend) = settings.backends.of(protocol) else {
        let message = format!("{} is not offered here", protocol.label());
        return refusal(smtp.then_some(SMTP_TEMPORARY), &message, 1);
    };
    let (Some(username), Some(password)) = (unescaped(text("auth-user")), unescaped(text("auth-pass"))) else {
        return refusal(smtp.then_some(SMTP_INVALID), INVALID, 1);
    };
    let client_ip = text("client-ip").parse().unwrap_or(peer.ip()).to_canonical();
    let login = MailLogin {
        username: &username,
        password: &password,
        protocol,
        client_ip,
    };
    let trail = Trail::new(Some(client_ip.to_string()), None);
    let now = state.clock.now();
    match mail_auth::authenticate(
        &state.db,
        &state.hasher,
        &state.keys,
        &state.mail_failures,
        settings.require_app_passwords,
        state.guessing,
        login,
        now,
        &trail,
    )
    .await
    {
        Ok(granted) => {
            // Dovecot's master user logs in to IMAP and POP3; the SMTP server
            // behind nginx learns the mailbox itself (XCLIENT LOGIN=).
            let user = match &settings.master_user {
                Some(master) if !smtp => format!("{}*{master}", granted.username),
                _ => granted.username,
            };
            let pass = settings.backend_password.as_ref().filter(|_| !smtp);
            granted_response(backend, &user, pass.map(|p| p.expose_secret()))
        }
        Err(Refused { error, wait }) => {
            let user: String = username.chars().take(254).collect();
            tracing::info!(target: "security", ?user, %client_ip, %protocol, error = %error, "mail login refused");
            let (code, message) = nginx_message(&state, &error);
            refusal(smtp.then_some(code), &message, wait)
        }
    }
}

const INVALID: &str = "Invalid login or password";
const SMTP_INVALID: &str = "535 5.7.8";
const SMTP_TEMPORARY: &str = "454 4.7.0";
const SMTP_WEAK: &str = "534 5.7.9";

/// What the mail client is told, in ASCII (a header value), and SMTP's code.
fn nginx_message(state: &AppState, error: &ServiceError) -> (&'static str, String) {
    let where_ = match &state.public_origin {
        Some(origin) => format!("in webmail ({}/webmail/account): My account, App passwords", origin),
        None => "in webmail: My account, App passwords".to_owned(),
    };
    match error {
        ServiceError::InvalidCredentials => (SMTP_INVALID, INVALID.to_owned()),
        ServiceError::AppPasswordRequired { two_factor: true } => (
            SMTP_INVALID,
            format!("This mailbox has two-factor authentication: log in with an app password. Create one {where_}"),
        ),
        ServiceError::AppPasswordRequired { two_factor: false } => (
            SMTP_INVALID,
            format!("Mail apps log in with an app password here. Create one {where_}"),
        ),
        ServiceError::AppPasswordExpired => (
            SMTP_INVALID,
            format!("This app password has expired: create a new one {where_}"),
        ),
        ServiceError::AppPasswordNotForProtocol(protocol) => (
            SMTP_INVALID,
            format!(
                "This app password is not for {}: create one that is {where_}",
                protocol.label()
            ),
        ),
        ServiceError::TooManyLoginFailures { retry_after } => (
            SMTP_TEMPORARY,
            format!(
                "Too many failed logins from your address: try again in {} minutes",
                retry_after.div_ceil(60)
            ),
        ),
        ServiceError::PasswordThrottled { retry_after } => (
            SMTP_TEMPORARY,
            format!(
                "Too many failed logins for this mailbox: try again in {} minutes, or log in with an app password",
                retry_after.div_ceil(60)
            ),
        ),
        ServiceError::Busy => (SMTP_TEMPORARY, "Server busy: try again in a moment".to_owned()),
        other => {
            tracing::error!(error = %other, "mail authentication failed");
            (
                SMTP_TEMPORARY,
                "Temporary authentication failure: try again later".to_owned(),
            )
        }
    }
}

/// nginx escapes `Auth-User` and `Auth-Pass` like a URL; anything that is
/// not UTF-8 once unescaped is no login of ours.
fn unescaped(escaped: &str) -> Option<String> {
    percent_encoding::percent_decode_str(escaped)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

fn header(name: &'static str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((HeaderName::from_static(name), HeaderValue::from_str(value).ok()?))
}

fn granted_response(backend: SocketAddr, user: &str, pass: Option<&str>) -> Response {
    let headers = [
        header("auth-status", "OK"),
        header("auth-server", &backend.ip().to_string()),
        header("auth-port", &backend.port().to_string()),
        header("auth-user", user),
        pass.and_then(|p| header("auth-pass", p)),
    ];
    with_headers(headers)
}

/// A refusal nginx passes on: the message, the wait before it (without
/// one nginx drops SMTP clients before they read it) and SMTP's code.
fn refusal(smtp_code: Option<&str>, message: &str, wait: u64) -> Response {
    let headers = [
        header("auth-status", message).or_else(|| header("auth-status", INVALID)),
        header("auth-wait", &wait.max(1).to_string()),
        smtp_code.and_then(|code| header("auth-error-code", code)),
    ];
    with_headers(headers)
}

fn with_headers<const N: usize>(headers: [Option<(HeaderName, HeaderValue)>; N]) -> Response {
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().extend(headers.into_iter().flatten());
    response
}

/// The same check as JSON, for ActiveSync gateways (z-push, SOGo) and
/// anything else that cannot speak through nginx.
#[utoipa::path(post, path = "/api/v1/mail/auth", tag = "mail", request_body = MailAuthRequest, params(
    ("X-Tessera-Mail-Secret" = String, Header, description = "The secret of --mail-auth-secret-file"),
), responses(
    (status = 200, description = "The login may proceed", body = MailAuthResponse),
    (status = 401, description = "`invalid_credentials`, `app_password_required`, `app_password_expired`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the configured proxy; `protocol_not_allowed`", body = ErrorBody),
    (status = 422, description = "`invalid_input`: `client_ip` is not an address", body = ErrorBody),
    (status = 429, description = "`too_many_failures`, with Retry-After", body = ErrorBody),
))]
pub async fn json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: Result<ApiJson<MailAuthRequest>, ApiError>,
) -> ApiResult<Json<MailAuthResponse>> {
    let settings = the_proxy(&state, peer.ip(), &headers)?;
    let ApiJson(request) = request?;
    let client_ip = match request.client_ip.as_deref() {
        Some(ip) => ip
            .trim()
            .parse::<IpAddr>()
            .map_err(|_| ApiError::new(ErrorCode::InvalidInput, "client_ip is not an IP address."))?,
        None => peer.ip(),
    }
    .to_canonical();
    let login = MailLogin {
        username: &request.username,
        password: &request.password,
        protocol: request.protocol,
        client_ip,
    };
    let trail = Trail::new(Some(client_ip.to_string()), None);
    let granted = mail_auth::authenticate(
        &state.db,
        &state.hasher,
        &state.keys,
        &state.mail_failures,
        settings.require_app_passwords,
        state.guessing,
        login,
        state.clock.now(),
        &trail,
    )
    .await
    .map_err(|refused| ApiError::from(refused.error))?;
    Ok(Json(MailAuthResponse {
        username: granted.username,
        app_password: granted.app_password,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_escapes_are_undone() {
        assert_eq!(unescaped("info%40example.com").as_deref(), Some("info@example.com"));
        assert_eq!(unescaped("k7m2%20q9xp%25").as_deref(), Some("k7m2 q9xp%"));
        assert_eq!(unescaped("plain").as_deref(), Some("plain"));
        assert_eq!(unescaped("%ff%fe"), None);
    }

    #[test]
    fn a_refusal_fits_nginx_and_keeps_smtp_clients_listening() {
        let response = refusal(Some(SMTP_INVALID), INVALID, 0);
        let headers = response.headers();
        assert_eq!(
            headers.get("auth-status").map(|v| v.as_bytes()),
            Some(INVALID.as_bytes())
        );
        assert_eq!(headers.get("auth-wait").map(|v| v.as_bytes()), Some(&b"1"[..]));
        assert_eq!(
            headers.get("auth-error-code").map(|v| v.as_bytes()),
            Some(SMTP_INVALID.as_bytes())
        );
        // A message that is no header value still refuses.
        let odd = refusal(None, "line\nbreak", 3);
        assert_eq!(
            odd.headers().get("auth-status").map(|v| v.as_bytes()),
            Some(INVALID.as_bytes())
        );
    }
}
