//! Security notices: a mail to the login's contact address for every change
//! to its second factor and for guessing runs, delivered by the outbox
//! (once, retried across restarts), each with a "This wasn't me" link.

use std::time::Duration;

use app::domain::AccountKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, Browser, Db, MAILBOX, NoticeRow, PASSWORD, RESEND_AFTER, STEP, TestApp, assert_error, assert_status,
    expect_ok, on_both_databases, race_requests, recovery_codes_in, spawn_app, spawn_app_with_mail,
};
use crate::mail_sink::{Mail, MailSink, link_in};

on_both_databases!(
    every_change_to_the_second_factor_is_mailed_to_the_contact_address_once,
    a_guessing_run_is_one_notice_not_one_per_attempt,
    a_burst_of_concurrent_guesses_is_one_notice_too,
    this_wasnt_me_ends_every_session_voids_set_up_and_code_and_flags_the_login,
    a_this_wasnt_me_link_works_for_thirty_days,
    this_wasnt_me_beside_an_own_event_does_what_the_link_does,
    a_notice_the_mail_server_refused_is_sent_once_by_the_next_server,
    a_notice_not_delivered_while_its_link_works_is_given_up,
    two_servers_on_one_database_send_each_notice_once,
);

const CUSTOMER: &str = "c10001";
const ADDRESS: &str = "carol@example.com";
/// The mailbox's contact address: another one than the mailbox itself.
const MAILBOX_ADDRESS: &str = "owner@example.net";
/// How long a "This wasn't me" link works.
const LINK_TTL: i64 = 30 * 24 * 60 * 60;
/// How far ahead a worker's claim moves a notice while it sends it.
const LEASE: i64 = 5 * 60;
/// Long enough for the outbox workers (every 100 ms) to make several passes.
const SEVERAL_PASSES: Duration = Duration::from_millis(600);

/// Subjects, as the notices name them; each ends with `: <username>`.
const ON: &str = "Two-factor authentication with an app is on";
const OFF: &str = "Two-factor authentication with an app is off";
const NEW_CODES: &str = "New recovery codes";
const CODE_USED: &str = "A recovery code was used";
const THROTTLED: &str = "Too many wrong codes";
const STOPPED: &str = "Your password was used, but the code was wrong";

/// The next notice (not a login code) to `to`.
async fn notice_to(sink: &MailSink, to: &str) -> Mail {
    sink.wait_for_where(to, "a security notice", |mail| {
        !mail.subject.starts_with("Your login code")
    })
    .await
}

/// Every notice sent to `to` so far, as subjects, in order.
fn notice_subjects(sink: &MailSink, to: &str) -> Vec<String> {
    sink.messages()
        .into_iter()
        .filter(|mail| mail.to.contains(&to.to_owned()) && !mail.subject.starts_with("Your login code"))
        .map(|mail| mail.subject)
        .collect()
}

/// What every notice holds: both parts, when and where, the support warning
/// and a "This wasn't me" link to the server that sent it; answers the link's token.
fn check_notice(app: &TestApp, mail: &Mail) -> String {
    check_notice_from(&[app], mail)
}

/// [`check_notice`] for a mail any of `apps` may have sent: without a public
/// origin, each links to the address it serves.
fn check_notice_from(apps: &[&TestApp], mail: &Mail) -> String {
    for says in [
        "When: 20",
        " UTC",
        "From: 127.0.0.1",
        "Nobody from support will ever ask you for a code",
    ] {
        assert!(
            mail.text.contains(says),
            "{:?} should say {says:?}:\n{}",
            mail.subject,
            mail.text
        );
    }
    let html = mail
        .html
        .as_deref()
        .unwrap_or_else(|| panic!("{:?} has no HTML part", mail.subject));
    let link = link_in(mail, "/this-wasnt-me#");
    let token = apps
        .iter()
        .find_map(|app| link.strip_prefix(&format!("{}/this-wasnt-me#", app.address)))
        .unwrap_or_else(|| panic!("the link {link} should point at the server that sent it"));
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{link}"
    );
    assert!(html.contains(&link), "the HTML part has the link too:\n{html}");
    assert!(html.contains("Nobody from support"), "{html}");
    token.to_owned()
}

