//! The browser's REST client: one typed function per endpoint of `/api/v1`.
//!
//! Requests are only ever made in the browser (from event handlers and local
//! resources); the server renders pages without calling its own API.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    AccountFilter, AccountList, AccountSummary, AppPasswordCreated, AppPasswordList, AuditFilter,
    ChangePasswordRequest, CombinedLoginRequest, EmailCodeSent, ErrorBody, ErrorCode, EventNotMeRequest, LoginRequest,
    LoginResponse, MeResponse, MfaCodeRequest, MyEventsFilter, NewAppPasswordRequest, NotMeRequest, NotMeResponse,
    PasswordAndCodeRequest, PasswordRequest, RecoveryCodesResponse, SecurityEventList, SessionList, SessionsEnded,
    SetupLinkActivateRequest, SetupLinkSent, SetupLinkStartRequest, SetupLinkStarted, TotpActivateRequest,
    TotpSetupResponse,
};

/// A failed call, ready to show: the API's error, or a network failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    /// [`ErrorCode::Unknown`] when the answer was not the API's error.
    pub code: ErrorCode,
    pub message: String,
    /// Seconds the server asked to wait.
    pub retry_after: Option<u64>,
}

impl ClientError {
    fn network() -> Self {
        Self {
            status: 0,
            code: ErrorCode::Unknown,
            message: "Tessera could not be reached. Check your connection and try again.".to_owned(),
            retry_after: None,
        }
    }

    fn unexpected(status: u16) -> Self {
        Self {
            status,
            code: ErrorCode::Unknown,
            message: format!("Unexpected answer from the server ({status})."),
            retry_after: None,
        }
    }

    /// The session is gone (logged out, expired): the login page is next.
    pub fn is_not_logged_in(&self) -> bool {
        self.code == ErrorCode::NotLoggedIn
    }
}

pub async fn login(request: LoginRequest) -> Result<LoginResponse, ClientError> {
    post_json("/api/v1/login", &request).await
}

pub async fn login_mfa(code: String) -> Result<LoginResponse, ClientError> {
    post_json("/api/v1/login/mfa", &MfaCodeRequest { code }).await
}

/// Asks for a code by e-mail for the pending login (again: at most once a minute).
pub async fn send_email_code() -> Result<EmailCodeSent, ClientError> {
    let (status, body) = transport::send("POST", "/api/v1/login/mfa/email", None).await?;
    decode(status, &body)
}

/// "This wasn't me", with the token from a security notice's link.
pub async fn not_me(token: String) -> Result<NotMeResponse, ClientError> {
    post_json("/api/v1/not-me", &NotMeRequest { token }).await
}

/// "This wasn't me" beside one of one's own events; this session ends too.
pub async fn event_not_me(event_id: i32) -> Result<NotMeResponse, ClientError> {
    post_json("/api/v1/me/not-me", &EventNotMeRequest { event_id }).await
}

pub async fn logout() -> Result<(), ClientError> {
    post_no_content("/api/v1/logout", None::<&()>).await
}

pub async fn me() -> Result<MeResponse, ClientError> {
    get_json("/api/v1/me").await
}

pub async fn totp_setup(password: String) -> Result<TotpSetupResponse, ClientError> {
    post_json("/api/v1/me/mfa/totp/setup", &PasswordRequest { password }).await
}

pub async fn totp_activate(code: String) -> Result<RecoveryCodesResponse, ClientError> {
    post_json("/api/v1/me/mfa/totp/activate", &TotpActivateRequest { code }).await
}

/// Moving the app to a new phone, step one: a new secret for it.
pub async fn totp_move_start(password: String, code: String) -> Result<TotpSetupResponse, ClientError> {
    post_json("/api/v1/me/mfa/totp/move", &PasswordAndCodeRequest { password, code }).await
}

/// Step two: the new phone's first code; the old app's codes stop working.
pub async fn totp_move_confirm(code: String) -> Result<(), ClientError> {
    post_no_content("/api/v1/me/mfa/totp/move/confirm", Some(&TotpActivateRequest { code })).await
}

pub async fn totp_disable(password: String, code: String) -> Result<(), ClientError> {
    post_no_content(
        "/api/v1/me/mfa/totp/disable",
        Some(&PasswordAndCodeRequest { password, code }),
    )
    .await
}

pub async fn regenerate_recovery_codes(password: String, code: String) -> Result<RecoveryCodesResponse, ClientError> {
    post_json(
        "/api/v1/me/mfa/recovery-codes",
        &PasswordAndCodeRequest { password, code },
    )
    .await
}

/// The User Panel's login: password with the code appended.
pub async fn login_combined(request: CombinedLoginRequest) -> Result<LoginResponse, ClientError> {
    post_json("/api/v1/login/combined", &request).await
}

