//! Reading the security log: all of it for administrators, one's own recent
//! events for everyone.

use app::api::{AuditFilter, ErrorBody, MyEventsFilter, SecurityEvent, SecurityEventList};
use app::domain::AccountKind;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::extract::{ApiQuery, AuthUser};
use super::{ApiError, ApiResult, AppState};
use crate::entity::security_event;
use crate::service::{ServiceError, accounts, audit, device};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list)).route("/me/events", get(mine))
}

/// Events per page when the caller does not say.
const DEFAULT_PAGE: u32 = 100;

fn event(row: security_event::Model) -> Result<SecurityEvent, ServiceError> {
    Ok(SecurityEvent {
        id: row.id,
        at: row.at,
        event: row
            .event
            .parse()
            .map_err(|_| ServiceError::internal(format!("security event {} has kind {:?}", row.id, row.event)))?,
        account: row.account_username,
        actor: row.actor,
        ip: row.ip,
        device: row.user_agent.as_deref().and_then(device::describe),
        user_agent: row.user_agent,
        detail: row.detail,
    })
}

fn events(page: audit::Page) -> Result<Json<SecurityEventList>, ApiError> {
    let events = page.events.into_iter().map(event).collect::<Result<_, _>>()?;
    Ok(Json(SecurityEventList {
        events,
        more: page.more,
    }))
}

/// The security log, newest first; administrators only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter), responses(
    (status = 200, body = SecurityEventList),
    (status = 400, description = "`invalid_query`", body = ErrorBody),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
    (status = 404, description = "`not_found`: not an administrator", body = ErrorBody),
))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    filter: Result<ApiQuery<AuditFilter>, ApiError>,
) -> ApiResult<Json<SecurityEventList>> {
    // Who may read the log is settled before the query is: a non-admin gets
    // the same 404 whatever it asks.
    if accounts::kind_of(&user.account)? != AccountKind::Admin {
        return Err(ApiError::not_found());
    }
    let ApiQuery(filter) = filter?;
    let query = audit::Filter {
        username: filter
            .account
            .map(|name| name.trim().to_ascii_lowercase())
            .filter(|name| !name.is_empty()),
        account_id: None,
        kind: filter.event,
        before: filter.before,
    };
    let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
    events(audit::list(&state.db, query, u64::from(limit)).await?)
}

/// The caller's own security events, newest first, 20 per page (My Account).
#[utoipa::path(get, path = "/api/v1/me/events", tag = "account", params(MyEventsFilter), responses(
    (status = 200, body = SecurityEventList),
    (status = 400, description = "`invalid_query`", body = ErrorBody),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
))]
pub async fn mine(
    State(state): State<AppState>,
    user: AuthUser,
    filter: Result<ApiQuery<MyEventsFilter>, ApiError>,
) -> ApiResult<Json<SecurityEventList>> {
    let ApiQuery(filter) = filter?;
    let query = audit::Filter {
        account_id: Some(user.account.id),
        before: filter.before,
        ..audit::Filter::default()
    };
    events(audit::list(&state.db, query, audit::OWN_RECENT).await?)
}
