//! Logging in and out, and who is logged in.

use app::api::{
    CombinedLoginRequest, EmailCodeSent, ErrorBody, ErrorCode, LoginRequest, LoginResponse, MeResponse, MfaCodeRequest,
    SessionTimes,
};
use app::domain::{Password, SecondFactor, Username};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;

use super::extract::{ApiJson, AuthUser, PendingLogin, session_token};
use super::{ApiError, ApiResult, AppState};
use crate::service::ServiceError;
use crate::service::audit::Trail;
use crate::service::guessing::{Attempt, DeviceCookie, KnownDevice};
use crate::service::login::LoggedIn;
use crate::service::sessions;
use crate::service::{accounts, email_codes, login, mfa};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/login/mfa", post(login_mfa))
        .route("/login/mfa/email", post(login_mfa_email))
        .route("/login/combined", post(login_combined))
        .route("/logout", post(logout))
        .route("/me", get(me))
}

/// The password step. Any session the browser had ends here; the new one
/// gets a new token (no session fixation).
#[utoipa::path(post, path = "/api/v1/login", tag = "login", request_body = LoginRequest, responses(
    (status = 200, description = "Logged in, or the code step comes next", body = LoginResponse),
    (status = 401, description = "`invalid_credentials`: wrong password or unknown user, alike", body = ErrorBody),
    (status = 422, description = "`invalid_input`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`: too many wrong passwords for this username or from this address, with Retry-After", body = ErrorBody),
    (status = 503, description = "`server_busy`: too many password checks in flight", body = ErrorBody),
))]
pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    trail: Trail,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<LoginResponse>)> {
    let (jar, logged_in) = password_step(&state, jar, &trail, &request.username, &request.password).await?;
    let response = match logged_in.code_step() {
        None => LoginResponse::Ok,
        Some(factor) => LoginResponse::MfaRequired {
            methods: factor.methods(),
        },
    };
    Ok((jar, Json(response)))
}

/// The password step, for the API and the form the browser posts alike:
/// logged in, or the code step next ([`LoggedIn::code_step`]).
pub(super) async fn password_step(
    state: &AppState,
    jar: CookieJar,
    trail: &Trail,
    username: &str,
    password: &str,
) -> ApiResult<(CookieJar, LoggedIn)> {
    let username = Username::parse(username)?;
    let password = Password::parse(password)?;
    if let Some(old) = session_token(&jar) {
        sessions::delete(&state.db, &old).await?;
    }
    let now = state.clock.now();
    let device = known_device(state, &jar, &username);
    let attempt = attempt(state, &username, device.as_ref(), trail);
    let logged_in = login::password_step(
        &state.db,
        &state.hasher,
        &attempt,
        &password,
        state.mail_on(),
        now,
        trail,
    )
    .await?;
    let mut jar = jar.add(state.session_cookie(&logged_in.token));
    if logged_in.code_step().is_none() {
        jar = remember_device(state, jar, &username)?;
    }
    Ok((jar, logged_in))
}

/// A password attempt for `username`, as the guessing throttle counts it.
fn attempt<'a>(
    state: &AppState,
    username: &'a Username,
    device: Option<&'a KnownDevice>,
    trail: &'a Trail,
) -> Attempt<'a> {
    Attempt {
        username,
        device,
        address: trail.ip(),
        limits: state.guessing,
    }
}

/// The browser's device cookie for `username`, if it proves an earlier
/// login there: its password attempts then count on their own.
fn known_device(state: &AppState, jar: &CookieJar, username: &Username) -> Option<KnownDevice> {
    let cookie = jar.get(&DeviceCookie::name(username))?;
    DeviceCookie::check(&state.keys, username, cookie.value())
}

/// A new device cookie for `username`, once a login is complete.
fn remember_device(state: &AppState, jar: CookieJar, username: &Username) -> ApiResult<CookieJar> {
    let value = DeviceCookie::issue(&state.keys, username)?;
    Ok(jar.add(state.device_cookie(DeviceCookie::name(username), value)))
}

/// Sends the pending login a 6-digit code by e-mail, valid 15 minutes; a new
/// code voids the one before. At most once a minute.
#[utoipa::path(post, path = "/api/v1/login/mfa/email", tag = "login", responses(
    (status = 200, description = "A code is on its way", body = EmailCodeSent),
    (status = 401, description = "`no_pending_login`", body = ErrorBody),
    (status = 409, description = "`email_codes_not_offered`: this login uses an app, or has no address", body = ErrorBody),
    (status = 429, description = "`resend_too_soon`, with Retry-After", body = ErrorBody),
    (status = 503, description = "`mail_unavailable`: the mail server did not take it; try again", body = ErrorBody),
))]
pub async fn login_mfa_email(
    State(state): State<AppState>,
    pending: PendingLogin,
    trail: Trail,
) -> ApiResult<Json<EmailCodeSent>> {
    let account = accounts::get(&state.db, pending.session.account_id).await?;
    email_code(&state, &account, email_codes::Purpose::Login, &trail).await
}

/// Mails `account` a code for `purpose`, when this server sends mail.
pub(super) async fn email_code(
    state: &AppState,
    account: &crate::entity::account::Model,
    purpose: email_codes::Purpose,
    trail: &Trail,
) -> ApiResult<Json<EmailCodeSent>> {
    let Some(mailer) = state.mailer.as_deref() else {
        return Err(ServiceError::EmailCodesNotOffered.into());
    };
    let sent = email_codes::send(
        &state.db,
        mailer,
        &state.keys,
        account,
        purpose,
        state.clock.now(),
        trail,
    )
    .await?;
    Ok(Json(EmailCodeSent {
        sent_to: sent.to,
        valid_for: email_codes::VALID_FOR.unsigned_abs(),
        resend_after: email_codes::RESEND_AFTER.unsigned_abs(),
    }))
}

