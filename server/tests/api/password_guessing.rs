//! Online password guessing (`service::guessing`): ten wrong passwords for
//! one username are free, then delays; a browser that logged in before is
//! throttled on its own failures only; one address spraying many usernames
//! is slowed; the User Panel and mail clients count against the same
//! username; the counters are in the database.

use app::domain::AccountKind;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    AGES, Browser, CUSTOMER, Db, MAILBOX, MailLogin, PASSWORD, TestApp, assert_status, error_body, mail_auth_settings,
    on_both_databases, retry_after, spawn_app, spawn_app_with_mail, spawn_app_with_mail_auth,
};

on_both_databases!(
    two_hundred_guesses_get_429s_after_ten_while_the_owners_browser_logs_in_at_once,
    the_owners_browser_is_throttled_on_its_own_failures_only,
    an_unknown_username_is_throttled_alike,
    spraying_many_usernames_from_one_address_is_slowed,
    the_user_panel_and_mail_clients_count_against_the_same_username,
);

const WRONG: &str = "not the password at all";

/// Statuses of `count` wrong passwords for `username` from `browser`.
async fn guesses(browser: &Browser, username: &str, count: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        statuses.push(browser.login(username, WRONG).await.status());
    }
    statuses
}

fn tally(statuses: &[StatusCode]) -> (usize, usize) {
    let refused = statuses.iter().take_while(|s| **s == StatusCode::UNAUTHORIZED).count();
    let throttled = statuses[refused..]
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    (refused, throttled)
}

