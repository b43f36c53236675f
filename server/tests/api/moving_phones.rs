//! Moving the authenticator app to a new phone: the old app's codes work until
//! the new one's code confirms the move; the recovery codes stay. A login
//! with a recovery code is told, through `GET /me`, that it may want to.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, Browser, CUSTOMER, Db, PASSWORD, STEP, TestApp, assert_error, assert_status, code_at, expect_ok,
    on_both_databases, spawn_app, spawn_app_with_mail,
};
use app::domain::AccountKind;

on_both_databases!(
    after_a_recovery_code_login_the_app_moves_to_a_new_phone,
    moving_needs_the_password_a_current_code_and_an_app,
    a_move_is_confirmed_only_by_the_new_phone_and_only_once,
    a_reset_during_a_move_leaves_nothing_to_confirm,
    the_move_is_logged_and_mailed,
);

async fn start_move(browser: &Browser, password: &str, code: &str) -> reqwest::Response {
    browser
        .post_json("/api/v1/me/mfa/totp/move", json!({"password": password, "code": code}))
        .await
}

async fn confirm_move(browser: &Browser, code: &str) -> reqwest::Response {
    browser
        .post_json("/api/v1/me/mfa/totp/move/confirm", json!({"code": code}))
        .await
}

fn secret_in(setup: &Value) -> String {
    setup["secret"]
        .as_str()
        .expect("the answer holds the new secret")
        .to_owned()
}

/// Whether a fresh login with `code` after the password gets in.
async fn code_logs_in(app: &TestApp, username: &str, code: &str) -> bool {
    let pending = app.pending_login(username).await;
    pending.login_mfa(code).await.status() == StatusCode::OK
}

