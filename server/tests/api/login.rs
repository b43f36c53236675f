//! The password step, sessions and their cookie, logout.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    Db, PASSWORD, STEP, assert_error, assert_status, error_body, expect_ok, on_both_databases, session_set_cookie,
    session_token_set_by, spawn_app,
};

on_both_databases!(
    a_login_without_two_factor_is_complete_and_me_shows_the_account,
    a_wrong_password_and_an_unknown_user_get_the_identical_answer,
    a_malformed_username_or_an_empty_password_is_invalid_input,
    usernames_are_not_case_sensitive,
    the_session_cookie_is_http_only_and_same_site_lax,
    every_login_gets_a_new_token_and_the_code_step_another,
    logout_ends_the_session_and_the_old_cookie_stops_working,
    a_pending_login_may_only_send_its_code_or_log_out,
    without_a_valid_session_nobody_is_logged_in,
    a_full_session_has_no_code_step_to_take,
    a_pending_login_expires_after_fifteen_minutes,
    a_session_expires_after_twelve_hours,
);

async fn a_login_without_two_factor_is_complete_and_me_shows_the_account(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    let response = expect_ok(app.login("c12345", PASSWORD).await).await;

    assert_eq!(response, json!({"status": "ok"}));
    assert_eq!(
        app.me_ok().await,
        json!({
            "username": "c12345",
            "kind": "customer",
            "mfa": {
                "active": "none",
                "totp": {"enabled": false, "period": 30},
                "contact_email": null,
                "email_codes": false,
                "email_code_valid_for": 900,
                "recovery_codes_left": 0
            },
            "via_recovery_code": false,
            "session": {"idle_timeout": 1800, "expires_at": app.now() + 12 * 60 * 60}
        })
    );
}

async fn a_wrong_password_and_an_unknown_user_get_the_identical_answer(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    let wrong_password = app.login("c12345", "not the password").await;
    let unknown_user = app.login("c99999", "not the password").await;

    let wrong_password_headers = wrong_password.headers().clone();
    let unknown_user_headers = unknown_user.headers().clone();
    let wrong_password = error_body(wrong_password).await;
    let unknown_user = error_body(unknown_user).await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.1["error"]["code"], "invalid_credentials");
    assert_eq!(wrong_password, unknown_user, "the answers tell the two apart");
    for headers in [&wrong_password_headers, &unknown_user_headers] {
        assert!(
            headers.get("set-cookie").is_none(),
            "a failed login sets no cookie: {headers:?}"
        );
    }
    assert_error(app.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
}

async fn a_malformed_username_or_an_empty_password_is_invalid_input(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    for (username, password) in [
        ("", PASSWORD),
        ("   ", PASSWORD),
        ("c 12345", PASSWORD),
        ("c12345/..", PASSWORD),
        ("nämé", PASSWORD),
        ("c12345", ""),
    ] {
        let response = app.login(username, password).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
}

async fn usernames_are_not_case_sensitive(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("web1.c10001").await;

    expect_ok(app.login("  Web1.C10001 ", PASSWORD).await).await;

    assert_eq!(app.me_ok().await["username"], "web1.c10001");
}

async fn the_session_cookie_is_http_only_and_same_site_lax(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    let response = app.login("c12345", PASSWORD).await;

    let cookie = session_set_cookie(&response).expect("the login sets the session cookie");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.contains(&"httponly".to_owned()), "{cookie}");
    assert!(attributes.contains(&"samesite=lax".to_owned()), "{cookie}");
    assert!(attributes.contains(&"path=/".to_owned()), "{cookie}");
    let token = session_token_set_by(&response).unwrap_or_default();
    assert_eq!(token.len(), 64, "a 256-bit token, hex: {cookie}");
}

