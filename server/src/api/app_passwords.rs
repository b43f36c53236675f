//! App passwords: a mailbox's own (`/me/app-passwords`), and those of a
//! customer's mailboxes (`/accounts/{id}/app-passwords`: the customer
//! creates and revokes them, an administrator revokes them).

use app::api::{
    AppPasswordCreated, AppPasswordList, AppPasswordSummary, AppPasswordUse, EmailCodeSent, ErrorBody,
    MailClientSettings, NewAppPasswordRequest,
};
use app::domain::{AccountKind, AppPasswordName, MailProtocols, Password, parse_lifetime_days};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};

use super::extract::{AccountId, ApiJson, AppPasswordId, AuthUser};
use super::mfa::secret;
use super::{ApiError, ApiResult, AppState};
use crate::entity::{account, app_password};
use crate::service::accounts::{self, Authority, Managed};
use crate::service::app_passwords::{self, NewAppPassword, protocols_of};
use crate::service::audit::Trail;
use crate::service::{ServiceError, email_codes, mail_auth, mfa};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/app-passwords", get(mine).post(create_mine).delete(revoke_all_mine))
        .route("/me/app-passwords/{app_password_id}", delete(revoke_mine))
        .route("/me/mfa/email", post(send_confirmation_code))
        .route(
            "/accounts/{id}/app-passwords",
            get(of_login).post(create_for_login).delete(revoke_all_of_login),
        )
        .route(
            "/accounts/{id}/app-passwords/{app_password_id}",
            delete(revoke_of_login),
        )
}

/// Only mailboxes read and send mail.
fn mailbox(account: &account::Model) -> Result<(), ServiceError> {
    match accounts::kind_of(account)? {
        AccountKind::Mailbox => Ok(()),
        _ => Err(ServiceError::AppPasswordsNotOffered),
    }
}

fn summary(row: app_password::Model, now: i64) -> Result<AppPasswordSummary, ServiceError> {
    let protocols = protocols_of(&row)?.to_vec();
    let last_used = match (row.last_used_at, row.last_used_protocol.as_deref().map(str::parse)) {
        (Some(at), Some(Ok(protocol))) => Some(AppPasswordUse {
            at,
            protocol,
            ip: row.last_used_ip,
        }),
        _ => None,
    };
    Ok(AppPasswordSummary {
        id: row.id,
        name: row.name,
        protocols,
        created_at: row.created_at,
        expired: row.expires_at.is_some_and(|at| at <= now),
        expires_at: row.expires_at,
        last_used,
    })
}

fn settings(state: &AppState, mailbox: &account::Model) -> MailClientSettings {
    MailClientSettings {
        username: mailbox.username.clone(),
        servers: state.mail_clients.to_vec(),
    }
}

async fn listed(state: &AppState, mailbox: &account::Model) -> ApiResult<Json<AppPasswordList>> {
    let rows = app_passwords::list(&state.db, mailbox.id).await?;
    Ok(Json(AppPasswordList {
        app_passwords: rows
            .into_iter()
            .map(|row| summary(row, state.clock.now()))
            .collect::<Result<_, _>>()?,
        max: u32::try_from(app_passwords::MAX_PER_LOGIN).unwrap_or(u32::MAX),
        required: mail_auth::has_second_factor(mailbox)
            || state.mail_auth.as_ref().is_some_and(|m| m.require_app_passwords),
        settings: settings(state, mailbox),
    }))
}

/// The request's name, protocols and lifetime, checked by the shared rules.
fn new_app_password(request: &NewAppPasswordRequest) -> Result<NewAppPassword, ApiError> {
    Ok(NewAppPassword {
        name: AppPasswordName::parse(&request.name)?,
        protocols: MailProtocols::parse(&request.protocols)?,
        lifetime_days: parse_lifetime_days(request.expires_in_days)?,
    })
}