/// Asserts that no form of any of `secrets` is anywhere in `mail`.
fn check_no_secrets(mail: &Mail, secrets: &[String]) {
    let haystacks = [
        mail.raw.to_lowercase(),
        mail.text.to_lowercase(),
        mail.html.clone().unwrap_or_default().to_lowercase(),
        mail.subject.to_lowercase(),
    ];
    for secret in secrets {
        let forms = [secret.to_lowercase(), secret.to_lowercase().replace('-', "")];
        for (haystack, form) in haystacks.iter().flat_map(|h| forms.iter().map(move |f| (h, f))) {
            assert!(
                !haystack.contains(form),
                "the mail {:?} holds the secret {secret}",
                mail.subject
            );
        }
    }
}

async fn regenerate(app: &TestApp, browser: &Browser, secret: &str) -> Vec<String> {
    let response = browser
        .post_json(
            "/api/v1/me/mfa/recovery-codes",
            json!({"password": PASSWORD, "code": app.code_now(secret)}),
        )
        .await;
    recovery_codes_in(&expect_ok(response).await)
}

async fn disable(app: &TestApp, browser: &Browser, secret: &str) {
    let response = browser
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": app.code_now(secret)}),
        )
        .await;
    assert_status(response, StatusCode::NO_CONTENT).await;
}