async fn after_a_recovery_code_login_the_app_moves_to_a_new_phone(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp(CUSTOMER).await;
    let with_app = app.logged_in(&user).await;
    assert_eq!(with_app.me_ok().await["via_recovery_code"], false);

    // The phone is gone: a recovery code logs in, and the page is told.
    let browser = app.pending_login(CUSTOMER).await;
    expect_ok(browser.login_mfa(&user.recovery_codes[0]).await).await;
    assert_eq!(browser.me_ok().await["via_recovery_code"], true);

    // Another recovery code proves it again; the new phone gets a new secret.
    let setup = expect_ok(start_move(&browser, PASSWORD, &user.recovery_codes[1]).await).await;
    let new_secret = secret_in(&setup);
    assert_ne!(new_secret, user.secret);
    assert!(
        setup["otpauth_uri"].as_str().is_some_and(|u| u.contains(&new_secret)),
        "{setup}"
    );
    assert!(setup["qr_svg"].as_str().is_some_and(|s| s.contains("<svg")), "{setup}");

    let new_code = app.code_now(&new_secret);
    assert_status(confirm_move(&browser, &new_code).await, StatusCode::NO_CONTENT).await;
    let me = browser.me_ok().await;
    assert_eq!(me["via_recovery_code"], false, "the offer is done with");
    // The lost phone's session ends with the move; this one stays.
    assert_error(with_app.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    assert_eq!(me["mfa"]["active"], "app");
    assert_eq!(me["mfa"]["recovery_codes_left"], 8, "the same codes, less the two used");

    app.advance(STEP);
    assert!(
        !code_logs_in(&app, CUSTOMER, &app.code_now(&user.secret)).await,
        "the old phone's code still works"
    );
    app.advance(STEP);
    assert!(code_logs_in(&app, CUSTOMER, &app.code_now(&new_secret)).await);
    assert!(code_logs_in(&app, CUSTOMER, &user.recovery_codes[2]).await);
}

async fn moving_needs_the_password_a_current_code_and_an_app(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp(CUSTOMER).await;
    let browser = app.logged_in(&user).await;

    let code = app.code_now(&user.secret);
    assert_error(
        start_move(&browser, "not the password", &code).await,
        StatusCode::UNAUTHORIZED,
        "invalid_password",
    )
    .await;
    let wrong = crate::helpers::wrong_code(&user.secret, app.now());
    assert_error(
        start_move(&browser, PASSWORD, &wrong).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    assert_error(
        confirm_move(&browser, &code).await,
        StatusCode::CONFLICT,
        "no_pending_setup",
    )
    .await;
    let pending = format!("SELECT totp_pending_secret AS v FROM accounts WHERE username = '{CUSTOMER}'");
    assert_eq!(
        app.sql_value::<Option<String>>(&pending).await,
        None,
        "a refused start holds no new secret"
    );

    // Without an app there is nothing to move.
    app.create_account("c20002").await;
    let without = app.logged_in_as("c20002").await;
    assert_error(
        start_move(&without, PASSWORD, "123456").await,
        StatusCode::CONFLICT,
        "totp_not_enabled",
    )
    .await;
    assert_error(
        confirm_move(&without, "123456").await,
        StatusCode::CONFLICT,
        "totp_not_enabled",
    )
    .await;
    assert_error(
        app.new_browser()
            .post_json("/api/v1/me/mfa/totp/move", json!({"password": PASSWORD, "code": code}))
            .await,
        StatusCode::UNAUTHORIZED,
        "not_logged_in",
    )
    .await;
}

async fn a_move_is_confirmed_only_by_the_new_phone_and_only_once(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp(CUSTOMER).await;
    let browser = app.logged_in(&user).await;
    let setup = expect_ok(start_move(&browser, PASSWORD, &app.code_now(&user.secret)).await).await;
    let new_secret = secret_in(&setup);
    app.advance(STEP);

    // Until then the old phone logs in, and enrolling anew is refused.
    assert!(code_logs_in(&app, CUSTOMER, &app.code_now(&user.secret)).await);
    assert_error(
        browser
            .post_json(
                "/api/v1/me/mfa/totp/activate",
                json!({"code": app.code_now(&new_secret)}),
            )
            .await,
        StatusCode::CONFLICT,
        "totp_already_enabled",
    )
    .await;
    // The old phone's code does not confirm the move: it is a typo while
    // setting up, and logged as one.
    assert_error(
        confirm_move(&browser, &code_at(&user.secret, app.now())).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    let typos = "SELECT COUNT(*) AS v FROM security_events WHERE event = 'setup_code_failed'";
    assert_eq!(app.sql_value::<i64>(typos).await, 1);

    assert_status(
        confirm_move(&browser, &app.code_now(&new_secret)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let failures = format!("SELECT mfa_failures AS v FROM accounts WHERE username = '{CUSTOMER}'");
    assert_eq!(
        app.sql_value::<i32>(&failures).await,
        0,
        "the right code ends the run of wrong ones"
    );
    assert_error(
        confirm_move(&browser, &app.code_now(&new_secret)).await,
        StatusCode::CONFLICT,
        "no_pending_setup",
    )
    .await;
}

async fn a_reset_during_a_move_leaves_nothing_to_confirm(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp(CUSTOMER).await;
    let browser = app.logged_in(&user).await;
    let setup = expect_ok(start_move(&browser, PASSWORD, &app.code_now(&user.secret)).await).await;
    let new_secret = secret_in(&setup);

    app.create_login(AccountKind::Admin, ADMIN, None).await;
    let admin = app.logged_in_as(ADMIN).await;
    let id = app
        .sql_value::<i32>(&format!("SELECT id AS v FROM accounts WHERE username = '{CUSTOMER}'"))
        .await;
    assert_status(
        admin
            .post_json(
                &format!("/api/v1/accounts/{id}/mfa/disable"),
                json!({"password": PASSWORD}),
            )
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;

    let again = app.logged_in_as(CUSTOMER).await;
    assert_error(
        confirm_move(&again, &app.code_now(&new_secret)).await,
        StatusCode::CONFLICT,
        "totp_not_enabled",
    )
    .await;
    assert_eq!(again.me_ok().await["mfa"]["active"], "none");
}

async fn the_move_is_logged_and_mailed(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let address = "owner@example.com";
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, address, false)
        .await;
    let browser = app.logged_in_as(CUSTOMER).await;
    let (secret, _) = app.enable_totp(&browser).await;
    app.advance(STEP);

    let setup = expect_ok(start_move(&browser, PASSWORD, &app.code_now(&secret)).await).await;
    assert_status(
        confirm_move(&browser, &app.code_now(&secret_in(&setup))).await,
        StatusCode::NO_CONTENT,
    )
    .await;

    let events = browser.get_ok("/api/v1/me/events").await;
    let newest = &events["events"][0];
    assert_eq!(newest["event"], "app_moved", "{events}");
    let mail = sink
        .wait_for_where(address, "the notice of the move", |mail| {
            mail.subject.starts_with("Your authenticator app moved")
        })
        .await;
    assert_eq!(
        mail.subject,
        format!("Your authenticator app moved to a new phone: {CUSTOMER}")
    );
    assert!(mail.text.contains("no longer work"), "{}", mail.text);
    assert!(mail.text.contains("/this-wasnt-me#"), "{}", mail.text);
}
