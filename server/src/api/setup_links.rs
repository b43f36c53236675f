//! "E-mail a set-up link": the customer sends it (`/accounts/{id}/...`), the
//! login's user opens it without a session (`/setup-link/...`): the token and
//! the login's own password are the proof.

use app::api::{
    ErrorBody, RecoveryCodesResponse, SetupLinkActivateRequest, SetupLinkSent, SetupLinkStartRequest, SetupLinkStarted,
};
use app::domain::{OtpCode, Password};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

use super::extract::{AccountId, ApiJson, AuthUser};
use super::mfa::{secret, shown};
use super::{ApiResult, AppState};
use crate::service::audit::Trail;
use crate::service::{ServiceError, accounts, setup_links};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/mfa/setup-link", post(send))
        .route("/setup-link/start", post(start))
        .route("/setup-link/activate", post(activate))
}

/// E-mails one of the customer's logins a single-use link (24 hours) to set
/// up its authenticator app on its user's own phone.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/mfa/setup-link", tag = "accounts", params(("id" = i32, Path)),
    responses(
    (status = 200, body = SetupLinkSent),
    (status = 403, description = "`forbidden`: only the owning customer", body = ErrorBody),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`totp_already_enabled`, `no_contact_address`", body = ErrorBody),
    (status = 503, description = "`mail_unavailable`: mail is off or the mail server did not answer", body = ErrorBody),
))]
pub async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AccountId(id): AccountId,
) -> ApiResult<Json<SetupLinkSent>> {
    let target = accounts::managed_by(&state.db, &user.account, id).await?;
    if target.authority != accounts::Authority::Owner {
        return Err(ServiceError::Forbidden("Only the customer a login belongs to sends it a set-up link.").into());
    }
    let sent = setup_links::send(
        &state.db,
        state.mailer.as_deref(),
        &state.links_base,
        &target.account,
        &user.account,
        state.clock.now(),
        &trail.acting(&user.account),
    )
    .await?;
    Ok(Json(SetupLinkSent {
        sent_to: sent.to,
        valid_for: setup_links::VALID_FOR.unsigned_abs(),
    }))
}

/// From the link: the login's password; answers the QR code and secret.
#[utoipa::path(post, path = "/api/v1/setup-link/start", tag = "mfa", request_body = SetupLinkStartRequest, responses(
    (status = 200, body = SetupLinkStarted),
    (status = 401, description = "`invalid_password`: the login's password", body = ErrorBody),
    (status = 404, description = "`link_not_found`: unknown, used, replaced or expired link", body = ErrorBody),
    (status = 409, description = "`totp_already_enabled`", body = ErrorBody),
))]
pub async fn start(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SetupLinkStartRequest>,
) -> ApiResult<Json<SetupLinkStarted>> {
    let password = Password::parse(&request.password)?;
    let (login, setup) = setup_links::start(
        &state.db,
        &state.hasher,
        &state.totp,
        &request.token,
        secret(&password),
        state.clock.now(),
    )
    .await?;
    Ok(Json(SetupLinkStarted {
        username: login.username,
        setup: setup.into(),
    }))
}

/// From the link: the first code from the app; 2FA is on, the link used up,
/// and the recovery codes are shown this once.
#[utoipa::path(post, path = "/api/v1/setup-link/activate", tag = "mfa", request_body = SetupLinkActivateRequest, responses(
    (status = 200, body = RecoveryCodesResponse),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 404, description = "`link_not_found`", body = ErrorBody),
    (status = 409, description = "`no_pending_setup`, `totp_already_enabled`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn activate(
    State(state): State<AppState>,
    trail: Trail,
    ApiJson(request): ApiJson<SetupLinkActivateRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let code = OtpCode::parse(&request.code)?;
    let (login, codes) =
        setup_links::finish(&state.db, &state.totp, &request.token, &code, state.clock.now(), &trail).await?;
    Ok(shown(&login.username, codes))
}