async fn switch_off(by: &Browser, id: i32) {
    let response = by
        .post_json(
            &format!("/api/v1/accounts/{id}/mfa/disable"),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_status(response, StatusCode::NO_CONTENT).await;
}

fn kinds_of(notices: &[NoticeRow], account_id: i32) -> Vec<&str> {
    notices
        .iter()
        .filter(|n| n.account_id == account_id)
        .map(|n| n.kind.as_str())
        .collect()
}

async fn every_change_to_the_second_factor_is_mailed_to_the_contact_address_once(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let customer = app
        .create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, true)
        .await;
    let mailbox = app
        .create_login_with_email(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), MAILBOX_ADDRESS, false)
        .await;
    let silent = app.create_login(AccountKind::Customer, "c20002", None).await;
    app.create_login(AccountKind::Admin, ADMIN, None).await;
    let mut secrets = Vec::new();

    // The customer on itself: on, new recovery codes, one used, off.
    let browser = app.logged_in_by_email(&sink, CUSTOMER, ADDRESS).await;
    let (secret, codes) = app.enable_totp(&browser).await;
    secrets.push(secret.clone());
    secrets.extend(codes);
    let mail = notice_to(&sink, ADDRESS).await;
    assert_eq!(mail.subject, format!("{ON}: {CUSTOMER}"));
    assert!(
        mail.text.contains("was switched on for your login c10001"),
        "{}",
        mail.text
    );

    app.advance(STEP);
    let codes = regenerate(&app, &browser, &secret).await;
    secrets.extend(codes.clone());
    assert_eq!(
        notice_to(&sink, ADDRESS).await.subject,
        format!("{NEW_CODES}: {CUSTOMER}")
    );

    assert_status(browser.logout().await, StatusCode::NO_CONTENT).await;
    let browser = app.pending_login(CUSTOMER).await;
    expect_ok(browser.login_mfa(&codes[0]).await).await;
    let mail = notice_to(&sink, ADDRESS).await;
    assert_eq!(mail.subject, format!("{CODE_USED}: {CUSTOMER}"));
    assert!(mail.text.contains("9 unused codes are left"), "{}", mail.text);

    app.advance(STEP);
    disable(&app, &browser, &secret).await;
    let mail = notice_to(&sink, ADDRESS).await;
    assert_eq!(mail.subject, format!("{OFF}: {CUSTOMER}"));
    assert!(
        mail.text.contains("switched off for your login c10001")
            && mail.text.contains("needs a code we send to this address"),
        "{}",
        mail.text
    );

    // An administrator switches it off: the notice names the administrator.
    let (secret, codes) = app.enable_totp(&browser).await;
    secrets.push(secret);
    secrets.extend(codes);
    assert_eq!(notice_to(&sink, ADDRESS).await.subject, format!("{ON}: {CUSTOMER}"));
    let admin = app.logged_in_as(ADMIN).await;
    switch_off(&admin, customer).await;
    let mail = notice_to(&sink, ADDRESS).await;
    assert_eq!(mail.subject, format!("{OFF}: {CUSTOMER}"));
    assert!(
        mail.text.contains("switched off by admin for your login c10001"),
        "{}",
        mail.text
    );

    // The customer on its mailbox: both notices name the customer, and go to
    // the mailbox's contact address.
    let owner = app.logged_in_by_email(&sink, CUSTOMER, ADDRESS).await;
    let (secret, codes) = app.enable_totp_for(&owner, mailbox).await;
    secrets.push(secret);
    secrets.extend(codes);
    let mail = notice_to(&sink, MAILBOX_ADDRESS).await;
    assert_eq!(mail.subject, format!("{ON}: {MAILBOX}"));
    assert!(
        mail.text
            .contains("switched on by c10001 for your login info@example.com"),
        "{}",
        mail.text
    );
    switch_off(&owner, mailbox).await;
    let mail = notice_to(&sink, MAILBOX_ADDRESS).await;
    assert_eq!(mail.subject, format!("{OFF}: {MAILBOX}"));
    assert!(
        mail.text
            .contains("switched off by c10001 for your login info@example.com")
            && mail.text.contains("the password alone opens it"),
        "{}",
        mail.text
    );

    // A login without a contact address gets no notice.
    let other = app.logged_in_as("c20002").await;
    let (secret, _) = app.enable_totp(&other).await;
    app.advance(STEP);
    disable(&app, &other, &secret).await;

    let notices = app.wait_until_notices_sent().await;
    assert_eq!(
        kinds_of(&notices, customer),
        [
            "mfa_enabled",
            "recovery_codes_regenerated",
            "recovery_code_used",
            "mfa_disabled",
            "mfa_enabled",
            "mfa_reset_by_admin"
        ]
    );
    assert_eq!(kinds_of(&notices, mailbox), ["mfa_enabled", "mfa_reset_by_owner"]);
    assert_eq!(kinds_of(&notices, silent), Vec::<&str>::new());
    // Once each: as many mails as notices, and nothing to anyone else.
    assert_eq!(
        notice_subjects(&sink, ADDRESS).len(),
        6,
        "{:#?}",
        notice_subjects(&sink, ADDRESS)
    );
    assert_eq!(notice_subjects(&sink, MAILBOX_ADDRESS).len(), 2);
    let mails = sink.messages();
    assert!(
        mails.iter().all(|m| m.to == [ADDRESS] || m.to == [MAILBOX_ADDRESS]),
        "{mails:#?}"
    );
    for mail in &mails {
        if !mail.subject.starts_with("Your login code") {
            check_notice(&app, mail);
        }
        check_no_secrets(mail, &secrets);
    }
}