async fn every_login_gets_a_new_token_and_the_code_step_another(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.new_browser();

    let first = browser.login("c12345", PASSWORD).await;
    let first_token = session_token_set_by(&first).expect("the first login sets a token");
    let second = browser.login("c12345", PASSWORD).await;
    let second_token = session_token_set_by(&second).expect("the second login sets a token");
    let code_step = browser.login_mfa(&app.code_now(&user.secret)).await;
    let full_token = session_token_set_by(&code_step).expect("the code step sets a token");
    assert_status(code_step, StatusCode::OK).await;

    assert_ne!(first_token, second_token);
    assert_ne!(second_token, full_token);
    assert_ne!(first_token, full_token);
    // The replaced tokens are dead; only the last one logs in.
    for old in [&first_token, &second_token] {
        let me = app
            .request_with_session(Method::GET, "/api/v1/me", old)
            .send()
            .await
            .expect("answered");
        assert_error(me, StatusCode::UNAUTHORIZED, "not_logged_in").await;
        let code_step = app
            .request_with_session(Method::POST, "/api/v1/login/mfa", old)
            .json(&json!({"code": app.code_now(&user.secret)}))
            .send()
            .await
            .expect("answered");
        assert_error(code_step, StatusCode::UNAUTHORIZED, "no_pending_login").await;
    }
    let me = app
        .request_with_session(Method::GET, "/api/v1/me", &full_token)
        .send()
        .await
        .expect("answered");
    assert_eq!(expect_ok(me).await["username"], "c12345");
}

async fn logout_ends_the_session_and_the_old_cookie_stops_working(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let login = app.login("c12345", PASSWORD).await;
    let token = session_token_set_by(&login).expect("the login sets a token");
    app.me_ok().await;

    let logout = app.logout().await;

    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        session_token_set_by(&logout).as_deref(),
        Some(""),
        "logout clears the cookie"
    );
    assert_error(app.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    let replayed = app
        .request_with_session(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .expect("answered");
    assert_error(replayed, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    // Logging out twice, or without a session, is fine.
    assert_status(app.logout().await, StatusCode::NO_CONTENT).await;
}

async fn a_pending_login_may_only_send_its_code_or_log_out(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let pending = app.pending_login("c12345").await;

    assert_error(pending.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    let setup = pending
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
        .await;
    assert_error(setup, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    let activate = pending
        .post_json(
            "/api/v1/me/mfa/totp/activate",
            json!({"code": app.code_now(&user.secret)}),
        )
        .await;
    assert_error(activate, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    let code = app.code_now(&user.secret);
    let disable = pending
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": code}),
        )
        .await;
    assert_error(disable, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    let regenerate = pending
        .post_json(
            "/api/v1/me/mfa/recovery-codes",
            json!({"password": PASSWORD, "code": code}),
        )
        .await;
    assert_error(regenerate, StatusCode::UNAUTHORIZED, "not_logged_in").await;

    // None of that used up the code or the pending login.
    expect_ok(pending.login_mfa(&code).await).await;
    assert_eq!(pending.me_ok().await["mfa"]["totp"]["enabled"], true);

    // And a pending login can be abandoned.
    app.advance(STEP);
    let abandoned = app.pending_login("c12345").await;
    assert_status(abandoned.logout().await, StatusCode::NO_CONTENT).await;
    assert_error(
        abandoned.login_mfa(&app.code_now(&user.secret)).await,
        StatusCode::UNAUTHORIZED,
        "no_pending_login",
    )
    .await;
}

async fn without_a_valid_session_nobody_is_logged_in(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    assert_error(app.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    assert_error(
        app.login_mfa("123456").await,
        StatusCode::UNAUTHORIZED,
        "no_pending_login",
    )
    .await;
    let (zeros, not_hex, huge) = ("0".repeat(64), "z".repeat(64), "a".repeat(5000));
    for token in ["garbage", "", &zeros, &not_hex, &huge] {
        let me = app
            .request_with_session(Method::GET, "/api/v1/me", token)
            .send()
            .await
            .expect("answered");
        assert_error(me, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    }
}

async fn a_full_session_has_no_code_step_to_take(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;

    let code_step = browser.login_mfa(&app.code_now(&user.secret)).await;

    assert_error(code_step, StatusCode::UNAUTHORIZED, "no_pending_login").await;
    browser.me_ok().await;
}

async fn a_pending_login_expires_after_fifteen_minutes(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let pending = app.pending_login("c12345").await;

    app.advance(15 * 60);

    let code_step = pending.login_mfa(&app.code_now(&user.secret)).await;
    assert_error(code_step, StatusCode::UNAUTHORIZED, "no_pending_login").await;
}

async fn a_session_expires_after_twelve_hours(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    expect_ok(app.login("c12345", PASSWORD).await).await;

    // In use all along (the idle timeout is 30 minutes).
    for _ in 0..(12 * 60 / 20 - 1) {
        app.advance(20 * 60);
        app.me_ok().await;
    }
    app.advance(20 * 60 - 1);
    app.me_ok().await;
    app.advance(1);

    assert_error(app.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
}
