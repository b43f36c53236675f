//! "This wasn't me": the link every security notice carries.

use app::api::{ErrorBody, NotMeRequest, NotMeResponse};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

use super::extract::ApiJson;
use super::{ApiResult, AppState};
use crate::service::audit::Trail;
use crate::service::notices;

pub fn router() -> Router<AppState> {
    Router::new().route("/not-me", post(not_me))
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