/// Five wrong codes, with two throttled attempts wherever a wrong code left
/// a lock: the pending login ends. `delays`: the lock each wrong code leaves,
/// which the clock then moves past.
async fn guessing_run(app: &TestApp, delays: [i64; 5]) {
    let attacker = app.pending_login(CUSTOMER).await;
    for (n, delay) in delays.into_iter().enumerate() {
        let response = attacker.login_mfa("000000").await;
        if n < 4 {
            assert_error(response, StatusCode::UNAUTHORIZED, "invalid_code").await;
            for _ in 0..usize::from(delay > 0) * 2 {
                let too_soon = attacker.login_mfa("000000").await;
                assert_error(too_soon, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
            }
        } else {
            assert_error(response, StatusCode::UNAUTHORIZED, "login_expired").await;
        }
        app.advance(delay);
    }
}

async fn a_guessing_run_is_one_notice_not_one_per_attempt(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, true)
        .await;
    let start = app.now();

    // Two runs of five wrong codes, each with throttled attempts, within 15 minutes.
    guessing_run(&app, [0, 0, 1, 2, 4]).await;
    guessing_run(&app, [8, 16, 32, 64, 128]).await;
    assert!(app.now() - start < 15 * 60);

    let count = |kind: &'static str| {
        let app = &app;
        async move {
            app.sql_value::<i64>(&format!(
                "SELECT COUNT(*) AS v FROM security_events WHERE event = '{kind}'"
            ))
            .await
        }
    };
    assert!(count("throttled").await >= 6, "every refused attempt is logged");
    assert_eq!(count("second_step_failed").await, 2);
    let notices = app.wait_until_notices_sent().await;
    let kinds: Vec<&str> = notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["throttled", "second_step_failed"]);
    let throttled = notice_to(&sink, ADDRESS).await;
    assert_eq!(throttled.subject, format!("{THROTTLED}: {CUSTOMER}"));
    check_notice(&app, &throttled);
    let stopped = notice_to(&sink, ADDRESS).await;
    assert_eq!(stopped.subject, format!("{STOPPED}: {CUSTOMER}"));
    assert!(stopped.text.contains("then 5 wrong codes"), "{}", stopped.text);
    check_notice(&app, &stopped);

    // The user logs in (which resets the delay); 15 minutes after the first
    // notices, another run is worth a mail again.
    app.logged_in_by_email(&sink, CUSTOMER, ADDRESS).await;
    let first = notices[0].created_at;
    let wait = first + 15 * 60 + 1 - app.now();
    app.advance(wait.max(0));
    guessing_run(&app, [0, 0, 1, 2, 4]).await;
    let notices = app.wait_until_notices_sent().await;
    let kinds: Vec<&str> = notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["throttled", "second_step_failed", "throttled", "second_step_failed"]
    );
    assert_eq!(
        notice_subjects(&sink, ADDRESS),
        [THROTTLED, STOPPED, THROTTLED, STOPPED].map(|s| format!("{s}: {CUSTOMER}"))
    );
}

async fn a_burst_of_concurrent_guesses_is_one_notice_too(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, true)
        .await;

    // Three wrong codes leave a lock; eight guesses at once are all refused.
    let attacker = app.pending_login(CUSTOMER).await;
    for _ in 0..3 {
        assert_error(
            attacker.login_mfa("000000").await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
    }
    let guesses = (0..8)
        .map(|_| {
            attacker
                .request(reqwest::Method::POST, "/api/v1/login/mfa")
                .json(&json!({"code": "000000"}))
        })
        .collect();
    let answers = race_requests(guesses).await;
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );

    let throttled: i64 = app
        .sql_value("SELECT COUNT(*) AS v FROM security_events WHERE event = 'throttled'")
        .await;
    assert_eq!(throttled, 8, "each refused guess is logged");
    let notices = app.wait_until_notices_sent().await;
    let kinds: Vec<&str> = notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["throttled"], "one mail for the whole burst");
    assert_eq!(notice_subjects(&sink, ADDRESS), [format!("{THROTTLED}: {CUSTOMER}")]);
}

/// The row of `username` in a `GET /api/v1/accounts` answer.
fn row_of<'a>(list: &'a Value, username: &str) -> &'a Value {
    list["accounts"]
        .as_array()
        .expect("the answer lists accounts")
        .iter()
        .find(|a| a["username"] == username)
        .unwrap_or_else(|| panic!("{username} is not in {list}"))
}