async fn create(
    state: &AppState,
    mailbox: &account::Model,
    new: NewAppPassword,
    trail: &Trail,
) -> ApiResult<(StatusCode, Json<AppPasswordCreated>)> {
    let now = state.clock.now();
    let (row, secret) = app_passwords::create(&state.db, &state.keys, mailbox, new, now, trail).await?;
    Ok((
        StatusCode::CREATED,
        Json(AppPasswordCreated {
            app_password: summary(row, now)?,
            password: secret.display(),
            settings: settings(state, mailbox),
        }),
    ))
}

/// The mailbox's app passwords, with the server settings mail clients need.
#[utoipa::path(get, path = "/api/v1/me/app-passwords", tag = "app passwords", responses(
    (status = 200, body = AppPasswordList),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
    (status = 409, description = "`app_passwords_not_offered`: not a mailbox", body = ErrorBody),
))]
pub async fn mine(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<AppPasswordList>> {
    mailbox(&user.account)?;
    listed(&state, &user.account).await
}

/// Creates an app password for the mailbox's mail clients, shown this once.
/// Needs the current password and, when 2FA is on, a current second factor
/// (an app code, a recovery code, or a code from `POST /me/mfa/email`).
#[utoipa::path(post, path = "/api/v1/me/app-passwords", tag = "app passwords", request_body = NewAppPasswordRequest,
    responses(
    (status = 201, body = AppPasswordCreated),
    (status = 401, description = "`invalid_password`, `invalid_code`", body = ErrorBody),
    (status = 409, description = "`too_many_app_passwords`, `app_password_name_taken`, `app_passwords_not_offered`", body = ErrorBody),
    (status = 422, description = "`invalid_input`: name, protocols, lifetime, or the code missing", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn create_mine(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    ApiJson(request): ApiJson<NewAppPasswordRequest>,
) -> ApiResult<(StatusCode, Json<AppPasswordCreated>)> {
    mailbox(&user.account)?;
    let new = new_app_password(&request)?;
    let password = Password::parse(&request.password)?;
    let code = super::mfa::optional_code(request.code.as_deref())?;
    mfa::reauthenticate(
        &state.db,
        &state.hasher,
        &state.totp,
        &user.account,
        secret(&password),
        code.as_ref(),
        state.mail_on(),
        state.clock.now(),
        &trail,
    )
    .await?;
    create(&state, &user.account, new, &trail).await
}

/// Revokes one of the mailbox's app passwords.
#[utoipa::path(delete, path = "/api/v1/me/app-passwords/{app_password_id}", tag = "app passwords",
    params(("app_password_id" = i32, Path)), responses(
    (status = 204, description = "Revoked: it opens nothing from now on"),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`app_passwords_not_offered`", body = ErrorBody),
))]
pub async fn revoke_mine(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AppPasswordId(id): AppPasswordId,
) -> ApiResult<StatusCode> {
    mailbox(&user.account)?;
    app_passwords::revoke(&state.db, &user.account, id, state.clock.now(), &trail).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every app password of the mailbox.
#[utoipa::path(delete, path = "/api/v1/me/app-passwords", tag = "app passwords", responses(
    (status = 204, description = "None is left"),
    (status = 409, description = "`app_passwords_not_offered`", body = ErrorBody),
))]
pub async fn revoke_all_mine(State(state): State<AppState>, user: AuthUser, trail: Trail) -> ApiResult<StatusCode> {
    mailbox(&user.account)?;
    app_passwords::revoke_all(&state.db, &user.account, state.clock.now(), &trail).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// E-mails a code to confirm a change (a new app password) for a login
/// whose second factor is e-mailed codes. At most once a minute.
#[utoipa::path(post, path = "/api/v1/me/mfa/email", tag = "mfa", responses(
    (status = 200, description = "A code is on its way", body = EmailCodeSent),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
    (status = 409, description = "`email_codes_not_offered`", body = ErrorBody),
    (status = 429, description = "`resend_too_soon`", body = ErrorBody),
    (status = 503, description = "`mail_unavailable`", body = ErrorBody),
))]
pub async fn send_confirmation_code(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
) -> ApiResult<Json<EmailCodeSent>> {
    super::auth::email_code(&state, &user.account, email_codes::Purpose::Confirm, &trail).await
}

