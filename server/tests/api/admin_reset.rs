//! An administrator (or an operator at the command line) switches a login's
//! 2FA off for a user who lost the phone: secret, pending set-up and
//! recovery codes all go, and the security log says who did it.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    ADMIN, CUSTOMER, Db, Logins, MAILBOX, OTHER_CUSTOMER, PASSWORD, STEP, TestApp, assert_error, assert_status,
    expect_ok, on_both_databases, spawn_app,
};

on_both_databases!(
    an_administrator_switches_two_factor_off_with_its_own_password,
    a_pending_set_up_is_cleared_too,
    a_switch_off_also_clears_the_wrong_code_delay,
    switching_off_what_is_not_on_is_a_conflict,
    an_administrator_switches_its_own_two_factor_off_only_with_a_code,
    the_command_line_switches_two_factor_off_and_logs_it,
    the_command_line_refuses_an_unknown_login_or_one_without_two_factor,
);

/// 2FA on for the customer (by itself) and for its mailbox (by the
/// customer); answers each one's secret and recovery codes, by username.
async fn with_totp(app: &TestApp, logins: &Logins) -> Vec<(&'static str, i32, String, Vec<String>)> {
    let customer = app.logged_in_as(CUSTOMER).await;
    let (mailbox_secret, mailbox_codes) = app.enable_totp_for(&customer, logins.mailbox).await;
    let (customer_secret, customer_codes) = app.enable_totp(&customer).await;
    app.advance(STEP);
    vec![
        (MAILBOX, logins.mailbox, mailbox_secret, mailbox_codes),
        (CUSTOMER, logins.customer, customer_secret, customer_codes),
    ]
}