async fn this_wasnt_me_ends_every_session_voids_set_up_and_code_and_flags_the_login(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let mailbox = app
        .create_login_with_email(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), MAILBOX_ADDRESS, true)
        .await;
    app.create_login(AccountKind::Admin, ADMIN, None).await;
    let owner = app.logged_in_as(CUSTOMER).await;
    let admin = app.logged_in_as(ADMIN).await;

    // The mailbox's user, in two browsers; one has started setting up an app.
    let first = app.logged_in_by_email(&sink, MAILBOX, MAILBOX_ADDRESS).await;
    let second = app.logged_in_by_email(&sink, MAILBOX, MAILBOX_ADDRESS).await;
    let setup = first
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
        .await;
    let secret = expect_ok(setup).await["secret"].as_str().expect("a secret").to_owned();

    // Someone with the password: five wrong codes, then a code sent.
    let attacker = app.pending_login(MAILBOX).await;
    for delay in [0, 0, 1, 2] {
        assert_error(
            attacker.login_mfa("000000").await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
        app.advance(delay);
    }
    assert_error(
        attacker.login_mfa("000000").await,
        StatusCode::UNAUTHORIZED,
        "login_expired",
    )
    .await;
    app.advance(4);
    let attacker = app.pending_login(MAILBOX).await;
    expect_ok(attacker.send_email_code().await).await;
    let live_code = crate::helpers::code_sent_to(&sink, MAILBOX_ADDRESS).await;

    let mail = notice_to(&sink, MAILBOX_ADDRESS).await;
    assert_eq!(mail.subject, format!("{STOPPED}: {MAILBOX}"));
    let token = check_notice(&app, &mail);
    assert_eq!(
        row_of(&admin.get_ok("/api/v1/accounts").await, MAILBOX)["flagged_at"],
        Value::Null
    );

    app.advance(STEP);
    let reported_at = app.now();
    let anonymous = app.new_browser();
    assert_eq!(
        expect_ok(anonymous.not_me(&token).await).await,
        json!({"username": MAILBOX})
    );

    // Every session has ended, the pending login's too.
    for browser in [&first, &second] {
        assert_error(browser.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    }
    assert_error(
        attacker.login_mfa(&live_code).await,
        StatusCode::UNAUTHORIZED,
        "no_pending_login",
    )
    .await;
    // The e-mailed code is void even with the password typed again.
    let again = app.pending_login(MAILBOX).await;
    assert_error(
        again.login_mfa(&live_code).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    // The set-up is gone: its code activates nothing.
    app.advance(RESEND_AFTER);
    let back = app.logged_in_by_email(&sink, MAILBOX, MAILBOX_ADDRESS).await;
    let activate = back
        .post_json("/api/v1/me/mfa/totp/activate", json!({"code": app.code_now(&secret)}))
        .await;
    assert_error(activate, StatusCode::CONFLICT, "no_pending_setup").await;

    // The owner and the administrators see the flag, and the log says why.
    for browser in [&owner, &admin] {
        let row = row_of(&browser.get_ok("/api/v1/accounts").await, MAILBOX).clone();
        assert_eq!(row["flagged_at"], reported_at, "{row}");
    }
    let log = admin.get_ok("/api/v1/audit?event=reported_not_me").await;
    let events = log["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(
        (&events[0]["account"], &events[0]["at"], &events[0]["ip"]),
        (&json!(MAILBOX), &json!(reported_at), &json!("127.0.0.1"))
    );
    assert_eq!(
        app.rows_of("notices", mailbox).await,
        1,
        "reporting sends no notice itself"
    );

    // The link works once; made-up links never.
    assert_error(anonymous.not_me(&token).await, StatusCode::NOT_FOUND, "link_not_found").await;
    for made_up in ["0".repeat(64), "ab".repeat(32), "not a token".to_owned(), String::new()] {
        assert_error(
            anonymous.not_me(&made_up).await,
            StatusCode::NOT_FOUND,
            "link_not_found",
        )
        .await;
    }
    // Still logged in after all that.
    back.me_ok().await;

    // The owner dismisses the report once it has looked into it; the log
    // says who. After that there is nothing to dismiss.
    let dismiss = format!("/api/v1/accounts/{mailbox}/flag/dismiss");
    let dismissed = owner
        .request(reqwest::Method::POST, &dismiss)
        .send()
        .await
        .expect("answered");
    assert_status(dismissed, StatusCode::NO_CONTENT).await;
    for browser in [&owner, &admin] {
        let row = row_of(&browser.get_ok("/api/v1/accounts").await, MAILBOX).clone();
        assert_eq!(row["flagged_at"], Value::Null, "{row}");
    }
    let log = admin.get_ok("/api/v1/audit?event=report_dismissed").await;
    assert_eq!(
        (&log["events"][0]["account"], &log["events"][0]["actor"]),
        (&json!(MAILBOX), &json!(CUSTOMER)),
        "{log}"
    );
    let again = admin
        .request(reqwest::Method::POST, &dismiss)
        .send()
        .await
        .expect("answered");
    assert_error(again, StatusCode::CONFLICT, "not_flagged").await;
}

async fn a_this_wasnt_me_link_works_for_thirty_days(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let mailbox = app
        .create_login_with_email(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), MAILBOX_ADDRESS, false)
        .await;
    let owner = app.logged_in_as(CUSTOMER).await;
    app.enable_totp_for(&owner, mailbox).await;
    switch_off(&owner, mailbox).await;
    let older = check_notice(&app, &notice_to(&sink, MAILBOX_ADDRESS).await);
    let newer = check_notice(&app, &notice_to(&sink, MAILBOX_ADDRESS).await);
    let notices = app.wait_until_notices_sent().await;
    let (older_at, newer_at) = (notices[0].created_at, notices[1].created_at);
    assert!(older_at < newer_at);

    app.advance(older_at + LINK_TTL - 1 - app.now());
    expect_ok(app.new_browser().not_me(&older).await).await;
    app.advance(newer_at + LINK_TTL - app.now());
    assert_error(
        app.new_browser().not_me(&newer).await,
        StatusCode::NOT_FOUND,
        "link_not_found",
    )
    .await;
}

/// Whether `notice` failed and waits for its next attempt: not due yet, and
/// not claimed by a worker right now (a claim moves it 5 minutes ahead).
fn waiting_to_retry(notice: &NoticeRow, now: i64) -> bool {
    notice.sent_at.is_none() && notice.next_attempt_at > now && notice.next_attempt_at < now + LEASE
}

async fn a_notice_the_mail_server_refused_is_sent_once_by_the_next_server(db: Db) {
    let (mut app, mut sink) = spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, false)
        .await;
    sink.stop();
    let browser = app.logged_in_as(CUSTOMER).await;
    app.enable_totp(&browser).await;

    // Tried at once, then after 10 s, 20 s, 40 s: each time the clock gets there.
    let mut waits = Vec::new();
    for attempts in 1..=3 {
        let notices = app
            .wait_for_notices(&format!("tried {attempts} times"), |n| {
                n.len() == 1 && n[0].attempts == attempts && waiting_to_retry(&n[0], app.now())
            })
            .await;
        let tried = &notices[0];
        assert_eq!((tried.sent_at, tried.last_error.is_some()), (None, true), "{tried:?}");
        let wait = tried.next_attempt_at - app.now();
        waits.push(wait);
        if attempts < 3 {
            app.advance(wait);
        }
    }
    assert_eq!(waits, [10, 20, 40]);

    app.stop().await;
    sink.restart();
    let next = app.another_instance().await;
    let smtp_url = next.mail.as_ref().map(|mail| mail.smtp_url.clone());
    assert_eq!(smtp_url, Some(format!("smtp://127.0.0.1:{}", sink.port())));
    // Not before its time...
    app.advance(39);
    tokio::time::sleep(SEVERAL_PASSES).await;
    assert_eq!(next.notices().await[0].attempts, 3);
    assert!(sink.messages().is_empty());
    // ...and then once.
    app.advance(1);
    let mail = notice_to(&sink, ADDRESS).await;
    assert_eq!(mail.subject, format!("{ON}: {CUSTOMER}"));
    let token = check_notice(&next, &mail);
    let notices = next.wait_until_notices_sent().await;
    assert_eq!((notices[0].attempts, notices[0].sent_at), (4, Some(next.now())));
    tokio::time::sleep(SEVERAL_PASSES).await;
    assert_eq!(sink.messages().len(), 1);
    // The link it carries works on the new server.
    expect_ok(next.new_browser().not_me(&token).await).await;
}