/// The answer of a throttled attempt: 429 `too_many_attempts`, and its wait.
async fn throttled(response: reqwest::Response) -> (Value, u64) {
    let wait = retry_after(response.headers()).expect("a Retry-After header");
    let (status, body) = error_body(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts", "{body}");
    assert_eq!(body["error"]["retry_after"], wait, "{body}");
    (body, wait)
}

async fn events_of_kind(app: &TestApp, kind: &str) -> i64 {
    app.sql_value(&format!(
        "SELECT COUNT(*) AS v FROM security_events WHERE event = '{kind}'"
    ))
    .await
}

async fn two_hundred_guesses_get_429s_after_ten_while_the_owners_browser_logs_in_at_once(db: Db) {
    let (app, _sink) = spawn_app_with_mail(db).await;
    let id = app
        .create_login_with_email(AccountKind::Customer, CUSTOMER, None, "owner@example.com", false)
        .await;
    // The owner's browser has logged in before: it holds a device cookie.
    let owner = app.logged_in_as(CUSTOMER).await;
    assert_status(owner.logout().await, StatusCode::NO_CONTENT).await;

    let attacker = app.new_browser();
    let statuses = guesses(&attacker, CUSTOMER, 200).await;
    // Ten are free; the eleventh is checked and earns the first delay; the
    // 189 after it are refused before any hash is computed.
    assert_eq!(tally(&statuses), (11, 189), "{statuses:?}");
    let (body, wait) = throttled(attacker.login(CUSTOMER, WRONG).await).await;
    assert_eq!(wait, 1, "{body}");

    // Not even the right password gets through from a browser without the cookie...
    throttled(app.new_browser().login(CUSTOMER, PASSWORD).await).await;
    // ...nor from another instance: the counters are in the database.
    let second = app.another_instance().await;
    throttled(second.new_browser().login(CUSTOMER, PASSWORD).await).await;
    // The owner's browser logs in at once.
    assert_status(owner.login(CUSTOMER, PASSWORD).await, StatusCode::OK).await;

    // Once the delay has passed, the next guess is checked and earns the next one.
    app.advance(1);
    assert_status(attacker.login(CUSTOMER, WRONG).await, StatusCode::UNAUTHORIZED).await;
    let (_, wait) = throttled(attacker.login(CUSTOMER, WRONG).await).await;
    assert_eq!(wait, 2);

    // Logged: the failures that were checked, and one notice for the burst.
    assert_eq!(events_of_kind(&app, "login_failed").await, 12);
    assert_eq!(events_of_kind(&app, "password_throttled").await, 2);
    let notices = app
        .wait_for_notices("one password_throttled notice", |n| {
            n.iter().any(|n| n.kind == "password_throttled")
        })
        .await;
    let burst: Vec<_> = notices.iter().filter(|n| n.kind == "password_throttled").collect();
    assert_eq!(burst.len(), 1, "at most one notice per 15 minutes: {notices:?}");
    assert_eq!(burst[0].account_id, id);

    // A right password ends the run: guessing starts from nothing again.
    app.advance(2);
    assert_status(app.new_browser().login(CUSTOMER, PASSWORD).await, StatusCode::OK).await;
    assert_eq!(tally(&guesses(&attacker, CUSTOMER, 12).await), (11, 1));
}

async fn the_owners_browser_is_throttled_on_its_own_failures_only(db: Db) {
    let app = spawn_app(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let owner = app.logged_in_as(CUSTOMER).await;
    // The owner mistypes, over and over: its own browser is slowed...
    assert_eq!(tally(&guesses(&owner, CUSTOMER, 12).await), (11, 1));
    throttled(owner.login(CUSTOMER, PASSWORD).await).await;
    // ...and nobody else is: the username's bucket was not touched.
    assert_status(app.new_browser().login(CUSTOMER, PASSWORD).await, StatusCode::OK).await;
    // A forged or foreign device cookie counts for nothing.
    let forger = app.new_browser();
    let name = cookie_name(&owner);
    forger.add_cookie(&name, "00112233445566778899aabbccddeeff.v1:00000000:00");
    assert_eq!(tally(&guesses(&forger, CUSTOMER, 12).await), (11, 1));
}

/// The name of the device cookie `browser` holds (one login's).
fn cookie_name(browser: &Browser) -> String {
    browser
        .cookie_names()
        .into_iter()
        .find(|name| name.starts_with("tessera_device_"))
        .expect("the browser holds a device cookie")
}

async fn an_unknown_username_is_throttled_alike(db: Db) {
    let app = spawn_app(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let attacker = app.new_browser();
    assert_eq!(tally(&guesses(&attacker, "c99999", 12).await), (11, 1));
    let (unknown, _) = throttled(attacker.login("c99999", WRONG).await).await;
    assert_eq!(tally(&guesses(&attacker, CUSTOMER, 12).await), (11, 1));
    let (known, _) = throttled(attacker.login(CUSTOMER, WRONG).await).await;
    assert_eq!(unknown, known, "a 429 does not tell whether the login exists");

    // A login form posted before the page is live comes back saying so.
    let posted = attacker
        .request(reqwest::Method::POST, "/")
        .form(&[("username", "c99999"), ("password", WRONG)])
        .send()
        .await
        .expect("the form post is answered");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let to = posted
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    assert_eq!(to, Some("/?error=too_many_attempts&username=c99999"));
}

async fn spraying_many_usernames_from_one_address_is_slowed(db: Db) {
    let app = spawn_app(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let owner = app.logged_in_as(CUSTOMER).await;
    // One wrong password each for 50 logins (most of them not there), from one address.
    let sprayer = app.new_browser();
    let mut statuses = Vec::new();
    for n in 0..50 {
        statuses.push(sprayer.login(&format!("c{}", 30_000 + n), WRONG).await.status());
    }
    // Thirty in an hour are free, the 31st earns the first delay.
    assert_eq!(tally(&statuses), (31, 19), "{statuses:?}");
    // Everyone at that address waits; a browser that logged in before does not.
    throttled(app.new_browser().login(CUSTOMER, PASSWORD).await).await;
    assert_status(owner.login(CUSTOMER, PASSWORD).await, StatusCode::OK).await;

    // Two days later the worker has forgotten them all.
    let buckets: i64 = app.sql_value("SELECT COUNT(*) AS v FROM password_throttles").await;
    assert!(buckets > 30, "{buckets}");
    app.advance(2 * 24 * 60 * 60);
    let swept = tessera_server::service::housekeeping::sweep(&app.db, &app.clock, AGES)
        .await
        .expect("the sweep runs");
    assert_eq!(i64::try_from(swept.throttle_buckets).ok(), Some(buckets));
    assert_status(sprayer.login("c30000", WRONG).await, StatusCode::UNAUTHORIZED).await;
}

async fn the_user_panel_and_mail_clients_count_against_the_same_username(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    app.create_mailbox(MAILBOX).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    let app_password = webmail.new_app_password("Thunderbird", &["imap"], None).await;

    // Eleven wrong passwords over IMAP, each from another address.
    let addresses: Vec<String> = (1..=12).map(|n| format!("203.0.113.{n}")).collect();
    for address in &addresses[..11] {
        let answer = app
            .ask_as_mail_proxy(MailLogin {
                client_ip: address,
                ..MailLogin::imap(MAILBOX, WRONG)
            })
            .await;
        assert!(!answer.is_ok());
    }
    // The User Panel refuses the right password from a new browser...
    throttled(app.new_browser().login_combined(MAILBOX, PASSWORD).await).await;
    // ...and so does IMAP, saying why; an app password still works.
    let refused = app
        .ask_as_mail_proxy(MailLogin {
            client_ip: &addresses[11],
            ..MailLogin::imap(MAILBOX, PASSWORD)
        })
        .await;
    assert!(
        refused.status.contains("Too many failed logins for this mailbox"),
        "{refused:?}"
    );
    assert!(
        app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, &app_password))
            .await
            .is_ok()
    );
    // Webmail, which logged in before, still logs in.
    assert_status(webmail.login(MAILBOX, PASSWORD).await, StatusCode::OK).await;
}