/// The code step: an app code (`"189 145"`), a recovery code, or the code
/// that was e-mailed.
#[utoipa::path(post, path = "/api/v1/login/mfa", tag = "login", request_body = MfaCodeRequest, responses(
    (status = 200, description = "Logged in", body = LoginResponse),
    (status = 401, description = "`invalid_code`; `login_expired` after 5 wrong codes; `no_pending_login`", body = ErrorBody),
    (status = 422, description = "`invalid_input`: not a code", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with Retry-After", body = ErrorBody),
))]
pub async fn login_mfa(
    State(state): State<AppState>,
    jar: CookieJar,
    pending: PendingLogin,
    trail: Trail,
    ApiJson(request): ApiJson<MfaCodeRequest>,
) -> ApiResult<(CookieJar, Json<LoginResponse>)> {
    let jar = code_step(&state, jar, &pending, &trail, &request.code).await?;
    Ok((jar, Json(LoginResponse::Ok)))
}

/// The code step, for the API and the form the browser posts alike.
pub(super) async fn code_step(
    state: &AppState,
    jar: CookieJar,
    pending: &PendingLogin,
    trail: &Trail,
    code: &str,
) -> ApiResult<CookieJar> {
    let factor = SecondFactor::parse(code)?;
    let now = state.clock.now();
    let (token, _) = login::code_step(&state.db, &state.totp, &pending.session, &factor, now, trail).await?;
    let account = accounts::get(&state.db, pending.session.account_id).await?;
    let username = Username::parse(&account.username)?;
    remember_device(state, jar.add(state.session_cookie(&token)), &username)
}

/// The User Panel's login: the current 6-digit code appended to the password
/// (`T9D3K!px` + `189 145` → `T9D3K!px189145`), or a recovery code with its
/// dashes; the password alone when 2FA is off. Every refusal but throttling
/// is the same `invalid_credentials`, so the answer never tells whether the
/// password or the code was wrong; throttling is only reported once the
/// password was right.
#[utoipa::path(post, path = "/api/v1/login/combined", tag = "login", request_body = CombinedLoginRequest, responses(
    (status = 200, description = "Logged in", body = LoginResponse),
    (status = 401, description = "`invalid_credentials`: wrong user, password or code, alike", body = ErrorBody),
    (status = 409, description = "`email_code_login`: the password was right, but this login gets its codes by e-mail (use the two-step login)", body = ErrorBody),
    (status = 422, description = "`invalid_input`: no username or nothing typed", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with Retry-After", body = ErrorBody),
    (status = 503, description = "`server_busy`", body = ErrorBody),
))]
pub async fn login_combined(
    State(state): State<AppState>,
    jar: CookieJar,
    trail: Trail,
    ApiJson(request): ApiJson<CombinedLoginRequest>,
) -> ApiResult<(CookieJar, Json<LoginResponse>)> {
    let jar = combined_step(&state, jar, &trail, &request.username, &request.password_and_code).await?;
    Ok((jar, Json(LoginResponse::Ok)))
}

/// The one-form login, for the API and the form the browser posts alike.
pub(super) async fn combined_step(
    state: &AppState,
    jar: CookieJar,
    trail: &Trail,
    username: &str,
    password_and_code: &str,
) -> ApiResult<CookieJar> {
    let username = Username::parse(username)?;
    Password::parse(password_and_code)?;
    if let Some(old) = session_token(&jar) {
        sessions::delete(&state.db, &old).await?;
    }
    let now = state.clock.now();
    let device = known_device(state, &jar, &username);
    let attempt = attempt(state, &username, device.as_ref(), trail);
    let logged_in = login::combined_step(
        &state.db,
        &state.hasher,
        &state.totp,
        &attempt,
        password_and_code,
        state.mail_on(),
        now,
        trail,
    )
    .await;
    let (token, _) = logged_in.map_err(|e| match e {
        ServiceError::InvalidCredentials | ServiceError::InvalidCode | ServiceError::SupersededCode => {
            ApiError::new(ErrorCode::InvalidCredentials, "Wrong e-mail address, password or code.")
        }
        other => other.into(),
    })?;
    remember_device(state, jar.add(state.session_cookie(&token)), &username)
}

/// Ends the session (full or pending) and clears the cookie.
#[utoipa::path(post, path = "/api/v1/logout", tag = "login", responses((status = 204, description = "Logged out")))]
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> ApiResult<(CookieJar, StatusCode)> {
    if let Some(token) = session_token(&jar) {
        sessions::delete(&state.db, &token).await?;
    }
    Ok((jar.remove(state.removal_cookie()), StatusCode::NO_CONTENT))
}

/// The logged-in user and the state of its second factor.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses(
    (status = 200, body = MeResponse),
    (status = 401, description = "`not_logged_in` (a login waiting for its code is not logged in)", body = ErrorBody),
))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<MeResponse>> {
    let left = mfa::recovery_codes_left(&state.db, user.account.id).await?;
    Ok(Json(MeResponse {
        kind: accounts::kind_of(&user.account).map_err(ApiError::from)?,
        mfa: mfa::status(&state.totp.policy, &user.account, left, state.mail_on()),
        session: SessionTimes {
            idle_timeout: state.session_idle.unsigned_abs(),
            expires_at: user.expires_at,
        },
        username: user.account.username,
        via_recovery_code: user.via_recovery_code,
    }))
}