async fn a_notice_not_delivered_while_its_link_works_is_given_up(db: Db) {
    let (app, mut sink) = spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, false)
        .await;
    sink.stop();
    let browser = app.logged_in_as(CUSTOMER).await;
    app.enable_totp(&browser).await;
    app.wait_for_notices("tried once", |n| n.len() == 1 && n[0].attempts == 1)
        .await;

    sink.restart();
    app.advance(30 * 24 * 60 * 60);
    let notices = app
        .wait_for_notices("given up", |n| {
            n[0].last_error.as_deref() == Some("given up: not delivered within 30 days")
        })
        .await;
    assert_eq!((notices[0].sent_at, notices[0].attempts), (None, 1));
    tokio::time::sleep(SEVERAL_PASSES).await;
    assert!(
        sink.messages().is_empty(),
        "a notice whose link no longer works is not sent"
    );
}

async fn two_servers_on_one_database_send_each_notice_once(db: Db) {
    let (app, mut sink) = spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, false)
        .await;
    // Five notices, each tried once while the mail server is down.
    sink.stop();
    let browser = app.logged_in_as(CUSTOMER).await;
    let (secret, _) = app.enable_totp(&browser).await;
    for _ in 0..3 {
        app.advance(STEP);
        regenerate(&app, &browser, &secret).await;
    }
    app.advance(STEP);
    disable(&app, &browser, &secret).await;
    let now = app.now();
    let waiting = app
        .wait_for_notices("all waiting to be retried", |n| {
            n.len() == 5 && n.iter().all(|n| n.attempts >= 1 && waiting_to_retry(n, now))
        })
        .await;

    // Two servers, both due to retry all five at the same moment.
    sink.restart();
    let second = app.another_instance().await;
    let due = waiting.iter().map(|n| n.next_attempt_at).max().expect("five notices");
    app.advance(due - now);

    sink.wait_for_count(5).await;
    let sent = second.wait_until_notices_sent().await;
    tokio::time::sleep(SEVERAL_PASSES).await;
    let mails = sink.messages();
    assert_eq!(mails.len(), 5, "{mails:#?}");
    for (before, after) in waiting.iter().zip(&sent) {
        assert_eq!(after.attempts, before.attempts + 1, "claimed once: {after:?}");
    }
    let mut tokens: Vec<String> = mails
        .iter()
        .map(|mail| check_notice_from(&[&app, &second], mail))
        .collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 5, "five different notices");
}