/// The signed-in user's own security events, a page of 20 (older than `before`).
pub async fn my_events(before: Option<i32>) -> Result<SecurityEventList, ClientError> {
    get_json(&with_query("/api/v1/me/events", &MyEventsFilter { before })).await
}

/// A new password for the logged-in login; the others are logged out.
pub async fn change_password(request: ChangePasswordRequest) -> Result<(), ClientError> {
    post_no_content("/api/v1/me/password", Some(&request)).await
}

/// The browsers logged in as this login.
pub async fn my_sessions() -> Result<SessionList, ClientError> {
    get_json("/api/v1/me/sessions").await
}

pub async fn end_session(id: String) -> Result<(), ClientError> {
    delete(&format!("/api/v1/me/sessions/{id}")).await
}

pub async fn end_other_sessions() -> Result<SessionsEnded, ClientError> {
    let (status, body) = transport::send("DELETE", "/api/v1/me/sessions/others", None).await?;
    decode(status, &body)
}

/// When this page last had an answer from the API (milliseconds since the
/// epoch; 0 before the first): each request keeps the session alive, so the
/// idle warning counts from here.
pub fn last_answer_at() -> f64 {
    transport::LAST_ANSWER.with(std::cell::Cell::get)
}

/// The logins the caller manages: a customer's packages and mailboxes, or
/// (for an administrator) every login matching the filter.
pub async fn accounts(filter: &AccountFilter) -> Result<AccountList, ClientError> {
    get_json(&with_query("/api/v1/accounts", filter)).await
}

pub async fn account(id: i32) -> Result<AccountSummary, ClientError> {
    get_json(&format!("/api/v1/accounts/{id}")).await
}

/// Starts 2FA set-up for a managed login; `password` is the caller's own.
pub async fn account_totp_setup(id: i32, password: String) -> Result<TotpSetupResponse, ClientError> {
    post_json(
        &format!("/api/v1/accounts/{id}/mfa/totp/setup"),
        &PasswordRequest { password },
    )
    .await
}

pub async fn account_totp_activate(id: i32, code: String) -> Result<RecoveryCodesResponse, ClientError> {
    post_json(
        &format!("/api/v1/accounts/{id}/mfa/totp/activate"),
        &TotpActivateRequest { code },
    )
    .await
}

/// Switches a managed login's 2FA off; `password` is the caller's own.
pub async fn account_mfa_disable(id: i32, password: String) -> Result<(), ClientError> {
    post_no_content(
        &format!("/api/v1/accounts/{id}/mfa/disable"),
        Some(&PasswordRequest { password }),
    )
    .await
}

/// E-mails a managed login a single-use link to set up its app.
pub async fn send_setup_link(id: i32) -> Result<SetupLinkSent, ClientError> {
    let (status, body) = transport::send("POST", &format!("/api/v1/accounts/{id}/mfa/setup-link"), None).await?;
    decode(status, &body)
}

/// From a set-up link: the login's password; answers the QR code.
pub async fn setup_link_start(token: String, password: String) -> Result<SetupLinkStarted, ClientError> {
    post_json("/api/v1/setup-link/start", &SetupLinkStartRequest { token, password }).await
}

/// From a set-up link: the first code from the app.
pub async fn setup_link_activate(token: String, code: String) -> Result<RecoveryCodesResponse, ClientError> {
    post_json("/api/v1/setup-link/activate", &SetupLinkActivateRequest { token, code }).await
}

/// Dismisses a "This wasn't me" report on a managed login.
pub async fn dismiss_flag(id: i32) -> Result<(), ClientError> {
    post_no_content(&format!("/api/v1/accounts/{id}/flag/dismiss"), None::<&()>).await
}

/// The app passwords of the logged-in mailbox (`None`), or of a mailbox the
/// caller manages.
pub async fn app_passwords(of: Option<i32>) -> Result<AppPasswordList, ClientError> {
    get_json(&app_passwords_path(of)).await
}

/// A new app password, shown once in the answer.
pub async fn create_app_password(
    of: Option<i32>,
    request: NewAppPasswordRequest,
) -> Result<AppPasswordCreated, ClientError> {
    post_json(&app_passwords_path(of), &request).await
}

pub async fn revoke_app_password(of: Option<i32>, id: i32) -> Result<(), ClientError> {
    delete(&format!("{}/{id}", app_passwords_path(of))).await
}

pub async fn revoke_all_app_passwords(of: Option<i32>) -> Result<(), ClientError> {
    delete(&app_passwords_path(of)).await
}

fn app_passwords_path(of: Option<i32>) -> String {
    match of {
        None => "/api/v1/me/app-passwords".to_owned(),
        Some(id) => format!("/api/v1/accounts/{id}/app-passwords"),
    }
}

