//! Managing other logins: a customer's packages and mailboxes (Package
//! Management), every login for an administrator (admin console).
//!
//! A login the caller may not manage answers 404 exactly like one that does
//! not exist, so ids cannot be probed.

use app::api::{
    AccountFilter, AccountList, AccountSummary, ErrorBody, PasswordRequest, RecoveryCodesResponse, TotpActivateRequest,
    TotpSetupResponse,
};
use app::domain::{OtpCode, Password};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;

use super::extract::{AccountId, ApiJson, ApiQuery, AuthUser};
use super::mfa::{secret, shown};
use super::{ApiError, ApiResult, AppState};
use crate::entity::account;
use crate::service::accounts::{self, Authority, Managed};
use crate::service::audit::Trail;
use crate::service::{ServiceError, app_passwords, mfa};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list))
        .route("/accounts/{id}", get(show))
        .route("/accounts/{id}/mfa/totp/setup", post(setup))
        .route("/accounts/{id}/mfa/totp/activate", post(activate))
        .route("/accounts/{id}/mfa/disable", post(disable))
        .route("/accounts/{id}/flag/dismiss", post(dismiss_flag))
}

/// Owner names and app password counts, by account id, for [`summary`].
struct Looked {
    owners: HashMap<i32, String>,
    app_passwords: HashMap<i32, u32>,
}

impl Looked {
    async fn up(state: &AppState, accounts: &[account::Model]) -> Result<Self, ServiceError> {
        let ids: Vec<i32> = accounts.iter().map(|a| a.id).collect();
        Ok(Self {
            owners: accounts::owner_names(&state.db, accounts).await?,
            app_passwords: app_passwords::counts(&state.db, &ids).await?,
        })
    }
}

fn summary(account: account::Model, looked: &Looked) -> Result<AccountSummary, ServiceError> {
    let owners = &looked.owners;
    Ok(AccountSummary {
        app_passwords: looked.app_passwords.get(&account.id).copied().unwrap_or(0),
        id: account.id,
        kind: accounts::kind_of(&account)?,
        owner: account.owner_id.and_then(|id| owners.get(&id).cloned()),
        mfa: accounts::mfa_state(&account),
        contact_email: account.email.clone(),
        flagged_at: account.flagged_at,
        last_login_at: account.last_login_at,
        created_at: account.created_at,
        username: account.username,
    })
}

/// Login `id` for setting up its 2FA: see [`owner_only`].
async fn owned(state: &AppState, user: &AuthUser, id: i32) -> Result<Managed, ServiceError> {
    let target = accounts::managed_by(&state.db, &user.account, id).await?;
    owner_only(&target)?;
    Ok(target)
}

/// Only the customer a login belongs to sets its 2FA up: its user must scan
/// the QR code. Administrators may only switch 2FA off.
fn owner_only(target: &Managed) -> Result<(), ServiceError> {
    match target.authority {
        Authority::Owner => Ok(()),
        Authority::Admin => Err(ServiceError::Forbidden(
            "Only the customer a login belongs to, or the login itself, can set up its 2FA. \
             Administrators can switch it off.",
        )),
    }
}

/// An administrator's own login is in its list, but switching its own 2FA
/// off here would skip the current code that My Account asks for.
fn not_oneself(user: &AuthUser, target: &Managed) -> Result<(), ServiceError> {
    match target.account.id == user.account.id {
        true => Err(ServiceError::Forbidden(
            "Switch your own 2FA off under My Account: it asks for a current code.",
        )),
        false => Ok(()),
    }
}

/// The logins the caller manages, by username: every login for an
/// administrator, its packages and mailboxes for a customer.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(AccountFilter), responses(
    (status = 200, body = AccountList),
    (status = 400, description = "`invalid_query`", body = ErrorBody),
    (status = 401, description = "`not_logged_in`", body = ErrorBody),
    (status = 404, description = "`not_found`: package and mailbox logins manage no other login", body = ErrorBody),
))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    filter: Result<ApiQuery<AccountFilter>, ApiError>,
) -> ApiResult<Json<AccountList>> {
    // Package and mailbox logins get the same 404 whatever they ask.
    if !accounts::manages_others(&user.account)? {
        return Err(ApiError::not_found());
    }
    let ApiQuery(filter) = filter?;
    let (found, truncated) = accounts::list_managed(&state.db, &user.account, &filter).await?;
    let looked = Looked::up(&state, &found).await?;
    let accounts = found
        .into_iter()
        .map(|a| summary(a, &looked))
        .collect::<Result<_, _>>()?;
    Ok(Json(AccountList { accounts, truncated }))
}