async fn an_administrator_switches_two_factor_off_with_its_own_password(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let targets = with_totp(&app, &logins).await;
    let admin = app.logged_in_as(ADMIN).await;

    for (username, id, old_secret, old_codes) in targets {
        let path = format!("/api/v1/accounts/{id}/mfa/disable");
        let refused = admin.post_json(&path, json!({"password": "not the password"})).await;
        assert_error(refused, StatusCode::UNAUTHORIZED, "invalid_password").await;
        assert_eq!(
            admin.get_ok(&format!("/api/v1/accounts/{id}")).await["mfa"],
            "on",
            "{username}"
        );
        assert_eq!(app.rows_of("recovery_codes", id).await, 10, "{username}");

        assert_status(
            admin.post_json(&path, json!({"password": PASSWORD})).await,
            StatusCode::NO_CONTENT,
        )
        .await;

        assert_eq!(
            admin.get_ok(&format!("/api/v1/accounts/{id}")).await["mfa"],
            "off",
            "{username}"
        );
        assert_eq!(app.rows_of("recovery_codes", id).await, 0, "{username}");
        let browser = app.logged_in_as(username).await;
        assert_eq!(
            browser.me_ok().await["mfa"],
            json!({
                "active": "none",
                "totp": {"enabled": false, "period": 30},
                "contact_email": null,
                "email_codes": false,
                "email_code_valid_for": 900,
                "recovery_codes_left": 0
            })
        );
        // Enrolling again gives a new secret; the old recovery codes stay dead.
        let (new_secret, _) = app.enable_totp(&browser).await;
        assert_ne!(new_secret, old_secret, "{username}");
        app.advance(STEP);
        let pending = app.pending_login(username).await;
        assert_error(
            pending.login_mfa(&old_codes[0]).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
        assert_error(
            pending.login_mfa(&app.code_now(&old_secret)).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
        expect_ok(pending.login_mfa(&app.code_now(&new_secret)).await).await;
        app.advance(STEP);
    }
}

async fn a_pending_set_up_is_cleared_too(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let admin = app.logged_in_as(ADMIN).await;
    let setup = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/setup", logins.mailbox),
            json!({"password": PASSWORD}),
        )
        .await;
    let secret = expect_ok(setup).await["secret"].as_str().expect("a secret").to_owned();

    assert_status(
        admin
            .post_json(
                &format!("/api/v1/accounts/{}/mfa/disable", logins.mailbox),
                json!({"password": PASSWORD}),
            )
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;

    assert_eq!(
        admin.get_ok(&format!("/api/v1/accounts/{}", logins.mailbox)).await["mfa"],
        "off"
    );
    let activate = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/activate", logins.mailbox),
            json!({"code": app.code_now(&secret)}),
        )
        .await;
    assert_error(activate, StatusCode::CONFLICT, "no_pending_setup").await;
}

async fn switching_off_what_is_not_on_is_a_conflict(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let admin = app.logged_in_as(ADMIN).await;
    let customer = app.logged_in_as(OTHER_CUSTOMER).await;

    for (browser, id) in [
        (&admin, logins.mailbox),
        (&admin, logins.other_customer),
        (&admin, logins.other_package),
        (&customer, logins.other_mailbox),
    ] {
        let response = browser
            .post_json(
                &format!("/api/v1/accounts/{id}/mfa/disable"),
                json!({"password": PASSWORD}),
            )
            .await;
        assert_error(response, StatusCode::CONFLICT, "totp_not_enabled").await;
    }
}

async fn the_command_line_switches_two_factor_off_and_logs_it(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    with_totp(&app, &logins).await;

    let (status, stdout, stderr) = app.tessera(&["account", "reset-mfa", "Info@Example.com"]).await;

    assert!(status.success(), "{status}: {stdout} {stderr}");
    assert!(stdout.contains(MAILBOX), "{stdout}");
    let mailbox = app.logged_in_as(MAILBOX).await;
    assert_eq!(mailbox.me_ok().await["mfa"]["totp"]["enabled"], false);
    assert_eq!(app.rows_of("recovery_codes", logins.mailbox).await, 0);
    // The customer's 2FA is its own, and still on.
    assert_eq!(
        expect_ok(app.new_browser().login(CUSTOMER, PASSWORD).await).await["status"],
        "mfa_required"
    );

    let admin = app.logged_in_as(ADMIN).await;
    let log = admin
        .get_ok(&format!("/api/v1/audit?account={MAILBOX}&event=mfa_reset_by_admin"))
        .await;
    let events = log["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(events[0]["account"], MAILBOX);
    assert_eq!(events[0]["actor"], "command line");
    assert_eq!(events[0]["ip"], serde_json::Value::Null);
}

async fn the_command_line_refuses_an_unknown_login_or_one_without_two_factor(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;

    for (username, says) in [
        ("nobody@example.com", "there is no login named nobody@example.com"),
        (MAILBOX, "has no 2FA to switch off"),
        ("not a name", "username"),
    ] {
        let (status, stdout, stderr) = app.tessera(&["account", "reset-mfa", username]).await;
        assert!(!status.success(), "{username}: {status}: {stdout}");
        assert!(stderr.contains(says), "{username}: {stderr:?} should say {says:?}");
    }
}

async fn an_administrator_switches_its_own_two_factor_off_only_with_a_code(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let admin = app.logged_in_as(ADMIN).await;
    let (secret, _) = app.enable_totp(&admin).await;
    app.advance(STEP);

    // Its own login is in its list, but the password alone does not switch its 2FA off.
    let response = admin
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/disable", logins.admin),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(admin.me_ok().await["mfa"]["totp"]["enabled"], true);

    // My Account's way, with a current code.
    let response = admin
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": app.code_now(&secret)}),
        )
        .await;
    assert_status(response, StatusCode::NO_CONTENT).await;
}

async fn a_switch_off_also_clears_the_wrong_code_delay(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let (secret, _) = app.enable_totp_for(&customer, logins.mailbox).await;
    // The user's phone is lost: wrong guesses until the login must wait.
    let pending = app.pending_login(MAILBOX).await;
    for _ in 0..6 {
        pending.login_mfa(&crate::helpers::wrong_code(&secret, app.now())).await;
    }
    let admin = app.logged_in_as(ADMIN).await;

    assert_status(
        admin
            .post_json(
                &format!("/api/v1/accounts/{}/mfa/disable", logins.mailbox),
                json!({"password": PASSWORD}),
            )
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;

    // Set up again, the first code is taken at once.
    let (secret, _) = app.enable_totp_for(&customer, logins.mailbox).await;
    let pending = app.pending_login(MAILBOX).await;
    expect_ok(pending.login_mfa(&app.code_now(&secret)).await).await;
}