async fn this_wasnt_me_beside_an_own_event_does_what_the_link_does(db: Db) {
    let app = spawn_app(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    app.create_login(AccountKind::Admin, ADMIN, None).await;
    let admin = app.logged_in_as(ADMIN).await;
    let here = app.logged_in_as(CUSTOMER).await;
    app.advance(60);
    let elsewhere = app.logged_in_as(CUSTOMER).await;
    let event_id = |list: &Value| list["events"][0]["id"].as_i64().expect("an event id");
    let own = event_id(&here.get_ok("/api/v1/me/events").await);
    let admins = event_id(&admin.get_ok("/api/v1/me/events").await);

    // Only one's own events: another login's is 404, like one that does not exist.
    for id in [admins, 999_999] {
        assert_error(
            here.post_json("/api/v1/me/not-me", json!({"event_id": id})).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert_status(here.me().await, StatusCode::OK).await;

    let reported = here.post_json("/api/v1/me/not-me", json!({"event_id": own})).await;
    let cookie = reported
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(expect_ok(reported).await, json!({"username": CUSTOMER}));
    assert!(
        cookie.starts_with("tessera_session=;"),
        "the session cookie is cleared: {cookie}"
    );
    // Every session ends, this one too; the login is flagged, and the log
    // names the event it was about.
    for browser in [&here, &elsewhere] {
        assert_error(browser.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    }
    assert_ne!(
        row_of(&admin.get_ok("/api/v1/accounts").await, CUSTOMER)["flagged_at"],
        Value::Null
    );
    let log = admin
        .get_ok(&format!("/api/v1/audit?account={CUSTOMER}&event=reported_not_me"))
        .await;
    let detail = log["events"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("About \u{201c}Logged in\u{201d} of 20"), "{log}");
}
