//! Managing one's own second factor: enrol, activate, move to a new phone,
//! disable, new recovery codes.

use app::api::{
    ErrorBody, PasswordAndCodeRequest, PasswordRequest, RecoveryCodesResponse, TotpActivateRequest, TotpSetupResponse,
};
use app::domain::{OtpCode, Password, RecoveryCode, SecondFactor, ValidationError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;

use super::extract::{ApiJson, AuthUser};
use super::{ApiError, ApiResult, AppState};
use crate::service::audit::Trail;
use crate::service::mfa;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/mfa/totp/setup", post(setup))
        .route("/me/mfa/totp/activate", post(activate))
        .route("/me/mfa/totp/move", post(start_move))
        .route("/me/mfa/totp/move/confirm", post(finish_move))
        .route("/me/mfa/totp/disable", post(disable))
        .route("/me/mfa/recovery-codes", post(regenerate_recovery_codes))
}

/// The code a re-authentication may carry: none when left empty.
pub(super) fn optional_code(code: Option<&str>) -> Result<Option<SecondFactor>, ValidationError> {
    code.filter(|c| !c.trim().is_empty())
        .map(SecondFactor::parse)
        .transpose()
}

pub(super) fn secret(password: &Password) -> SecretString {
    SecretString::from(password.expose().to_owned())
}

fn proof(request: &PasswordAndCodeRequest) -> Result<mfa::Proof, ApiError> {
    let password = Password::parse(&request.password)?;
    Ok(mfa::Proof {
        password: secret(&password),
        factor: SecondFactor::parse(&request.code)?,
    })
}

impl From<mfa::TotpSetup> for TotpSetupResponse {
    fn from(setup: mfa::TotpSetup) -> Self {
        Self {
            secret: setup.secret,
            otpauth_uri: setup.otpauth_uri,
            qr_svg: setup.qr_svg,
        }
    }
}

/// The codes of `username`, shown this once.
pub(super) fn shown(username: &str, codes: Vec<RecoveryCode>) -> Json<RecoveryCodesResponse> {
    Json(RecoveryCodesResponse {
        username: username.to_owned(),
        recovery_codes: codes.iter().map(RecoveryCode::display).collect(),
    })
}

/// Starts enrolment: a new 160-bit secret, held as pending until a code from
/// it is verified. Needs the current password.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/setup", tag = "mfa", request_body = PasswordRequest, responses(
    (status = 200, body = TotpSetupResponse),
    (status = 401, description = "`invalid_password`, `not_logged_in`", body = ErrorBody),
    (status = 409, description = "`totp_already_enabled`", body = ErrorBody),
))]
pub async fn setup(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<PasswordRequest>,
) -> ApiResult<Json<TotpSetupResponse>> {
    let password = Password::parse(&request.password)?;
    let me = &user.account;
    let setup = mfa::setup(&state.db, &state.hasher, &state.totp, me, me, secret(&password)).await?;
    Ok(Json(setup.into()))
}

/// Finishes enrolment with a code from the app; answers the recovery codes,
/// which are shown this once.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/activate", tag = "mfa", request_body = TotpActivateRequest, responses(
    (status = 200, body = RecoveryCodesResponse),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 409, description = "`no_pending_setup`, `totp_already_enabled`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn activate(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    ApiJson(request): ApiJson<TotpActivateRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let code = OtpCode::parse(&request.code)?;
    let keep = Some(&user.token);
    let codes = mfa::activate(
        &state.db,
        &state.totp,
        &user.account,
        keep,
        &code,
        state.clock.now(),
        &trail,
    )
    .await?;
    Ok(shown(&user.account.username, codes))
}

/// Moving the app to a new phone: the password and a current code (from the
/// old app, or a recovery code), then a new secret for the new phone. The old
/// app keeps working until the new one's code confirms the move.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/move", tag = "mfa", request_body = PasswordAndCodeRequest, responses(
    (status = 200, body = TotpSetupResponse),
    (status = 401, description = "`invalid_password`, `invalid_code`", body = ErrorBody),
    (status = 409, description = "`totp_not_enabled`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn start_move(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    ApiJson(request): ApiJson<PasswordAndCodeRequest>,
) -> ApiResult<Json<TotpSetupResponse>> {
    let proof = proof(&request)?;
    let me = &user.account;
    let now = state.clock.now();
    let setup = mfa::start_move(&state.db, &state.hasher, &state.totp, me, &proof, now, &trail).await?;
    Ok(Json(setup.into()))
}

/// Confirms the move with a code from the new phone's app: from now on only
/// its codes work, and every other session of the login ends (the lost
/// phone may hold one). The recovery codes stay.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/move/confirm", tag = "mfa", request_body = TotpActivateRequest, responses(
    (status = 204, description = "The new phone's app is the login's second factor; other sessions ended"),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 409, description = "`no_pending_setup`, `totp_not_enabled`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn finish_move(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    ApiJson(request): ApiJson<TotpActivateRequest>,
) -> ApiResult<StatusCode> {
    let code = OtpCode::parse(&request.code)?;
    let now = state.clock.now();
    mfa::finish_move(&state.db, &state.totp, &user.account, &user.token, &code, now, &trail).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns 2FA off; needs the password and a current code or a recovery code.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/disable", tag = "mfa", request_body = PasswordAndCodeRequest, responses(
    (status = 204, description = "2FA is off; secret and recovery codes are gone"),
    (status = 401, description = "`invalid_password`, `invalid_code`", body = ErrorBody),
    (status = 409, description = "`totp_not_enabled`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn disable(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    ApiJson(request): ApiJson<PasswordAndCodeRequest>,
) -> ApiResult<StatusCode> {
    let proof = proof(&request)?;
    mfa::disable(
        &state.db,
        &state.hasher,
        &state.totp,
        &user.account,
        &user.token,
        &proof,
        state.clock.now(),
        &trail,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the recovery codes; the old set stops working.
#[utoipa::path(post, path = "/api/v1/me/mfa/recovery-codes", tag = "mfa", request_body = PasswordAndCodeRequest, responses(
    (status = 200, body = RecoveryCodesResponse),
    (status = 401, description = "`invalid_password`, `invalid_code`", body = ErrorBody),
    (status = 409, description = "`totp_not_enabled`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    ApiJson(request): ApiJson<PasswordAndCodeRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let proof = proof(&request)?;
    let now = state.clock.now();
    let codes = mfa::regenerate_recovery_codes(
        &state.db,
        &state.hasher,
        &state.totp,
        &user.account,
        &proof,
        now,
        &trail,
    )
    .await?;
    Ok(shown(&user.account.username, codes))
}
