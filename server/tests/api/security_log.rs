//! The security log: every event with its time, login, actor, address and
//! browser; the administrators' view with filters and paging; and each
//! login's own recent events under My Account.

use app::domain::{AccountKind, SecurityEventKind};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, Browser, CUSTOMER, Db, MAILBOX, MailLogin, OTHER_CUSTOMER, PACKAGE, PASSWORD, STEP, TestApp, assert_error,
    assert_status, code_sent_to, expect_ok, on_both_databases, recovery_codes_in, spawn_app,
    spawn_app_with_mail_auth_and_mail, wrong_code,
};
use crate::mail_sink::link_in;

on_both_databases!(
    every_kind_of_event_is_recorded_with_time_login_actor_address_and_browser,
    the_log_filters_by_login_and_by_event,
    the_log_pages_by_id_and_clamps_the_page_size,
    a_query_the_log_does_not_understand_is_a_bad_request,
    my_events_are_my_own_newest_first_and_at_most_twenty,
    events_name_the_browser_in_words,
    a_typo_while_setting_up_the_app_is_logged_as_such,
    a_failed_login_for_an_unknown_name_is_logged_under_that_name_with_no_login,
    the_combined_login_is_logged_like_the_two_step_one,
    a_long_user_agent_is_cut_to_512_characters,
);

/// An event as the test expects to read it: (at, event, account, actor, user agent).
type Expected = (i64, &'static str, String, Option<String>, &'static str);

/// The log as an administrator reads it, oldest first, without ids.
fn as_expected(log: &Value) -> Vec<(i64, String, String, Option<String>, String, String)> {
    let mut events: Vec<_> = events_of(log)
        .iter()
        .map(|e| {
            (
                e["at"].as_i64().expect("at"),
                e["event"].as_str().expect("event").to_owned(),
                e["account"].as_str().expect("account").to_owned(),
                e["actor"].as_str().map(str::to_owned),
                e["ip"].as_str().unwrap_or("no ip").to_owned(),
                e["user_agent"].as_str().unwrap_or("no user agent").to_owned(),
            )
        })
        .collect();
    events.reverse();
    events
}

fn events_of(log: &Value) -> &Vec<Value> {
    log["events"].as_array().expect("the answer lists events")
}

fn ids_of(log: &Value) -> Vec<i64> {
    events_of(log)
        .iter()
        .map(|e| e["id"].as_i64().expect("an id"))
        .collect()
}

/// A browser past the password step, with `user_agent`, waiting for its code.
async fn pending(browser: &Browser, username: &str) {
    let answer = expect_ok(browser.login(username, PASSWORD).await).await;
    assert_eq!(answer["status"], "mfa_required");
}

async fn logged_in(browser: &Browser, username: &str) {
    assert_eq!(expect_ok(browser.login(username, PASSWORD).await).await["status"], "ok");
}

