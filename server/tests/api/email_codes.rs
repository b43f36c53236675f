//! E-mailed codes: the second factor of a login without an app, sent on
//! request to its contact address through a real SMTP server, valid 15
//! minutes, used once, void after 5 wrong tries or when a newer one is sent.

use app::domain::AccountKind;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    ADMIN, Browser, Db, MAIL_FROM, PASSWORD, RESEND_AFTER, STEP, T0, TestApp, assert_error, assert_status,
    code_sent_to, error_body, expect_ok, on_both_databases, race_requests, retry_after, spawn_app, spawn_app_with_mail,
};
use crate::mail_sink::{MailSink, code_in};

on_both_databases!(
    a_customer_logs_in_with_a_code_sent_by_e_mail,
    a_code_works_until_fifteen_minutes_after_it_was_sent,
    a_code_works_once,
    a_newer_code_voids_the_older_one,
    a_new_code_may_be_asked_for_once_a_minute,
    five_wrong_tries_void_a_code_four_do_not,
    when_the_mail_server_is_down_nothing_changes_and_a_retry_works_at_once,
    of_concurrent_requests_for_a_code_exactly_one_sends_one,
    the_app_replaces_e_mailed_codes_until_it_is_switched_off_or_reset,
    with_mail_off_an_e_mail_code_login_needs_its_password_only,
    the_combined_login_sends_an_e_mail_code_login_to_the_two_step_login,
);

const CUSTOMER: &str = "c10001";
/// The customer's contact address, and how the API shows it masked.
const ADDRESS: &str = "carol@example.com";
const MASKED: &str = "c••••@example.com";

/// A customer with e-mailed codes (as the CLI creates customers); answers its id.
async fn email_customer(app: &TestApp) -> i32 {
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, true)
        .await
}

/// A new browser past the password step of [`CUSTOMER`], offered e-mailed codes.
async fn pending(app: &TestApp) -> Browser {
    let browser = app.new_browser();
    let answer = expect_ok(browser.login(CUSTOMER, PASSWORD).await).await;
    assert_eq!(answer, json!({"status": "mfa_required", "methods": ["email"]}));
    browser
}

/// Asks for a code and reads it from the mail it came in.
async fn send_code(browser: &Browser, sink: &MailSink) -> String {
    let sent = expect_ok(browser.send_email_code().await).await;
    assert_eq!(sent, json!({"sent_to": MASKED, "valid_for": 900, "resend_after": 60}));
    code_sent_to(sink, ADDRESS).await
}

/// Another six digits than `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().expect("six digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn refused(browser: &Browser, code: &str) {
    assert_error(browser.login_mfa(code).await, StatusCode::UNAUTHORIZED, "invalid_code").await;
}

async fn logged_in(browser: &Browser, code: &str) {
    assert_eq!(expect_ok(browser.login_mfa(code).await).await, json!({"status": "ok"}));
    assert_eq!(browser.me_ok().await["username"], CUSTOMER);
}

/// Events of `kind` in the security log, read from the database.
async fn events(app: &TestApp, kind: &str) -> i64 {
    app.sql_value(&format!(
        "SELECT COUNT(*) AS v FROM security_events WHERE event = '{kind}'"
    ))
    .await
}

