//! Sessions end when they should: 30 minutes without a request, 12 hours
//! after the login whatever happens, and whenever a change makes the other
//! browsers' logins stale (2FA on or off, a reset by anyone); and a login
//! sees its sessions and ends any of them.

use app::domain::AccountKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    AGES, Browser, CUSTOMER, Db, PACKAGE, PASSWORD, STEP, TestApp, assert_error, assert_status, expect_ok,
    on_both_databases, spawn_app,
};

on_both_databases!(
    a_session_ends_after_thirty_idle_minutes_and_twelve_hours_in_all,
    the_list_shows_each_browser_and_ends_one_or_all_the_others,
    a_reset_by_the_customer_or_the_command_line_ends_every_session_of_the_login,
    switching_2fa_on_or_off_ends_the_other_sessions,
    the_worker_sweeps_idle_sessions,
    events_and_sent_notices_are_kept_four_hundred_days,
);

const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";

async fn logged_in(browser: &Browser) -> bool {
    browser.me().await.status() == StatusCode::OK
}

async fn a_session_ends_after_thirty_idle_minutes_and_twelve_hours_in_all(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    let browser = app.logged_in_as(CUSTOMER).await;
    let login = app.now();
    let me = browser.me_ok().await;
    assert_eq!(
        me["session"],
        json!({"idle_timeout": 1800, "expires_at": login + 12 * 3600})
    );

    // Each request starts the thirty minutes again.
    app.advance(29 * 60);
    assert!(logged_in(&browser).await);
    app.advance(29 * 60);
    assert!(
        logged_in(&browser).await,
        "58 minutes in, but 29 since the last request"
    );
    app.advance(30 * 60);
    assert_error(browser.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;

    // Busy all day: it still ends twelve hours after the login.
    let busy = app.logged_in_as(CUSTOMER).await;
    let login = app.now();
    while app.now() + 20 * 60 < login + 12 * 3600 {
        app.advance(20 * 60);
        assert!(logged_in(&busy).await);
    }
    app.advance(login + 12 * 3600 - app.now());
    assert_error(busy.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
}

async fn sessions_of(browser: &Browser) -> Vec<Value> {
    let list = browser.get_ok("/api/v1/me/sessions").await;
    assert_eq!(list["idle_timeout"], 1800);
    list["sessions"].as_array().expect("a list").clone()
}

async fn the_list_shows_each_browser_and_ends_one_or_all_the_others(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    app.create_account("c20002").await;
    let login = |agent: &'static str| {
        let browser = app.new_browser_with_user_agent(agent);
        async move {
            assert_status(browser.login(CUSTOMER, PASSWORD).await, StatusCode::OK).await;
            browser
        }
    };
    let laptop = login(FIREFOX).await;
    app.advance(60);
    let phone = login(PHONE).await;
    app.advance(60);
    let other = login("curl/8.0").await;
    let stranger = app.logged_in_as("c20002").await;

    app.advance(1);
    let listed = sessions_of(&laptop).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    let devices: Vec<&Value> = listed.iter().map(|s| &s["device"]).collect();
    assert!(devices.contains(&&json!("Firefox 128 on Windows 10")), "{devices:?}");
    assert!(listed.iter().all(|s| s["ip"] == "127.0.0.1"));
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox 128 on Windows 10");
    // The laptop's list is the laptop's request: it was used last.
    assert_eq!(listed[0]["current"], true);

    // End the phone's session: the phone is logged out, nobody else.
    let phone_id = listed
        .iter()
        .find(|s| s["device"].as_str().is_some_and(|d| d.contains("Android")))
        .and_then(|s| s["id"].as_str())
        .expect("the phone is listed")
        .to_owned();
    assert_status(
        laptop.delete(&format!("/api/v1/me/sessions/{phone_id}")).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(!logged_in(&phone).await);
    assert!(logged_in(&other).await && logged_in(&laptop).await);
    // Gone, or someone else's: the same 404, and nothing ends.
    assert_error(
        laptop.delete(&format!("/api/v1/me/sessions/{phone_id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let strangers = sessions_of(&stranger).await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_error(
        laptop.delete(&format!("/api/v1/me/sessions/{strangers}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(logged_in(&stranger).await);
    for junk in ["x", "0123456789abcdef0", "%27%20OR%201=1"] {
        assert_error(
            laptop.delete(&format!("/api/v1/me/sessions/{junk}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }

    // All the others: only the laptop stays.
    let ended = expect_ok(laptop.delete("/api/v1/me/sessions/others").await).await;
    assert_eq!(ended, json!({"ended": 1}));
    assert!(!logged_in(&other).await);
    assert!(logged_in(&laptop).await && logged_in(&stranger).await);
    assert_eq!(sessions_of(&laptop).await.len(), 1);
}

async fn a_reset_by_the_customer_or_the_command_line_ends_every_session_of_the_login(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    let package = app.create_login(AccountKind::Package, PACKAGE, Some(CUSTOMER)).await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let (secret, _) = app.enable_totp_for(&customer, package).await;
    // Two browsers logged in as the package, with its code.
    let mut open = Vec::new();
    for _ in 0..2 {
        let browser = app.pending_login(PACKAGE).await;
        expect_ok(browser.login_mfa(&app.code_now(&secret)).await).await;
        app.advance(STEP);
        open.push(browser);
    }
    let reset = customer
        .post_json(
            &format!("/api/v1/accounts/{package}/mfa/disable"),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_status(reset, StatusCode::NO_CONTENT).await;
    for browser in &open {
        assert_error(browser.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    }
    assert!(logged_in(&customer).await, "the customer's own session stays");

    // The command line's reset too.
    let (secret, _) = app.enable_totp_for(&customer, package).await;
    let browser = app.pending_login(PACKAGE).await;
    expect_ok(browser.login_mfa(&app.code_now(&secret)).await).await;
    let (status, stdout, stderr) = app.tessera(&["account", "reset-mfa", PACKAGE]).await;
    assert!(status.success(), "{stdout}{stderr}");
    assert!(!logged_in(&browser).await);
}

async fn switching_2fa_on_or_off_ends_the_other_sessions(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    let (this, other) = (app.logged_in_as(CUSTOMER).await, app.logged_in_as(CUSTOMER).await);
    let (secret, _) = app.enable_totp(&this).await;
    assert!(logged_in(&this).await);
    assert!(!logged_in(&other).await, "it logged in without the code it now needs");

    app.advance(STEP);
    let other = app.pending_login(CUSTOMER).await;
    expect_ok(other.login_mfa(&app.code_now(&secret)).await).await;
    app.advance(STEP);
    let off = this
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": app.code_now(&secret)}),
        )
        .await;
    assert_status(off, StatusCode::NO_CONTENT).await;
    assert!(logged_in(&this).await);
    assert!(!logged_in(&other).await);
}

async fn the_worker_sweeps_idle_sessions(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    let _idle = app.logged_in_as(CUSTOMER).await;
    assert_eq!(session_rows(&app).await, 1);
    app.advance(30 * 60);
    let swept = tessera_server::service::housekeeping::sweep(&app.db, &app.clock, AGES)
        .await
        .expect("the sweep runs");
    assert_eq!(swept.sessions, 1);
    assert_eq!(session_rows(&app).await, 0);
}

async fn session_rows(app: &TestApp) -> i64 {
    app.sql_value("SELECT COUNT(*) AS v FROM sessions").await
}

async fn events_and_sent_notices_are_kept_four_hundred_days(db: Db) {
    let (app, _sink) = crate::helpers::spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, "owner@example.com", false)
        .await;
    let browser = app.logged_in_as(CUSTOMER).await;
    app.enable_totp(&browser).await;
    app.wait_for_notices("the mfa_enabled notice, sent", |n| {
        n.iter().all(|n| n.sent_at.is_some()) && !n.is_empty()
    })
    .await;
    let count = |table: &'static str| {
        let app = &app;
        async move {
            app.sql_value::<i64>(&format!("SELECT COUNT(*) AS v FROM {table}"))
                .await
        }
    };
    let (events, notices) = (count("security_events").await, count("notices").await);
    assert!(events >= 2 && notices == 1, "{events} {notices}");

    app.advance(399 * 86_400);
    let swept = tessera_server::service::housekeeping::sweep(&app.db, &app.clock, AGES)
        .await
        .expect("the sweep runs");
    assert_eq!((swept.events, swept.notices), (0, 0));
    app.advance(2 * 86_400);
    let swept = tessera_server::service::housekeeping::sweep(&app.db, &app.clock, AGES)
        .await
        .expect("the sweep runs");
    assert_eq!((swept.events, swept.notices), (events.unsigned_abs(), 1));
    assert_eq!((count("security_events").await, count("notices").await), (0, 0));
}
