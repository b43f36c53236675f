//! `POST /api/v1/me/password`: a login changes its own password.

use app::api::{ChangePasswordRequest, ErrorBody};
use app::domain::{NewPassword, Password};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use super::extract::{ApiJson, AuthUser};
use super::mfa::{optional_code, secret};
use super::{ApiResult, AppState};
use crate::service::audit::Trail;
use crate::service::password_change::{self, Change};

pub fn router() -> Router<AppState> {
    Router::new().route("/me/password", post(change))
}

/// A new password: the current one and, when the login has 2FA, a current
/// code (from the app, a recovery code, or one e-mailed by
/// `POST /api/v1/me/mfa/email`). Every other session ends, and the contact
/// address gets a notice.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "account", request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Changed; this browser stays logged in, every other one is logged out"),
    (status = 401, description = "`invalid_password`, `invalid_code`, `not_logged_in`", body = ErrorBody),
    (status = 422, description = "`invalid_input`: the new password breaks the rules or is the current one; `second_factor_required`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with Retry-After", body = ErrorBody),
))]
pub async fn change(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    let current = Password::parse(&request.current_password)?;
    let new = NewPassword::parse(&request.new_password)?;
    let code = optional_code(request.code.as_deref())?;
    let change = Change {
        current: secret(&current),
        code: code.as_ref(),
        new: &new,
    };
    password_change::change(
        &state.db,
        &state.hasher,
        &state.totp,
        &user.account,
        &user.token,
        change,
        state.mail_on(),
        state.clock.now(),
        &trail,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
