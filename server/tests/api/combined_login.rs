//! The User Panel's login: the 6-digit code appended to the password, in one
//! field (`T9D3K!px` + `189 145` = `T9D3K!px189145`). Every refusal but
//! throttling looks the same, and codes work once, as in two steps.

use app::domain::AccountKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    Browser, CUSTOMER, Db, STEP, TestApp, assert_error, error_body, expect_ok, on_both_databases, race_requests,
    retry_after, session_token_set_by, spawn_app, wrong_code,
};

on_both_databases!(
    the_help_page_example_logs_in_with_the_code_appended,
    a_password_that_ends_in_digits_logs_in_when_two_factor_is_off,
    a_wrong_or_missing_code_a_wrong_password_and_an_unknown_user_get_the_same_answer,
    a_code_that_logged_in_once_is_refused_the_second_time,
    three_wrong_codes_after_the_right_password_are_throttled_and_the_delay_doubles,
    a_wrong_password_is_never_throttled,
    an_appended_recovery_code_with_its_dashes_works_once,
    of_concurrent_logins_with_one_code_exactly_one_gets_in,
    a_combined_login_is_recorded_as_the_last_login,
);

/// The help page's password.
const HELP_PAGE_PASSWORD: &str = "T9D3K!px";
const MAILBOX: &str = "info@example.com";

/// A mailbox with [`HELP_PAGE_PASSWORD`] whose customer turned its 2FA on;
/// answers its id, the secret and the recovery codes.
async fn mailbox_with_totp(app: &TestApp) -> (i32, String, Vec<String>) {
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let id = app
        .create_login_with_password(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), HELP_PAGE_PASSWORD)
        .await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let (secret, codes) = app.enable_totp_for(&customer, id).await;
    (id, secret, codes)
}

/// Status and body of a refusal; asserts it sets no session cookie.
async fn refusal(response: reqwest::Response) -> (StatusCode, Value) {
    assert_eq!(
        session_token_set_by(&response),
        None,
        "a refused login sets no session cookie"
    );
    error_body(response).await
}

async fn the_help_page_example_logs_in_with_the_code_appended(db: Db) {
    let app = spawn_app(db).await;
    let (_, secret, _) = mailbox_with_totp(&app).await;
    let browser = app.new_browser();

    let code = app.code_now(&secret);
    let response = browser
        .login_combined(MAILBOX, &format!("{HELP_PAGE_PASSWORD}{code}"))
        .await;

    assert_eq!(expect_ok(response).await, json!({"status": "ok"}));
    let me = browser.me_ok().await;
    assert_eq!(me["username"], MAILBOX);
    assert_eq!(me["kind"], "mailbox");
    assert_eq!(me["mfa"]["totp"]["enabled"], true);
}

async fn a_password_that_ends_in_digits_logs_in_when_two_factor_is_off(db: Db) {
    let app = spawn_app(db).await;
    app.create_login_with_password(AccountKind::Customer, CUSTOMER, None, "summer2024123456")
        .await;

    // Without 2FA the whole input is the password, digits at its end included.
    for wrong in ["summer2024", "summer2024123457", "summer2024123456 "] {
        let (status, body) = refusal(app.new_browser().login_combined(CUSTOMER, wrong).await).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "{wrong}"
        );
    }
    let browser = app.new_browser();
    expect_ok(browser.login_combined(CUSTOMER, "summer2024123456").await).await;
    assert_eq!(browser.me_ok().await["username"], CUSTOMER);
}

async fn a_wrong_or_missing_code_a_wrong_password_and_an_unknown_user_get_the_same_answer(db: Db) {
    let app = spawn_app(db).await;
    let (_, secret, _) = mailbox_with_totp(&app).await;
    let code = app.code_now(&secret);
    let wrong = wrong_code(&secret, app.now());

    let cases = [
        ("a wrong code", MAILBOX, format!("{HELP_PAGE_PASSWORD}{wrong}")),
        ("no code", MAILBOX, HELP_PAGE_PASSWORD.to_owned()),
        (
            "a code cut short",
            MAILBOX,
            format!("{HELP_PAGE_PASSWORD}{}", &code[..5]),
        ),
        ("a wrong password", MAILBOX, format!("T9D3K!pz{code}")),
        ("the code alone", MAILBOX, code.clone()),
        (
            "an unknown user",
            "nobody@example.com",
            format!("{HELP_PAGE_PASSWORD}{code}"),
        ),
        (
            "an unknown user, no code",
            "nobody@example.com",
            HELP_PAGE_PASSWORD.to_owned(),
        ),
    ];
    let mut answers = Vec::new();
    for (label, username, typed) in cases {
        let answer = refusal(app.new_browser().login_combined(username, &typed).await).await;
        answers.push((label, answer));
    }
    let (_, first) = &answers[0];
    assert_eq!(first.0, StatusCode::UNAUTHORIZED);
    assert_eq!(first.1["error"]["code"], "invalid_credentials");
    for (label, answer) in &answers {
        assert_eq!(answer, first, "{label} is told apart from a wrong code");
    }
    // None of it used the code up.
    let browser = app.new_browser();
    expect_ok(
        browser
            .login_combined(MAILBOX, &format!("{HELP_PAGE_PASSWORD}{code}"))
            .await,
    )
    .await;
}

