//! A new password: in My Account with the current one and a current second
//! factor, or at the command line. The other browsers are logged out, the
//! contact address is told, and the old password opens nothing.

use app::domain::AccountKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    CUSTOMER, Db, PASSWORD, STEP, assert_error, assert_status, on_both_databases, spawn_app, spawn_app_with_mail,
};

on_both_databases!(
    a_login_changes_its_password_and_its_other_browsers_are_logged_out,
    with_2fa_on_a_current_code_is_needed_too,
    the_command_line_sets_a_password_and_ends_every_session,
);

const NEW: &str = "a whole new password 1";

fn change(current: &str, new: &str) -> Value {
    json!({"current_password": current, "new_password": new})
}

async fn a_login_changes_its_password_and_its_other_browsers_are_logged_out(db: Db) {
    let (app, _sink) = spawn_app_with_mail(db).await;
    let id = app
        .create_login_with_email(AccountKind::Customer, CUSTOMER, None, "owner@example.com", false)
        .await;
    let (this, other) = (app.logged_in_as(CUSTOMER).await, app.logged_in_as(CUSTOMER).await);

    for (body, status, code) in [
        (
            change("not the password", NEW),
            StatusCode::UNAUTHORIZED,
            "invalid_password",
        ),
        (
            change(PASSWORD, "short"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            change(PASSWORD, PASSWORD),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({"current_password": PASSWORD}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
    ] {
        assert_error(this.post_json("/api/v1/me/password", body).await, status, code).await;
    }
    assert_eq!(other.me().await.status(), StatusCode::OK, "nothing changed yet");

    assert_status(
        this.post_json("/api/v1/me/password", change(PASSWORD, NEW)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(this.me().await.status(), StatusCode::OK, "this browser stays");
    assert_error(other.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    assert_error(
        app.new_browser().login(CUSTOMER, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_status(app.new_browser().login(CUSTOMER, NEW).await, StatusCode::OK).await;

    let notices = app
        .wait_for_notices("a password_changed notice, sent", |n| {
            n.iter().any(|n| n.kind == "password_changed" && n.sent_at.is_some())
        })
        .await;
    assert!(
        notices
            .iter()
            .any(|n| n.kind == "password_changed" && n.account_id == id)
    );
}

async fn with_2fa_on_a_current_code_is_needed_too(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp(CUSTOMER).await;
    let browser = app.logged_in(&user).await;
    assert_error(
        browser.post_json("/api/v1/me/password", change(PASSWORD, NEW)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let mut body = change(PASSWORD, NEW);
    body["code"] = json!(crate::helpers::wrong_code(&user.secret, app.now()));
    assert_error(
        browser.post_json("/api/v1/me/password", body.clone()).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    body["code"] = json!(app.code_now(&user.secret));
    assert_status(
        browser.post_json("/api/v1/me/password", body).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    app.advance(STEP);
    // A recovery code is a current second factor too.
    let mut again = change(NEW, PASSWORD);
    again["code"] = json!(user.recovery_codes[0]);
    assert_status(
        browser.post_json("/api/v1/me/password", again).await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

async fn the_command_line_sets_a_password_and_ends_every_session(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    let browser = app.logged_in_as(CUSTOMER).await;
    let (status, stdout, stderr) = app
        .tessera_with_input(
            &["account", "set-password", CUSTOMER, "--password-stdin"],
            &format!("{NEW}\n"),
        )
        .await;
    assert!(status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("its sessions have ended"), "{stdout}");
    assert_error(browser.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    assert_status(app.new_browser().login(CUSTOMER, NEW).await, StatusCode::OK).await;
    let events: i64 = app
        .sql_value(
            "SELECT COUNT(*) AS v FROM security_events WHERE event = 'password_changed' AND actor = 'command line'",
        )
        .await;
    assert_eq!(events, 1);

    for (args, input, why) in [
        (
            &["account", "set-password", CUSTOMER, "--password-stdin"][..],
            "short\n",
            "at least 8 characters",
        ),
        (
            &["account", "set-password", "c99999", "--password-stdin"][..],
            "long enough 1\n",
            "no login named c99999",
        ),
    ] {
        let (status, _, stderr) = app.tessera_with_input(args, input).await;
        assert!(!status.success() && stderr.contains(why), "{stderr}");
    }
}