/// E-mails a code to confirm a change (logins whose codes come by e-mail).
pub async fn send_confirmation_code() -> Result<EmailCodeSent, ClientError> {
    let (status, body) = transport::send("POST", "/api/v1/me/mfa/email", None).await?;
    decode(status, &body)
}

/// The security log (administrators).
pub async fn audit(filter: &AuditFilter) -> Result<SecurityEventList, ClientError> {
    get_json(&with_query("/api/v1/audit", filter)).await
}

/// `path?a=b`, or just `path` when every filter is empty.
fn with_query<Q: Serialize>(path: &str, query: &Q) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ClientError> {
    let (status, body) = transport::send("GET", path, None).await?;
    decode(status, &body)
}

async fn post_json<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ClientError> {
    let json = serde_json::to_string(body).map_err(|_| ClientError::unexpected(0))?;
    let (status, body) = transport::send("POST", path, Some(json)).await?;
    decode(status, &body)
}

async fn post_no_content<B: Serialize>(path: &str, body: Option<&B>) -> Result<(), ClientError> {
    let json = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|_| ClientError::unexpected(0))?;
    let (status, body) = transport::send("POST", path, json).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(error_from(status, &body))
    }
}

async fn delete(path: &str) -> Result<(), ClientError> {
    let (status, body) = transport::send("DELETE", path, None).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(error_from(status, &body))
    }
}

fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ClientError> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|_| ClientError::unexpected(status))
    } else {
        Err(error_from(status, body))
    }
}

fn error_from(status: u16, body: &str) -> ClientError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => ClientError {
            status,
            code: error.code,
            message: error.message,
            retry_after: error.retry_after,
        },
        Err(_) => ClientError::unexpected(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::MfaState;
    use crate::domain::AccountKind;

    #[test]
    fn api_errors_decode_to_their_code_with_the_wait_and_unknown_codes_do_not_fail() {
        let body = r#"{"error":{"code":"resend_too_soon","message":"Wait.","retry_after":42}}"#;
        let e = error_from(429, body);
        assert_eq!(
            (e.code, e.retry_after, e.message.as_str()),
            (ErrorCode::ResendTooSoon, Some(42), "Wait.")
        );
        assert_eq!(e.code.status(), 429);
        let newer = error_from(418, r#"{"error":{"code":"something_new","message":"New."}}"#);
        assert_eq!((newer.code, newer.retry_after), (ErrorCode::Unknown, None));
        assert_eq!(error_from(502, "<html>Bad gateway</html>").code, ErrorCode::Unknown);
        assert!(error_from(401, r#"{"error":{"code":"not_logged_in","message":"Log in first."}}"#).is_not_logged_in());
        assert!(ErrorCode::LoginExpired.ends_login() && !ErrorCode::InvalidCode.ends_login());
    }

    #[test]
    fn filters_become_a_query_string_and_empty_ones_vanish() {
        assert_eq!(
            with_query("/api/v1/accounts", &AccountFilter::default()),
            "/api/v1/accounts"
        );
        let filter = AccountFilter {
            q: Some("info@ex ample".to_owned()),
            kind: Some(AccountKind::Mailbox),
            mfa: Some(MfaState::On),
        };
        assert_eq!(
            with_query("/api/v1/accounts", &filter),
            "/api/v1/accounts?q=info%40ex+ample&kind=mailbox&mfa=on"
        );
    }
}

#[cfg(feature = "hydrate")]
mod transport {
    use super::ClientError;
    use gloo_net::http::{Method, RequestBuilder};

    thread_local! {
        pub static LAST_ANSWER: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    }

    /// Sends one request with the session cookie; answers status and body text.
    pub async fn send(method: &str, path: &str, json: Option<String>) -> Result<(u16, String), ClientError> {
        let method = match method {
            "GET" => Method::GET,
            "DELETE" => Method::DELETE,
            _ => Method::POST,
        };
        let builder = RequestBuilder::new(path)
            .method(method)
            .header("Accept", "application/json");
        let request = match json {
            Some(json) => builder.header("Content-Type", "application/json").body(json),
            None => builder.build(),
        }
        .map_err(|_| ClientError::network())?;
        let response = request.send().await.map_err(|_| ClientError::network())?;
        let body = response.text().await.map_err(|_| ClientError::network())?;
        LAST_ANSWER.with(|last| last.set(js_sys::Date::now()));
        Ok((response.status(), body))
    }
}

#[cfg(not(feature = "hydrate"))]
mod transport {
    use super::ClientError;

    thread_local! {
        pub static LAST_ANSWER: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    }

    /// The server never calls its own API while rendering: it renders the
    /// loading state, and the browser fetches after hydration.
    pub async fn send(_method: &str, _path: &str, _json: Option<String>) -> Result<(u16, String), ClientError> {
        Err(ClientError::network())
    }
}