async fn every_kind_of_event_is_recorded_with_time_login_actor_address_and_browser(db: Db) {
    let (app, sink) = spawn_app_with_mail_auth_and_mail(db).await;
    let logins = app.two_customers().await;
    let stranger = app.new_browser_with_user_agent("Stranger/1.0");
    let customer = app.new_browser_with_user_agent("Firefox/customer");
    let mailbox = app.new_browser_with_user_agent("Thunderbird/mailbox");
    let package = app.new_browser_with_user_agent("curl/package");
    let admin = app.new_browser_with_user_agent("Chrome/admin");
    let mut expected: Vec<Expected> = Vec::new();

    // Failed logins, for a login and for a name nobody has; the eleventh in
    // a row for one login is beyond the free ones.
    for _ in 0..11 {
        assert_error(
            stranger.login(CUSTOMER, "guess").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
        note(&mut expected, app.now(), "login_failed", CUSTOMER, None, "Stranger/1.0");
    }
    note(
        &mut expected,
        app.now(),
        "password_throttled",
        CUSTOMER,
        None,
        "Stranger/1.0",
    );
    assert_error(
        stranger.login("nobody", "guess").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    note(&mut expected, app.now(), "login_failed", "nobody", None, "Stranger/1.0");

    // The customer logs in and turns 2FA on for its mailbox, then for itself.
    app.advance(5);
    logged_in(&customer, CUSTOMER).await;
    note(
        &mut expected,
        app.now(),
        "login_succeeded",
        CUSTOMER,
        None,
        "Firefox/customer",
    );
    let (mailbox_secret, mailbox_codes) = app.enable_totp_for(&customer, logins.mailbox).await;
    note(
        &mut expected,
        app.now() - STEP,
        "mfa_enabled",
        MAILBOX,
        Some(CUSTOMER),
        "Firefox/customer",
    );
    // A typo while setting up its own app first.
    let setup = expect_ok(
        customer
            .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
            .await,
    )
    .await;
    let typo = wrong_code(setup["secret"].as_str().expect("a secret"), app.now());
    assert_error(
        customer
            .post_json("/api/v1/me/mfa/totp/activate", json!({"code": typo}))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    note(
        &mut expected,
        app.now(),
        "setup_code_failed",
        CUSTOMER,
        None,
        "Firefox/customer",
    );
    let (customer_secret, _) = app.enable_totp(&customer).await;
    note(
        &mut expected,
        app.now(),
        "mfa_enabled",
        CUSTOMER,
        None,
        "Firefox/customer",
    );
    // A set-up link for a package of its with a contact address.
    let linked = app
        .create_login_with_email(
            AccountKind::Package,
            "p-link",
            Some(CUSTOMER),
            "link@example.com",
            false,
        )
        .await;
    expect_ok(
        customer
            .post_json(&format!("/api/v1/accounts/{linked}/mfa/setup-link"), json!(null))
            .await,
    )
    .await;
    note(
        &mut expected,
        app.now(),
        "setup_link_sent",
        "p-link",
        Some(CUSTOMER),
        "Firefox/customer",
    );

    // The mailbox's user gets its code wrong until it must wait, then uses a recovery code.
    app.advance(STEP);
    pending(&mailbox, MAILBOX).await;
    for _ in 0..3 {
        let wrong = wrong_code(&mailbox_secret, app.now());
        assert_error(
            mailbox.login_mfa(&wrong).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
        note(
            &mut expected,
            app.now(),
            "code_failed",
            MAILBOX,
            None,
            "Thunderbird/mailbox",
        );
    }
    let right = app.code_now(&mailbox_secret);
    assert_error(
        mailbox.login_mfa(&right).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    note(
        &mut expected,
        app.now(),
        "throttled",
        MAILBOX,
        None,
        "Thunderbird/mailbox",
    );
    app.advance(1);
    expect_ok(mailbox.login_mfa(&mailbox_codes[0]).await).await;
    note(
        &mut expected,
        app.now(),
        "recovery_code_used",
        MAILBOX,
        None,
        "Thunderbird/mailbox",
    );
    note(
        &mut expected,
        app.now(),
        "login_succeeded",
        MAILBOX,
        None,
        "Thunderbird/mailbox",
    );

    // The customer moves its app to a new phone, renews its recovery codes,
    // switches its own 2FA off, and the mailbox's.
    app.advance(STEP);
    let moving = customer
        .post_json(
            "/api/v1/me/mfa/totp/move",
            json!({"password": PASSWORD, "code": app.code_now(&customer_secret)}),
        )
        .await;
    let customer_secret = expect_ok(moving).await["secret"]
        .as_str()
        .expect("a new secret")
        .to_owned();
    let moved = customer
        .post_json(
            "/api/v1/me/mfa/totp/move/confirm",
            json!({"code": app.code_now(&customer_secret)}),
        )
        .await;
    assert_status(moved, StatusCode::NO_CONTENT).await;
    note(
        &mut expected,
        app.now(),
        "app_moved",
        CUSTOMER,
        None,
        "Firefox/customer",
    );
    app.advance(STEP);
    let renewed = customer
        .post_json(
            "/api/v1/me/mfa/recovery-codes",
            json!({"password": PASSWORD, "code": app.code_now(&customer_secret)}),
        )
        .await;
    assert_eq!(recovery_codes_in(&expect_ok(renewed).await).len(), 10);
    note(
        &mut expected,
        app.now(),
        "recovery_codes_regenerated",
        CUSTOMER,
        None,
        "Firefox/customer",
    );
    app.advance(STEP);
    let disabled = customer
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": app.code_now(&customer_secret)}),
        )
        .await;
    assert_status(disabled, StatusCode::NO_CONTENT).await;
    note(
        &mut expected,
        app.now(),
        "mfa_disabled",
        CUSTOMER,
        None,
        "Firefox/customer",
    );
    let reset = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/disable", logins.mailbox),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_status(reset, StatusCode::NO_CONTENT).await;
    note(
        &mut expected,
        app.now(),
        "mfa_reset_by_owner",
        MAILBOX,
        Some(CUSTOMER),
        "Firefox/customer",
    );

    // The package turns 2FA on for itself; an administrator switches it off.
    app.advance(7);
    logged_in(&package, PACKAGE).await;
    note(
        &mut expected,
        app.now(),
        "login_succeeded",
        PACKAGE,
        None,
        "curl/package",
    );
    app.enable_totp(&package).await;
    note(&mut expected, app.now(), "mfa_enabled", PACKAGE, None, "curl/package");
    logged_in(&admin, ADMIN).await;
    note(&mut expected, app.now(), "login_succeeded", ADMIN, None, "Chrome/admin");
    let reset = admin
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/disable", logins.package),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_status(reset, StatusCode::NO_CONTENT).await;
    note(
        &mut expected,
        app.now(),
        "mfa_reset_by_admin",
        PACKAGE,
        Some(ADMIN),
        "Chrome/admin",
    );

    // A customer with e-mailed codes: someone with its password asks for a
    // code, gets five wrong and is stopped; its user reports the notice.
    let (email_customer, address) = ("c30003", "carol@example.com");
    app.create_login_with_email(AccountKind::Customer, email_customer, None, address, true)
        .await;
    app.advance(11);
    pending(&stranger, email_customer).await;
    expect_ok(stranger.send_email_code().await).await;
    note(
        &mut expected,
        app.now(),
        "email_code_sent",
        email_customer,
        None,
        "Stranger/1.0",
    );
    let code: u32 = code_sent_to(&sink, address).await.parse().expect("six digits");
    let wrong = format!("{:06}", (code + 1) % 1_000_000);
    for wait in [0, 0, 1, 2] {
        assert_error(
            stranger.login_mfa(&wrong).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
        note(
            &mut expected,
            app.now(),
            "code_failed",
            email_customer,
            None,
            "Stranger/1.0",
        );
        app.advance(wait);
    }
    assert_error(
        stranger.login_mfa(&wrong).await,
        StatusCode::UNAUTHORIZED,
        "login_expired",
    )
    .await;
    note(
        &mut expected,
        app.now(),
        "code_failed",
        email_customer,
        None,
        "Stranger/1.0",
    );
    note(
        &mut expected,
        app.now(),
        "second_step_failed",
        email_customer,
        None,
        "Stranger/1.0",
    );
    let notice = sink
        .wait_for_where(address, "the notice", |mail| {
            !mail.subject.starts_with("Your login code")
        })
        .await;
    let link = link_in(&notice, "/this-wasnt-me#");
    let (_, token) = link.split_once('#').expect("a token after #");
    let owner = app.new_browser_with_user_agent("Safari/owner");
    expect_ok(owner.not_me(token).await).await;
    note(
        &mut expected,
        app.now(),
        "reported_not_me",
        email_customer,
        None,
        "Safari/owner",
    );
    // An administrator dismisses the report.
    app.advance(5);
    let flagged = admin.get_ok(&format!("/api/v1/accounts?q={email_customer}")).await;
    let id = flagged["accounts"][0]["id"]
        .as_i64()
        .expect("the reported login is listed");
    let dismissed = admin
        .request(reqwest::Method::POST, &format!("/api/v1/accounts/{id}/flag/dismiss"))
        .send()
        .await
        .expect("answered");
    assert_eq!(dismissed.status(), StatusCode::NO_CONTENT);
    note(
        &mut expected,
        app.now(),
        "report_dismissed",
        email_customer,
        Some(ADMIN),
        "Chrome/admin",
    );

    // The mailbox makes an app password for its phone, which logs in over
    // IMAP through the mail proxy (no browser), and revokes it again.
    app.advance(3);
    logged_in(&mailbox, MAILBOX).await;
    note(
        &mut expected,
        app.now(),
        "login_succeeded",
        MAILBOX,
        None,
        "Thunderbird/mailbox",
    );
    let password = mailbox.new_app_password("Phone", &["imap"], None).await;
    note(
        &mut expected,
        app.now(),
        "app_password_created",
        MAILBOX,
        None,
        "Thunderbird/mailbox",
    );
    let phone = MailLogin {
        client_ip: "127.0.0.1",
        ..MailLogin::imap(MAILBOX, &password)
    };
    assert!(app.ask_as_mail_proxy(phone).await.is_ok());
    note(
        &mut expected,
        app.now(),
        "app_password_new_address",
        MAILBOX,
        None,
        "no user agent",
    );
    assert_status(mailbox.delete("/api/v1/me/app-passwords").await, StatusCode::NO_CONTENT).await;
    note(
        &mut expected,
        app.now(),
        "app_password_revoked",
        MAILBOX,
        None,
        "Thunderbird/mailbox",
    );
    // And a new password for it.
    let changed = mailbox
        .post_json(
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "a whole new password 1"}),
        )
        .await;
    assert_status(changed, StatusCode::NO_CONTENT).await;
    note(
        &mut expected,
        app.now(),
        "password_changed",
        MAILBOX,
        None,
        "Thunderbird/mailbox",
    );

    let log = admin.get_ok("/api/v1/audit").await;

    let expected: Vec<_> = expected
        .into_iter()
        .map(|(at, event, account, actor, agent)| {
            (
                at,
                event.to_owned(),
                account,
                actor,
                "127.0.0.1".to_owned(),
                agent.to_owned(),
            )
        })
        .collect();
    assert_eq!(as_expected(&log), expected);
    let ids = ids_of(&log);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    // Every kind there is was seen.
    for kind in SecurityEventKind::ALL {
        assert!(
            expected.iter().any(|e| e.1 == kind.as_str()),
            "{} was never recorded",
            kind.as_str()
        );
    }
}

/// Adds an [`Expected`] event.
fn note(
    expected: &mut Vec<Expected>,
    at: i64,
    event: &'static str,
    account: &str,
    actor: Option<&str>,
    agent: &'static str,
) {
    expected.push((at, event, account.to_owned(), actor.map(str::to_owned), agent));
}

/// Writes `count` events straight into the log (a login attempt each would
/// take a password hash): `login_failed` for `username`, one second apart.
async fn fill_log(app: &TestApp, username: &str, account_id: Option<i32>, count: usize) {
    let account_id = account_id.map_or("NULL".to_owned(), |id| id.to_string());
    let rows: Vec<String> = (0..count)
        .map(|i| format!("({}, 'login_failed', {account_id}, '{username}')", app.now() + i as i64))
        .collect();
    for chunk in rows.chunks(200) {
        app.db
            .execute_unprepared(&format!(
                "INSERT INTO security_events (at, event, account_id, account_username) VALUES {}",
                chunk.join(", ")
            ))
            .await
            .expect("events are written");
    }
}

async fn the_log_filters_by_login_and_by_event(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    fill_log(&app, CUSTOMER, Some(logins.customer), 7).await;
    fill_log(&app, OTHER_CUSTOMER, Some(logins.other_customer), 5).await;
    let admin = app.logged_in_as(ADMIN).await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let customer_code = app.enable_totp(&customer).await;
    assert_eq!(customer_code.1.len(), 10);

    let count = |log: &Value, event: &str, account: &str| {
        events_of(log)
            .iter()
            .filter(|e| e["event"] == event && e["account"] == account)
            .count()
    };
    let all = admin.get_ok("/api/v1/audit").await;
    assert_eq!(events_of(&all).len(), 7 + 5 + 3, "{all}");

    for (query, expected) in [
        (
            "?account=c10001",
            vec![
                ("login_failed", CUSTOMER, 7),
                ("login_succeeded", CUSTOMER, 1),
                ("mfa_enabled", CUSTOMER, 1),
            ],
        ),
        (
            "?account=%20C10001%20",
            vec![
                ("login_failed", CUSTOMER, 7),
                ("login_succeeded", CUSTOMER, 1),
                ("mfa_enabled", CUSTOMER, 1),
            ],
        ),
        (
            "?event=login_failed",
            vec![("login_failed", CUSTOMER, 7), ("login_failed", OTHER_CUSTOMER, 5)],
        ),
        (
            "?event=login_succeeded",
            vec![("login_succeeded", ADMIN, 1), ("login_succeeded", CUSTOMER, 1)],
        ),
        (
            "?account=c20002&event=login_failed",
            vec![("login_failed", OTHER_CUSTOMER, 5)],
        ),
        ("?account=c20002&event=mfa_enabled", vec![]),
        ("?account=nobody", vec![]),
        ("?account=c1000", vec![]),
    ] {
        let log = admin.get_ok(&format!("/api/v1/audit{query}")).await;
        let total: usize = expected.iter().map(|(_, _, n)| n).sum();
        assert_eq!(events_of(&log).len(), total, "{query}: {log}");
        for (event, account, n) in expected {
            assert_eq!(count(&log, event, account), n, "{query}: {event} of {account}");
        }
    }
}

async fn the_log_pages_by_id_and_clamps_the_page_size(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    fill_log(&app, CUSTOMER, Some(logins.customer), 600).await;
    let admin = app.logged_in_as(ADMIN).await;
    let total = 601; // and the administrator's login

    let first_page = admin.get_ok("/api/v1/audit").await;
    assert_eq!(events_of(&first_page).len(), 100, "100 when not asked");
    assert_eq!(events_of(&first_page)[0]["event"], "login_succeeded", "newest first");
    for (limit, size) in [
        ("0", 1),
        ("1", 1),
        ("499", 499),
        ("500", 500),
        ("501", 500),
        ("4294967295", 500),
    ] {
        let page = admin.get_ok(&format!("/api/v1/audit?limit={limit}")).await;
        assert_eq!(events_of(&page).len(), size, "limit={limit}");
    }

    // Page through all of it, 77 at a time.
    let mut seen: Vec<i64> = Vec::new();
    let mut query = "/api/v1/audit?limit=77".to_owned();
    loop {
        let page = admin.get_ok(&query).await;
        let ids = ids_of(&page);
        let Some(&last) = ids.last() else { break };
        assert!(ids.len() <= 77);
        seen.extend(ids);
        query = format!("/api/v1/audit?limit=77&before={last}");
    }
    assert_eq!(seen.len(), total);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "pages follow each other without overlap"
    );
    let all: Vec<i64> = ids_of(&admin.get_ok("/api/v1/audit?limit=500").await);
    assert_eq!(&seen[..500], &all[..]);
    // Paging combines with the filters.
    let filtered = admin
        .get_ok(&format!(
            "/api/v1/audit?event=login_failed&account={CUSTOMER}&before={}&limit=3",
            seen[10]
        ))
        .await;
    assert_eq!(ids_of(&filtered), &seen[11..14]);
}

async fn a_query_the_log_does_not_understand_is_a_bad_request(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;
    let admin = app.logged_in_as(ADMIN).await;

    for query in [
        "?limit=abc",
        "?limit=-1",
        "?limit=1.5",
        "?before=abc",
        "?before=99999999999",
        "?event=nonsense",
        "?event=LOGIN_FAILED",
        "?user=c10001",
        "?account=c10001&page=2",
    ] {
        let response = admin.get(&format!("/api/v1/audit{query}")).await;
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}

async fn my_events_are_my_own_newest_first_and_at_most_twenty(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    fill_log(&app, CUSTOMER, Some(logins.customer), 25).await;
    fill_log(&app, OTHER_CUSTOMER, Some(logins.other_customer), 3).await;
    // A name typed at the login that is not the login's own name (no account) does not count.
    fill_log(&app, MAILBOX, None, 2).await;
    app.advance(100);
    let customer = app.logged_in_as(CUSTOMER).await;
    let mailbox = app.logged_in_as(MAILBOX).await;
    // What the customer does to its mailbox is the mailbox's event; the
    // mailbox's session, from before 2FA, ends with it.
    let (secret, _) = app.enable_totp_for(&customer, logins.mailbox).await;
    assert_eq!(mailbox.me().await.status(), StatusCode::UNAUTHORIZED);
    let mailbox = app.pending_login(MAILBOX).await;
    expect_ok(mailbox.login_mfa(&app.code_now(&secret)).await).await;

    let mine = customer.get_ok("/api/v1/me/events").await;
    let events = events_of(&mine);
    assert_eq!(events.len(), 20);
    assert!(events.iter().all(|e| e["account"] == CUSTOMER), "{mine}");
    assert_eq!(events[0]["event"], "login_succeeded", "newest first");
    let ids = ids_of(&mine);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");

    let theirs = mailbox.get_ok("/api/v1/me/events").await;
    let kinds: Vec<&str> = events_of(&theirs)
        .iter()
        .map(|e| e["event"].as_str().expect("an event"))
        .collect();
    assert_eq!(kinds, ["login_succeeded", "mfa_enabled", "login_succeeded"], "{theirs}");
    assert_eq!(events_of(&theirs)[1]["actor"], CUSTOMER);
    assert_eq!(theirs["more"], false);

    // 26 of the customer's own: 20, then the 6 before the last id shown.
    assert_eq!(mine["more"], true);
    let last = ids.last().expect("20 ids");
    let older = customer.get_ok(&format!("/api/v1/me/events?before={last}")).await;
    assert_eq!(events_of(&older).len(), 6, "{older}");
    assert!(ids_of(&older).iter().all(|id| id < last));
    assert!(events_of(&older).iter().all(|e| e["account"] == CUSTOMER), "{older}");
    assert_eq!(older["more"], false);
    // Paging cannot reach another login's events, and nonsense is a 400.
    let past_theirs = mailbox.get_ok(&format!("/api/v1/me/events?before={last}")).await;
    assert!(
        events_of(&past_theirs).iter().all(|e| e["account"] == MAILBOX),
        "{past_theirs}"
    );
    assert_error(
        customer.get("/api/v1/me/events?before=x").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
}

async fn events_name_the_browser_in_words(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;
    let firefox = app.new_browser_with_user_agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    );
    expect_ok(firefox.login(CUSTOMER, PASSWORD).await).await;
    let mine = firefox.get_ok("/api/v1/me/events").await;
    let newest = &events_of(&mine)[0];
    assert_eq!(newest["event"], "login_succeeded");
    assert_eq!(newest["device"], "Firefox 128 on Windows 10");
    assert!(newest["user_agent"].as_str().is_some_and(|ua| ua.contains("Gecko")));
}

async fn a_typo_while_setting_up_the_app_is_logged_as_such(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let setup = expect_ok(
        customer
            .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
            .await,
    )
    .await;
    let wrong = wrong_code(setup["secret"].as_str().expect("a secret"), app.now());
    assert_error(
        customer
            .post_json("/api/v1/me/mfa/totp/activate", json!({"code": wrong}))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    let kinds: Vec<String> = events_of(&customer.get_ok("/api/v1/me/events").await)
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["setup_code_failed", "login_succeeded"]);
}

async fn a_failed_login_for_an_unknown_name_is_logged_under_that_name_with_no_login(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;
    let admin = app.logged_in_as(ADMIN).await;

    let stranger = app.new_browser_with_user_agent("Stranger/1.0");
    assert_error(
        stranger.login("  Nobody@Example.com ", "guess").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    let log = admin.get_ok("/api/v1/audit?account=nobody@example.com").await;
    let events = events_of(&log);
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(events[0]["event"], "login_failed");
    assert_eq!(events[0]["actor"], Value::Null);
    assert_eq!(events[0]["user_agent"], "Stranger/1.0");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT account_id FROM security_events WHERE account_username = 'nobody@example.com'",
        ))
        .await
        .expect("the log can be read")
        .expect("the event has a row");
    let account_id: Option<i32> = row.try_get("", "account_id").expect("account_id");
    assert_eq!(account_id, None);

    // A login created later with that name does not inherit the event.
    app.create_login(app::domain::AccountKind::Mailbox, "nobody@example.com", Some(CUSTOMER))
        .await;
    let nobody = app.logged_in_as("nobody@example.com").await;
    let own = nobody.get_ok("/api/v1/me/events").await;
    let kinds: Vec<&str> = events_of(&own)
        .iter()
        .map(|e| e["event"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["login_succeeded"]);
}

async fn the_combined_login_is_logged_like_the_two_step_one(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let (secret, _) = app.enable_totp_for(&customer, logins.mailbox).await;
    let admin = app.logged_in_as(ADMIN).await;
    let user_panel = app.new_browser_with_user_agent("UserPanel/1.0");

    let typed = [
        format!("{PASSWORD}{}", wrong_code(&secret, app.now())),
        PASSWORD.to_owned(),
        format!("not the password{}", app.code_now(&secret)),
        format!("{PASSWORD}{}", app.code_now(&secret)),
    ];
    for password_and_code in &typed {
        user_panel.login_combined(MAILBOX, password_and_code).await;
    }

    let log = admin.get_ok(&format!("/api/v1/audit?account={MAILBOX}&limit=4")).await;
    let kinds: Vec<(&str, &str)> = events_of(&log)
        .iter()
        .rev()
        .map(|e| {
            (
                e["event"].as_str().unwrap_or_default(),
                e["user_agent"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("code_failed", "UserPanel/1.0"),
            ("code_failed", "UserPanel/1.0"),
            ("login_failed", "UserPanel/1.0"),
            ("login_succeeded", "UserPanel/1.0"),
        ],
        "{log}"
    );
}

async fn a_long_user_agent_is_cut_to_512_characters(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;
    let long = format!("Mozilla/5.0 {}", "x".repeat(1_000));
    let odd = "Mozilla/5.0 (Ünïcode)";
    for user_agent in [long.as_str(), odd] {
        let browser = app.new_browser_with_user_agent(user_agent);
        assert_error(
            browser.login(CUSTOMER, "guess").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    let admin = app.logged_in_as(ADMIN).await;

    let log = admin.get_ok("/api/v1/audit?event=login_failed").await;

    let stored: Vec<&str> = events_of(&log)
        .iter()
        .map(|e| e["user_agent"].as_str().unwrap_or("no user agent"))
        .collect();
    assert_eq!(stored, [odd, &long[..512]]);
}