async fn a_code_that_logged_in_once_is_refused_the_second_time(db: Db) {
    let app = spawn_app(db).await;
    let (_, secret, _) = mailbox_with_totp(&app).await;
    let typed = format!("{HELP_PAGE_PASSWORD}{}", app.code_now(&secret));

    expect_ok(app.new_browser().login_combined(MAILBOX, &typed).await).await;

    let replayed = app.new_browser().login_combined(MAILBOX, &typed).await;
    assert_error(replayed, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // Nor in the two-step login.
    let browser = app.new_browser();
    expect_ok(browser.login(MAILBOX, HELP_PAGE_PASSWORD).await).await;
    assert_error(
        browser.login_mfa(&app.code_now(&secret)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    app.advance(STEP);
    let next = format!("{HELP_PAGE_PASSWORD}{}", app.code_now(&secret));
    expect_ok(app.new_browser().login_combined(MAILBOX, &next).await).await;
}

async fn three_wrong_codes_after_the_right_password_are_throttled_and_the_delay_doubles(db: Db) {
    let app = spawn_app(db).await;
    let (_, secret, _) = mailbox_with_totp(&app).await;
    let with_wrong_code = || format!("{HELP_PAGE_PASSWORD}{}", wrong_code(&secret, app.now()));
    let with_right_code = || format!("{HELP_PAGE_PASSWORD}{}", app.code_now(&secret));
    let browser = app.new_browser();

    for _ in 0..3 {
        let response = browser.login_combined(MAILBOX, &with_wrong_code()).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let headers = assert_error(
        browser.login_combined(MAILBOX, &with_right_code()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    assert_eq!(retry_after(&headers), Some(1));

    app.advance(1);
    let response = browser.login_combined(MAILBOX, &with_wrong_code()).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let headers = assert_error(
        browser.login_combined(MAILBOX, &with_right_code()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    assert_eq!(retry_after(&headers), Some(2), "the delay doubles");

    app.advance(2);
    expect_ok(browser.login_combined(MAILBOX, &with_right_code()).await).await;
}

async fn a_wrong_password_is_never_throttled(db: Db) {
    let app = spawn_app(db).await;
    let (_, secret, _) = mailbox_with_totp(&app).await;
    let browser = app.new_browser();

    // Wrong passwords, with right codes or none: never 429, and not counted.
    for attempt in 0..6 {
        let typed = match attempt % 2 {
            0 => format!("not the password{}", app.code_now(&secret)),
            _ => "not the password".to_owned(),
        };
        let response = browser.login_combined(MAILBOX, &typed).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    expect_ok(
        browser
            .login_combined(MAILBOX, &format!("{HELP_PAGE_PASSWORD}{}", app.code_now(&secret)))
            .await,
    )
    .await;

    // And while the codes are throttled, a wrong password still gets the usual answer.
    app.advance(STEP);
    for _ in 0..3 {
        let typed = format!("{HELP_PAGE_PASSWORD}{}", wrong_code(&secret, app.now()));
        assert_error(
            browser.login_combined(MAILBOX, &typed).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    let typed = format!("not the password{}", app.code_now(&secret));
    assert_error(
        browser.login_combined(MAILBOX, &typed).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

async fn an_appended_recovery_code_with_its_dashes_works_once(db: Db) {
    let app = spawn_app(db).await;
    let (_, _, recovery_codes) = mailbox_with_totp(&app).await;
    let typed = format!("{HELP_PAGE_PASSWORD}{}", recovery_codes[0]);
    assert_eq!(recovery_codes[0].matches('-').count(), 3, "{}", recovery_codes[0]);

    let browser = app.new_browser();
    expect_ok(browser.login_combined(MAILBOX, &typed).await).await;
    assert_eq!(browser.me_ok().await["mfa"]["recovery_codes_left"], 9);

    let again = app.new_browser().login_combined(MAILBOX, &typed).await;
    assert_error(again, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let other = format!("{HELP_PAGE_PASSWORD}{}", recovery_codes[1].to_uppercase());
    expect_ok(app.new_browser().login_combined(MAILBOX, &other).await).await;
}

async fn of_concurrent_logins_with_one_code_exactly_one_gets_in(db: Db) {
    let app = spawn_app(db).await;
    let (_, secret, _) = mailbox_with_totp(&app).await;
    let typed = format!("{HELP_PAGE_PASSWORD}{}", app.code_now(&secret));
    let browsers: Vec<Browser> = (0..8).map(|_| app.new_browser()).collect();

    let requests = browsers
        .iter()
        .map(|b| {
            b.request(Method::POST, "/api/v1/login/combined")
                .json(&json!({"username": MAILBOX, "password_and_code": typed}))
        })
        .collect();
    let answers = race_requests(requests).await;

    let winners: Vec<usize> = (0..answers.len()).filter(|&i| answers[i].0 == StatusCode::OK).collect();
    assert_eq!(winners.len(), 1, "exactly one may get in: {answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            matches!(
                (*status, code),
                (StatusCode::UNAUTHORIZED, "invalid_credentials")
                    | (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            ),
            "a loser must be refused: {answers:?}"
        );
    }
    for (i, browser) in browsers.iter().enumerate() {
        assert_eq!(
            browser.me().await.status() == StatusCode::OK,
            i == winners[0],
            "browser {i}"
        );
    }
}

async fn a_combined_login_is_recorded_as_the_last_login(db: Db) {
    let app = spawn_app(db).await;
    let (id, secret, _) = mailbox_with_totp(&app).await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let path = format!("/api/v1/accounts/{id}");
    assert_eq!(customer.get_ok(&path).await["last_login_at"], Value::Null);

    app.advance(100);
    let typed = format!("{HELP_PAGE_PASSWORD}{}", app.code_now(&secret));
    expect_ok(app.new_browser().login_combined(MAILBOX, &typed).await).await;

    assert_eq!(customer.get_ok(&path).await["last_login_at"], app.now());
}