/// One managed login.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i32, Path)), responses(
    (status = 200, body = AccountSummary),
    (status = 404, description = "`not_found`: no such login, or not one the caller manages", body = ErrorBody),
))]
pub async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    AccountId(id): AccountId,
) -> ApiResult<Json<AccountSummary>> {
    let target = accounts::managed_by(&state.db, &user.account, id).await?;
    let looked = Looked::up(&state, std::slice::from_ref(&target.account)).await?;
    Ok(Json(summary(target.account, &looked)?))
}

/// Starts 2FA set-up for one of the customer's logins: a QR code and secret
/// for that login's user to scan. `password` is the customer's own.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/mfa/totp/setup", tag = "accounts", params(("id" = i32, Path)),
    request_body = PasswordRequest, responses(
    (status = 200, body = TotpSetupResponse),
    (status = 401, description = "`invalid_password`: the caller's password", body = ErrorBody),
    (status = 403, description = "`forbidden`: administrators only switch 2FA off", body = ErrorBody),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`totp_already_enabled`", body = ErrorBody),
))]
pub async fn setup(
    State(state): State<AppState>,
    user: AuthUser,
    AccountId(id): AccountId,
    ApiJson(request): ApiJson<PasswordRequest>,
) -> ApiResult<Json<TotpSetupResponse>> {
    let target = owned(&state, &user, id).await?;
    let password = Password::parse(&request.password)?;
    let setup = mfa::setup(
        &state.db,
        &state.hasher,
        &state.totp,
        &user.account,
        &target.account,
        secret(&password),
    )
    .await?;
    Ok(Json(setup.into()))
}

/// Finishes set-up with a code from the login user's app; answers that
/// login's recovery codes, shown this once.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/mfa/totp/activate", tag = "accounts", params(("id" = i32, Path)),
    request_body = TotpActivateRequest, responses(
    (status = 200, body = RecoveryCodesResponse),
    (status = 401, description = "`invalid_code`", body = ErrorBody),
    (status = 403, description = "`forbidden`", body = ErrorBody),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`no_pending_setup`, `totp_already_enabled`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`", body = ErrorBody),
))]
pub async fn activate(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AccountId(id): AccountId,
    ApiJson(request): ApiJson<TotpActivateRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let target = owned(&state, &user, id).await?;
    let code = OtpCode::parse(&request.code)?;
    let trail = trail.acting(&user.account);
    // The login's own sessions began without 2FA: they end.
    let codes = mfa::activate(
        &state.db,
        &state.totp,
        &target.account,
        None,
        &code,
        state.clock.now(),
        &trail,
    )
    .await?;
    Ok(shown(&target.account.username, codes))
}

/// Switches another login's 2FA off: its customer ("active – click to
/// deactivate") or an administrator, confirmed with the caller's own
/// password. The login's pending set-up, secret and recovery codes are
/// removed; the security log records who did it.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/mfa/disable", tag = "accounts", params(("id" = i32, Path)),
    request_body = PasswordRequest, responses(
    (status = 204, description = "2FA is off for that login"),
    (status = 401, description = "`invalid_password`: the caller's password", body = ErrorBody),
    (status = 403, description = "`forbidden`: one's own 2FA is switched off under My Account", body = ErrorBody),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`totp_not_enabled`", body = ErrorBody),
))]
pub async fn disable(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AccountId(id): AccountId,
    ApiJson(request): ApiJson<PasswordRequest>,
) -> ApiResult<StatusCode> {
    let target = accounts::managed_by(&state.db, &user.account, id).await?;
    not_oneself(&user, &target)?;
    let password = Password::parse(&request.password)?;
    let trail = trail.acting(&user.account);
    let now = state.clock.now();
    mfa::reset(
        &state.db,
        &state.hasher,
        &user.account,
        &target,
        secret(&password),
        now,
        &trail,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Dismisses a "This wasn't me" report on a login, once its customer or an
/// administrator has looked into it. The security log keeps the report and
/// records who dismissed it.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/flag/dismiss", tag = "accounts", params(("id" = i32, Path)), responses(
    (status = 204, description = "The flag is gone"),
    (status = 404, description = "`not_found`", body = ErrorBody),
    (status = 409, description = "`not_flagged`: nobody reported it", body = ErrorBody),
))]
pub async fn dismiss_flag(
    State(state): State<AppState>,
    user: AuthUser,
    trail: Trail,
    AccountId(id): AccountId,
) -> ApiResult<StatusCode> {
    let target = accounts::managed_by(&state.db, &user.account, id).await?;
    accounts::dismiss_flag(&state.db, &target, state.clock.now(), &trail.acting(&user.account)).await?;
    Ok(StatusCode::NO_CONTENT)
}
