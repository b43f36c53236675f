//! `GET /api/v1/openapi.json`: the API described, from the handlers' own annotations.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tessera", description = "Two-factor authentication for hosting control panels and webmail."),
    paths(
        super::auth::login,
        super::auth::login_mfa,
        super::auth::login_mfa_email,
        super::auth::login_combined,
        super::auth::logout,
        super::auth::me,
        super::sessions::mine,
        super::sessions::end_one,
        super::sessions::end_others,
        super::password::change,
        super::mfa::setup,
        super::mfa::activate,
        super::mfa::start_move,
        super::mfa::finish_move,
        super::mfa::disable,
        super::mfa::regenerate_recovery_codes,
        super::audit::mine,
        super::accounts::list,
        super::accounts::show,
        super::accounts::setup,
        super::accounts::activate,
        super::accounts::disable,
        super::accounts::dismiss_flag,
        super::audit::list,
        super::notices::not_me,
        super::notices::event_not_me,
        super::setup_links::send,
        super::setup_links::start,
        super::setup_links::activate,
        super::app_passwords::mine,
        super::app_passwords::create_mine,
        super::app_passwords::revoke_mine,
        super::app_passwords::revoke_all_mine,
        super::app_passwords::send_confirmation_code,
        super::app_passwords::of_login,
        super::app_passwords::create_for_login,
        super::app_passwords::revoke_of_login,
        super::app_passwords::revoke_all_of_login,
        super::mail_auth::nginx,
        super::mail_auth::json,
    ),
    tags(
        (name = "login", description = "Password step, code step, logout"),
        (name = "account", description = "The logged-in account"),
        (name = "mfa", description = "The account's own second factor"),
        (name = "accounts", description = "Logins a customer or an administrator manages"),
        (name = "audit", description = "The security log (administrators)"),
        (name = "app passwords", description = "A mailbox's passwords for its mail clients"),
        (name = "mail", description = "The mail proxy's questions: may this IMAP, POP3 or SMTP login proceed?"),
    )
)]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
