//! "This wasn't me": the link every security notice carries.

use app::api::{ErrorBody, EventNotMeRequest, NotMeRequest, NotMeResponse};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use axum_extra::extract::CookieJar;

use super::extract::{ApiJson, AuthUser};
use super::{ApiResult, AppState};
use crate::service::audit::Trail;
use crate::service::notices;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/not-me", post(not_me))
        .route("/me/not-me", post(event_not_me))
}

/// Reports a notice as "This wasn't me", with the token from its link. No
/// login needed (whoever reports may be locked out): the token is the
/// proof. The login's sessions end, its unfinished set-up and e-mailed code
/// are voided, and it is flagged for its owner and the administrators.
#[utoipa::path(post, path = "/api/v1/not-me", tag = "account", request_body = NotMeRequest, responses(
    (status = 200, description = "Reported; every session of the login has ended", body = NotMeResponse),
    (status = 404, description = "`link_not_found`: unknown, used or expired link", body = ErrorBody),
))]
pub async fn not_me(
    State(state): State<AppState>,
    trail: Trail,
    ApiJson(request): ApiJson<NotMeRequest>,
) -> ApiResult<Json<NotMeResponse>> {
    let account = notices::report_not_me(&state.db, request.token.trim(), state.clock.now(), &trail).await?;
    Ok(Json(NotMeResponse {
        username: account.username,
    }))
}

/// "This wasn't me" beside one of the caller's own security events: the same
/// as a notice's link, so this session ends too (its cookie is cleared).
#[utoipa::path(post, path = "/api/v1/me/not-me", tag = "account", request_body = EventNotMeRequest, responses(
    (status = 200, description = "Reported; every session of the login has ended", body = NotMeResponse),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
    (status = 404, description = "`not_found`: not an event of the caller's own log", body = ErrorBody),
))]
pub async fn event_not_me(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    jar: CookieJar,
    ApiJson(request): ApiJson<EventNotMeRequest>,
) -> ApiResult<(CookieJar, Json<NotMeResponse>)> {
    notices::report_event_not_me(&state.db, &user.account, request.event_id, state.clock.now(), &trail).await?;
    Ok((
        jar.remove(state.removal_cookie()),
        Json(NotMeResponse {
            username: user.account.username,
        }),
    ))
}
