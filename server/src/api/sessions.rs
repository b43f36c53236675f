//! A login's own sessions: which browsers are logged in, and ending them.

use app::api::{ErrorBody, SessionInfo, SessionList, SessionsEnded};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};

use super::extract::AuthUser;
use super::{ApiError, ApiResult, AppState};
use crate::service::{device, sessions};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/sessions", get(mine))
        .route("/me/sessions/others", delete(end_others))
        .route("/me/sessions/{session_id}", delete(end_one))
}

/// The browsers logged in as this login now: where from, since when, last
/// active; `current` is the one asking.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "account", responses(
    (status = 200, body = SessionList),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
))]
pub async fn mine(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<SessionList>> {
    let now = state.clock.now();
    let current = sessions::public_id_of(&user.token);
    let rows = sessions::list(&state.db, user.account.id, now, state.session_idle).await?;
    let sessions = rows
        .into_iter()
        .map(|row| {
            let id = sessions::public_id(&row.token_hash);
            SessionInfo {
                current: id == current,
                id,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                device: row.user_agent.as_deref().and_then(device::describe),
                ip: row.ip,
            }
        })
        .collect();
    Ok(Json(SessionList {
        sessions,
        idle_timeout: state.session_idle.unsigned_abs(),
    }))
}

/// Ends one session (this browser's too: that is logging out).
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session_id}", tag = "account",
    params(("session_id" = String, Path, description = "The `id` of a session in the list")),
    responses(
        (status = 204, description = "It has ended"),
        (status = 401, description = "`not_logged_in`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such session of this login (ended already, say)", body = ErrorBody),
    ))]
pub async fn end_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<String>,
) -> ApiResult<StatusCode> {
    match sessions::delete_listed(&state.db, user.account.id, &session_id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found()),
    }
}

/// Ends every session of this login but the one asking.
#[utoipa::path(delete, path = "/api/v1/me/sessions/others", tag = "account", responses(
    (status = 200, body = SessionsEnded),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
))]
pub async fn end_others(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<SessionsEnded>> {
    let ended = sessions::delete_all_others(&state.db, user.account.id, &user.token).await?;
    Ok(Json(SessionsEnded { ended }))
}
