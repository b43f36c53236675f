//! Wrong codes: three are free, then the account waits 1 s, 2 s, 4 s, ...
//! (at most 15 minutes); five end a pending login. Measured on the manual clock.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{
    Browser, Db, PASSWORD, TestApp, TotpUser, assert_error, expect_ok, on_both_databases, retry_after, spawn_app,
    wrong_code,
};

on_both_databases!(
    three_wrong_codes_are_free_then_the_delay_doubles_up_to_fifteen_minutes,
    a_right_code_resets_the_delay,
    the_delay_is_kept_in_the_database_and_outlasts_the_login,
    passwords_and_other_accounts_keep_working_while_codes_are_throttled,
    five_wrong_codes_end_the_pending_login,
    refused_attempts_do_not_count_against_the_pending_login,
    wrong_codes_anywhere_count_towards_the_same_delay,
);

/// Sends a wrong code and expects it checked and refused.
async fn wrong_code_is_refused(app: &TestApp, browser: &Browser, user: &TotpUser) {
    let response = browser.login_mfa(&wrong_code(&user.secret, app.now())).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_code").await;
}

/// Sends the right code and expects 429; answers Retry-After.
async fn throttled(app: &TestApp, browser: &Browser, user: &TotpUser) -> u64 {
    let response = browser.login_mfa(&app.code_now(&user.secret)).await;
    let headers = assert_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    retry_after(&headers).expect("a 429 says when to retry, in seconds")
}

async fn three_wrong_codes_are_free_then_the_delay_doubles_up_to_fifteen_minutes(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let expected_delays = [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900];

    for (failures, expected) in (1..).zip(expected_delays) {
        // A new login each time, so the five tries per login do not interfere.
        let browser = app.pending_login("c12345").await;
        wrong_code_is_refused(&app, &browser, &user).await;
        if expected == 0 {
            continue;
        }
        assert_eq!(
            throttled(&app, &browser, &user).await,
            expected,
            "after {failures} wrong codes"
        );
        app.advance(i64::try_from(expected).expect("a small number") - 1);
        // (A new login: a pending one lasts ten minutes, less than the longest delay.)
        let browser = app.pending_login("c12345").await;
        assert_eq!(
            throttled(&app, &browser, &user).await,
            1,
            "a second before the end of the delay"
        );
        app.advance(1);
    }
}

async fn a_right_code_resets_the_delay(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.pending_login("c12345").await;
    for _ in 0..3 {
        wrong_code_is_refused(&app, &browser, &user).await;
    }
    assert_eq!(throttled(&app, &browser, &user).await, 1);

    app.advance(1);
    expect_ok(browser.login_mfa(&app.code_now(&user.secret)).await).await;

    // Three free wrong codes again, and the delay starts again at one second.
    app.advance(30);
    let browser = app.pending_login("c12345").await;
    for _ in 0..3 {
        wrong_code_is_refused(&app, &browser, &user).await;
    }
    assert_eq!(throttled(&app, &browser, &user).await, 1);
}

async fn the_delay_is_kept_in_the_database_and_outlasts_the_login(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let first = app.pending_login("c12345").await;
    for _ in 0..4 {
        wrong_code_is_refused(&app, &first, &user).await;
        app.advance(1);
    }
    assert_eq!(first.logout().await.status(), StatusCode::NO_CONTENT);

    // A new login (another browser) inherits the delay: 4 wrong codes, 2 s,
    // of which 1 s has passed.
    let second = app.pending_login("c12345").await;
    assert_eq!(throttled(&app, &second, &user).await, 1);

    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT mfa_failures, mfa_locked_until FROM accounts WHERE username = 'c12345'",
        ))
        .await
        .expect("the accounts table can be read")
        .expect("the account has a row");
    let failures: i32 = row.try_get("", "mfa_failures").expect("mfa_failures");
    let locked_until: Option<i64> = row.try_get("", "mfa_locked_until").expect("mfa_locked_until");
    assert_eq!(failures, 4);
    assert_eq!(locked_until, Some(app.now() + 1));
}