async fn a_customer_logs_in_with_a_code_sent_by_e_mail(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    email_customer(&app).await;
    // Without a pending login there is nobody to send a code to.
    assert_error(
        app.new_browser().send_email_code().await,
        StatusCode::UNAUTHORIZED,
        "no_pending_login",
    )
    .await;

    let browser = app.new_browser_with_user_agent("Firefox/140 (test)");
    let answer = expect_ok(browser.login(CUSTOMER, PASSWORD).await).await;
    assert_eq!(answer, json!({"status": "mfa_required", "methods": ["email"]}));
    assert_error(browser.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    assert!(sink.messages().is_empty(), "the password step alone sends nothing");

    let sent = expect_ok(browser.send_email_code().await).await;
    assert_eq!(sent, json!({"sent_to": MASKED, "valid_for": 900, "resend_after": 60}));
    let mail = sink.wait_for(ADDRESS).await;
    assert_eq!(mail.to, [ADDRESS]);
    assert_eq!(mail.from, "tessera@example.com", "From: {MAIL_FROM}");
    let code = code_in(&mail);
    assert!(mail.subject.contains(&code), "{}", mail.subject);
    for says in [
        "When: 2027-01-15 08:00 UTC",
        "From: 127.0.0.1",
        "Browser: Firefox/140 (test)",
        "valid for 15 minutes",
        "Nobody from support will ever ask you for this code",
    ] {
        assert!(mail.text.contains(says), "the mail should say {says:?}:\n{}", mail.text);
    }
    let html = mail.html.as_deref().expect("an HTML part");
    assert!(html.contains(&code) && html.contains("127.0.0.1"), "{html}");
    assert_eq!(events(&app, "email_code_sent").await, 1);

    app.advance(STEP);
    logged_in(&browser, &code).await;
    let me = browser.me_ok().await;
    assert_eq!(me["mfa"]["active"], "email");
    assert_eq!(me["mfa"]["contact_email"], ADDRESS);
    assert_eq!(me["mfa"]["email_codes"], true);
    assert_eq!(me["mfa"]["totp"]["enabled"], false);
    assert_eq!(sink.messages().len(), 1, "one code mail, nothing else");
}

async fn a_code_works_until_fifteen_minutes_after_it_was_sent(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    email_customer(&app).await;
    app.create_login_with_email(AccountKind::Customer, "c20002", None, "dave@example.com", true)
        .await;

    // Both get a code at T0.
    let carol = pending(&app).await;
    let carol_code = send_code(&carol, &sink).await;
    let dave = app.new_browser();
    expect_ok(dave.login("c20002", PASSWORD).await).await;
    expect_ok(dave.send_email_code().await).await;
    let dave_code = code_sent_to(&sink, "dave@example.com").await;

    // Dave types his password again later, so his pending login outlives T0 + 900.
    app.advance(600);
    let dave_again = app.new_browser();
    expect_ok(dave_again.login("c20002", PASSWORD).await).await;

    app.advance(299);
    assert_eq!(app.now(), T0 + 899);
    logged_in(&carol, &carol_code).await;

    app.advance(1);
    assert_eq!(app.now(), T0 + 900);
    refused(&dave_again, &dave_code).await;
    // The pending login itself still works: a new code logs in.
    expect_ok(dave_again.send_email_code().await).await;
    let new_code = code_sent_to(&sink, "dave@example.com").await;
    assert_eq!(
        expect_ok(dave_again.login_mfa(&new_code).await).await,
        json!({"status": "ok"})
    );
}

async fn a_code_works_once(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    email_customer(&app).await;
    let browser = pending(&app).await;
    let code = send_code(&browser, &sink).await;
    logged_in(&browser, &code).await;
    assert_status(browser.logout().await, StatusCode::NO_CONTENT).await;

    let again = pending(&app).await;
    refused(&again, &code).await;
    assert_error(again.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;

    // Using it ended the minute's wait: the next login gets a new code at once.
    let fresh = send_code(&again, &sink).await;
    logged_in(&again, &fresh).await;
}

async fn a_newer_code_voids_the_older_one(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    email_customer(&app).await;
    let browser = pending(&app).await;
    let older = send_code(&browser, &sink).await;
    app.advance(RESEND_AFTER);
    let newer = send_code(&browser, &sink).await;
    assert_ne!(older, newer, "two codes in a row were the same (one in a million)");

    // The older mail's code is told apart from a wrong one: it is the
    // user's mistake, and the answer says which mail to use.
    let (status, body) = error_body(browser.login_mfa(&older).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "superseded_code");
    assert_eq!(
        body["error"]["message"],
        "A newer code was sent: use the latest e-mail."
    );
    assert_eq!(events(&app, "code_failed").await, 1, "it still counts as a wrong code");
    refused(&browser, &other_than(&newer)).await;
    logged_in(&browser, &newer).await;

    // Once the newest is used, neither mail's code says anything more.
    assert_status(browser.logout().await, StatusCode::NO_CONTENT).await;
    let again = pending(&app).await;
    refused(&again, &older).await;
}

async fn a_new_code_may_be_asked_for_once_a_minute(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    email_customer(&app).await;
    let browser = pending(&app).await;
    send_code(&browser, &sink).await;

    let too_soon = browser.send_email_code().await;
    let header = retry_after(too_soon.headers());
    let (status, body) = error_body(too_soon).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "resend_too_soon");
    // In the header and in the body, for a client that counts down.
    assert_eq!((header, body["error"]["retry_after"].as_u64()), (Some(60), Some(60)));
    // Typing the password again does not start a new minute.
    app.advance(RESEND_AFTER - 1);
    let other_browser = pending(&app).await;
    let too_soon = assert_error(
        other_browser.send_email_code().await,
        StatusCode::TOO_MANY_REQUESTS,
        "resend_too_soon",
    )
    .await;
    assert_eq!(retry_after(&too_soon), Some(1));
    assert_eq!(sink.messages().len(), 1, "refused requests send nothing");

    app.advance(1);
    let code = send_code(&other_browser, &sink).await;
    logged_in(&other_browser, &code).await;
    assert_eq!(events(&app, "email_code_sent").await, 2);
}

/// A wrong code, some seconds later, so the account's throttle has let go.
async fn wrong_try(app: &TestApp, browser: &Browser, code: &str) -> reqwest::Response {
    app.advance(10);
    browser.login_mfa(&other_than(code)).await
}

async fn five_wrong_tries_void_a_code_four_do_not(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let id = email_customer(&app).await;

    // Four wrong tries, over two pending logins: the code still works.
    let first = pending(&app).await;
    let code = send_code(&first, &sink).await;
    for _ in 0..2 {
        assert_error(
            wrong_try(&app, &first, &code).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
    }
    let second = pending(&app).await;
    for _ in 0..2 {
        assert_error(
            wrong_try(&app, &second, &code).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
    }
    app.advance(10);
    logged_in(&second, &code).await;

    // Five wrong tries, over two pending logins (3 + 2, so neither login has
    // ended by its own count): the right code is refused.
    app.advance(RESEND_AFTER);
    let third = pending(&app).await;
    let code = send_code(&third, &sink).await;
    for _ in 0..3 {
        assert_error(
            wrong_try(&app, &third, &code).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
    }
    let fourth = pending(&app).await;
    for _ in 0..2 {
        assert_error(
            wrong_try(&app, &fourth, &code).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
    }
    let hash: Option<String> = app
        .sql_value(&format!("SELECT email_code_hash AS v FROM accounts WHERE id = {id}"))
        .await;
    assert_eq!(hash, None, "the code is void after five wrong tries");
    app.advance(10);
    refused(&fourth, &code).await;

    // The pending login goes on with a new code, at once: a void code holds
    // back no new one.
    let code = send_code(&fourth, &sink).await;
    app.advance(10); // the account's throttle, after six wrong codes in a row
    logged_in(&fourth, &code).await;
}

async fn when_the_mail_server_is_down_nothing_changes_and_a_retry_works_at_once(db: Db) {
    let (app, mut sink) = spawn_app_with_mail(db).await;
    let id = email_customer(&app).await;
    let browser = pending(&app).await;
    let first = send_code(&browser, &sink).await;
    app.advance(RESEND_AFTER);
    let state = format!(
        "SELECT email_code_hash || '/' || CAST(email_code_expires_at AS TEXT) || '/' \
         || CAST(email_code_sent_at AS TEXT) || '/' || CAST(email_code_failures AS TEXT) AS v \
         FROM accounts WHERE id = {id}"
    );
    let before: String = app.sql_value(&state).await;

    sink.stop();
    let down = assert_error(
        browser.send_email_code().await,
        StatusCode::SERVICE_UNAVAILABLE,
        "mail_unavailable",
    )
    .await;
    assert!(retry_after(&down).is_some(), "{down:?}");
    assert_eq!(
        app.sql_value::<String>(&state).await,
        before,
        "the refused send changed the account"
    );
    assert_eq!(events(&app, "email_code_sent").await, 1);

    // At once, without waiting for the minute: the slot was given back.
    sink.restart();
    let second = send_code(&browser, &sink).await;
    assert_ne!(first, second, "two codes in a row were the same (one in a million)");
    assert_eq!(events(&app, "email_code_sent").await, 2);
    assert_error(
        browser.login_mfa(&first).await,
        StatusCode::UNAUTHORIZED,
        "superseded_code",
    )
    .await;
    logged_in(&browser, &second).await;
}

async fn of_concurrent_requests_for_a_code_exactly_one_sends_one(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    email_customer(&app).await;
    let browser = pending(&app).await;

    let requests = (0..8)
        .map(|_| browser.request(Method::POST, "/api/v1/login/mfa/email"))
        .collect();
    let answers = race_requests(requests).await;

    let statuses: Vec<u16> = answers.iter().map(|(status, _)| status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{answers:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 7, "{answers:?}");
    // Every send finished before its answer, so the sink has all there will be.
    let mails = sink.messages();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(events(&app, "email_code_sent").await, 1);
    logged_in(&browser, &code_in(&mails[0])).await;
}

async fn the_app_replaces_e_mailed_codes_until_it_is_switched_off_or_reset(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let id = email_customer(&app).await;
    app.create_login(AccountKind::Admin, ADMIN, None).await;
    let browser = app.logged_in_by_email(&sink, CUSTOMER, ADDRESS).await;

    let (secret, _) = app.enable_totp(&browser).await;
    assert_eq!(browser.me_ok().await["mfa"]["active"], "app");
    assert_status(browser.logout().await, StatusCode::NO_CONTENT).await;
    app.advance(STEP);

    let with_app = app.new_browser();
    let answer = expect_ok(with_app.login(CUSTOMER, PASSWORD).await).await;
    assert_eq!(
        answer,
        json!({"status": "mfa_required", "methods": ["totp", "recovery_code"]})
    );
    assert_error(
        with_app.send_email_code().await,
        StatusCode::CONFLICT,
        "email_codes_not_offered",
    )
    .await;
    expect_ok(with_app.login_mfa(&app.code_now(&secret)).await).await;
    app.advance(STEP);

    // Switching the app off brings the e-mailed codes back.
    let disabled = with_app
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": app.code_now(&secret)}),
        )
        .await;
    assert_status(disabled, StatusCode::NO_CONTENT).await;
    assert_eq!(with_app.me_ok().await["mfa"]["active"], "email");
    let browser = app.logged_in_by_email(&sink, CUSTOMER, ADDRESS).await;

    // So does an administrator's reset.
    app.enable_totp(&browser).await;
    app.advance(STEP);
    let admin = app.logged_in_as(ADMIN).await;
    let reset = admin
        .post_json(
            &format!("/api/v1/accounts/{id}/mfa/disable"),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_status(reset, StatusCode::NO_CONTENT).await;
    assert_eq!(admin.get_ok(&format!("/api/v1/accounts/{id}")).await["mfa"], "email");
    let browser = app.logged_in_by_email(&sink, CUSTOMER, ADDRESS).await;
    assert_eq!(browser.me_ok().await["mfa"]["active"], "email");
}

async fn with_mail_off_an_e_mail_code_login_needs_its_password_only(db: Db) {
    let app = spawn_app(db).await;
    email_customer(&app).await;

    let answer = expect_ok(app.login(CUSTOMER, PASSWORD).await).await;
    assert_eq!(answer, json!({"status": "ok"}));
    let me = app.me_ok().await;
    assert_eq!(me["mfa"]["active"], "none");
    assert_eq!(me["mfa"]["email_codes"], false);
    assert_eq!(me["mfa"]["contact_email"], ADDRESS);
    // The User Panel lets it in too.
    let panel = app.new_browser();
    assert_eq!(
        expect_ok(panel.login_combined(CUSTOMER, PASSWORD).await).await,
        json!({"status": "ok"})
    );
}

async fn the_combined_login_sends_an_e_mail_code_login_to_the_two_step_login(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    email_customer(&app).await;
    let panel = app.new_browser();

    assert_error(
        panel.login_combined(CUSTOMER, "not the password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_error(
        panel.login_combined(CUSTOMER, &format!("{PASSWORD}123456")).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_error(
        panel.login_combined(CUSTOMER, PASSWORD).await,
        StatusCode::CONFLICT,
        "email_code_login",
    )
    .await;
    assert_error(panel.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    assert!(sink.messages().is_empty());
}