/// A managed mailbox login: its customer, or an administrator.
async fn managed_mailbox(state: &AppState, user: &AuthUser, id: i32) -> Result<Managed, ServiceError> {
    let target = accounts::managed_by(&state.db, &user.account, id).await?;
    mailbox(&target.account)?;
    Ok(target)
}

/// The app passwords of a mailbox the caller manages.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/app-passwords", tag = "accounts", params(("id" = i32, Path)),
    responses(
    (status = 200, body = AppPasswordList),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`app_passwords_not_offered`: not a mailbox", body = ErrorBody),
))]
pub async fn of_login(
    State(state): State<AppState>,
    user: AuthUser,
    AccountId(id): AccountId,
) -> ApiResult<Json<AppPasswordList>> {
    let target = managed_mailbox(&state, &user, id).await?;
    listed(&state, &target.account).await
}

/// Creates an app password for one of the customer's mailboxes, confirmed
/// with the customer's own password (like setting up its 2FA).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/app-passwords", tag = "accounts", params(("id" = i32, Path)),
    request_body = NewAppPasswordRequest, responses(
    (status = 201, body = AppPasswordCreated),
    (status = 401, description = "`invalid_password`: the caller's password", body = ErrorBody),
    (status = 403, description = "`forbidden`: administrators only revoke", body = ErrorBody),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`too_many_app_passwords`, `app_password_name_taken`, `app_passwords_not_offered`", body = ErrorBody),
    (status = 422, description = "`invalid_input`", body = ErrorBody),
))]
pub async fn create_for_login(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AccountId(id): AccountId,
    ApiJson(request): ApiJson<NewAppPasswordRequest>,
) -> ApiResult<(StatusCode, Json<AppPasswordCreated>)> {
    let target = managed_mailbox(&state, &user, id).await?;
    if target.authority == Authority::Admin {
        return Err(ServiceError::Forbidden(
            "Only the customer a mailbox belongs to, or the mailbox itself, creates its app passwords. \
             Administrators can revoke them.",
        )
        .into());
    }
    let new = new_app_password(&request)?;
    let password = Password::parse(&request.password)?;
    mfa::confirm_password(&state.hasher, &user.account, secret(&password)).await?;
    create(&state, &target.account, new, &trail.acting(&user.account)).await
}

/// Revokes one app password of a mailbox the caller manages.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/app-passwords/{app_password_id}", tag = "accounts",
    params(("id" = i32, Path), ("app_password_id" = i32, Path)), responses(
    (status = 204, description = "Revoked"),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`app_passwords_not_offered`", body = ErrorBody),
))]
pub async fn revoke_of_login(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AccountId(id): AccountId,
    AppPasswordId(app_password_id): AppPasswordId,
) -> ApiResult<StatusCode> {
    let target = managed_mailbox(&state, &user, id).await?;
    let trail = trail.acting(&user.account);
    app_passwords::revoke(&state.db, &target.account, app_password_id, state.clock.now(), &trail).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every app password of a mailbox the caller manages.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/app-passwords", tag = "accounts", params(("id" = i32, Path)),
    responses(
    (status = 204, description = "None is left"),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`app_passwords_not_offered`", body = ErrorBody),
))]
pub async fn revoke_all_of_login(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AccountId(id): AccountId,
) -> ApiResult<StatusCode> {
    let target = managed_mailbox(&state, &user, id).await?;
    let trail = trail.acting(&user.account);
    app_passwords::revoke_all(&state.db, &target.account, state.clock.now(), &trail).await?;
    Ok(StatusCode::NO_CONTENT)
}