async fn passwords_and_other_accounts_keep_working_while_codes_are_throttled(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let other = app.user_with_totp("c67890").await;
    let browser = app.pending_login("c12345").await;
    for _ in 0..3 {
        wrong_code_is_refused(&app, &browser, &user).await;
    }
    assert_eq!(throttled(&app, &browser, &user).await, 1);

    // The password step is not throttled by wrong codes, and still checks the password.
    let again = app.new_browser();
    let login = expect_ok(again.login("c12345", PASSWORD).await).await;
    assert_eq!(login["status"], "mfa_required");
    assert_error(
        again.login("c12345", "not the password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // Other accounts are not throttled.
    let other_browser = app.pending_login("c67890").await;
    expect_ok(other_browser.login_mfa(&app.code_now(&other.secret)).await).await;
}

async fn five_wrong_codes_end_the_pending_login(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.pending_login("c12345").await;
    for wait in [0, 0, 0, 1] {
        app.advance(wait);
        wrong_code_is_refused(&app, &browser, &user).await;
    }
    app.advance(2);

    let fifth = browser.login_mfa(&wrong_code(&user.secret, app.now())).await;

    assert_error(fifth, StatusCode::UNAUTHORIZED, "login_expired").await;
    app.advance(900);
    assert_error(
        browser.login_mfa(&app.code_now(&user.secret)).await,
        StatusCode::UNAUTHORIZED,
        "no_pending_login",
    )
    .await;
    assert_error(browser.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    // The password, then the right code, still log in.
    let browser = app.pending_login("c12345").await;
    expect_ok(browser.login_mfa(&app.code_now(&user.secret)).await).await;
}

async fn refused_attempts_do_not_count_against_the_pending_login(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.pending_login("c12345").await;
    for _ in 0..3 {
        wrong_code_is_refused(&app, &browser, &user).await;
    }

    for _ in 0..10 {
        throttled(&app, &browser, &user).await;
        let malformed = browser.login_mfa("12345x").await;
        assert_error(malformed, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }

    app.advance(1);
    expect_ok(browser.login_mfa(&app.code_now(&user.secret)).await).await;
}

async fn wrong_codes_anywhere_count_towards_the_same_delay(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;
    let wrong = wrong_code(&user.secret, app.now());

    let disable = json!({"password": PASSWORD, "code": wrong});
    for _ in 0..2 {
        let response = browser.post_json("/api/v1/me/mfa/totp/disable", disable.clone()).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_code").await;
    }
    let response = browser
        .post_json("/api/v1/me/mfa/recovery-codes", disable.clone())
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_code").await;

    let pending = app.pending_login("c12345").await;
    assert_eq!(throttled(&app, &pending, &user).await, 1);
    let right = json!({"password": PASSWORD, "code": app.code_now(&user.secret)});
    let response = browser.post_json("/api/v1/me/mfa/totp/disable", right).await;
    let headers = assert_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(retry_after(&headers), Some(1));

    // Activation codes count too.
    app.create_account("c67890").await;
    let newcomer = app.new_browser();
    expect_ok(newcomer.login("c67890", PASSWORD).await).await;
    let setup = expect_ok(
        newcomer
            .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
            .await,
    )
    .await;
    let secret = setup["secret"].as_str().expect("a secret").to_owned();
    let wrong = json!({"code": wrong_code(&secret, app.now())});
    for _ in 0..3 {
        let response = newcomer.post_json("/api/v1/me/mfa/totp/activate", wrong.clone()).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_code").await;
    }
    let right = json!({"code": app.code_now(&secret)});
    let response = newcomer.post_json("/api/v1/me/mfa/totp/activate", right.clone()).await;
    let headers = assert_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(retry_after(&headers), Some(1));
    app.advance(1);
    expect_ok(newcomer.post_json("/api/v1/me/mfa/totp/activate", right).await).await;
}
