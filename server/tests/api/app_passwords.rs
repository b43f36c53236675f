//! App passwords over the REST API, and `/api/v1/mail/auth` asked the way
//! nginx's mail proxy (`GET`, `Auth-*` headers) and ActiveSync gateways
//! (`POST`, JSON) ask it. The real nginx and Dovecot are in `mail_clients.rs`.

use app::domain::AccountKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, Browser, CUSTOMER, Db, MAILBOX, MailLogin, OTHER_MAILBOX, PACKAGE, PASSWORD, STEP, TestApp, assert_error,
    assert_status, expect_ok, mail_auth_settings, on_both_databases, race_requests, retry_after, spawn_app,
    spawn_app_with_mail, spawn_app_with_mail_auth, spawn_app_with_mail_auth_and_mail, wrong_code,
};
use crate::mail_sink::{MailSink, link_in};
use crate::mail_stack::{BACKEND_SECRET, PROXY_SECRET};

on_both_databases!(
    a_mailbox_creates_lists_and_revokes_its_app_passwords,
    a_mailbox_has_at_most_twenty_even_when_it_asks_for_many_at_once,
    with_2fa_on_creating_one_needs_a_current_second_factor,
    with_emailed_codes_the_confirmation_code_comes_by_mail,
    its_customer_creates_and_revokes_them_and_an_administrator_revokes_them,
    a_reset_and_this_wasnt_me_revoke_them_all,
    the_mail_proxy_gets_the_backend_and_never_the_users_secret,
    a_mailbox_with_2fa_has_its_own_password_refused_unread_and_uncounted,
    only_the_configured_proxy_with_its_secret_may_ask,
    failures_earn_a_growing_wait_then_a_block_that_spares_the_other_addresses,
    gateways_ask_the_same_in_json,
    app_passwords_can_be_required_of_every_mailbox,
    uses_are_written_once_a_minute_and_each_new_address_is_mailed_once,
);

const NAME: &str = "iPhone Mail";

/// Two mailboxes of [`CUSTOMER`] and the rest of the cast: the customer, a
/// package, an administrator.
async fn cast(app: &TestApp) -> (i32, i32) {
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    app.create_login(AccountKind::Package, PACKAGE, Some(CUSTOMER)).await;
    app.create_login(AccountKind::Admin, ADMIN, None).await;
    let mailbox = app.create_login(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER)).await;
    let other = app
        .create_login(AccountKind::Mailbox, OTHER_MAILBOX, Some(CUSTOMER))
        .await;
    (mailbox, other)
}

async fn listed(browser: &Browser, path: &str) -> Vec<Value> {
    browser.get_ok(path).await["app_passwords"]
        .as_array()
        .expect("a list")
        .clone()
}

fn names(list: &[Value]) -> Vec<&str> {
    list.iter().map(|p| p["name"].as_str().expect("a name")).collect()
}

async fn a_mailbox_creates_lists_and_revokes_its_app_passwords(db: Db) {
    let app = spawn_app(db).await;
    let (_, other_mailbox) = cast(&app).await;
    let webmail = app.logged_in_as(MAILBOX).await;

    let created = webmail.create_app_password(NAME, &["imap", "smtp"], None).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("JSON");
    let password = created["password"].as_str().expect("a password");
    let groups: Vec<&str> = password.split(' ').collect();
    assert_eq!(groups.len(), 6, "{password}");
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_alphanumeric()))
    );
    assert_eq!(created["app_password"]["name"], NAME);
    assert_eq!(created["app_password"]["protocols"], json!(["imap", "smtp"]));
    assert_eq!(created["app_password"]["created_at"], app.now());
    assert_eq!(created["app_password"]["expires_at"], Value::Null);
    assert_eq!(created["app_password"]["last_used"], Value::Null);
    assert_eq!(created["settings"]["username"], MAILBOX);
    // Only its keyed hash is stored.
    let stored: String = app.sql_value("SELECT secret_hash AS v FROM app_passwords").await;
    assert!(stored.starts_with("v1:") && stored.len() == 76, "{stored}");
    assert!(!stored.contains(&password.replace(' ', "")));

    webmail.new_app_password("Thunderbird", &["pop3", "smtp"], None).await;
    let list = webmail.get_ok("/api/v1/me/app-passwords").await;
    assert_eq!(list["max"], 20);
    let all = list["app_passwords"].as_array().expect("a list");
    assert_eq!(names(all), ["Thunderbird", NAME], "newest first");
    assert!(
        all.iter()
            .all(|p| p.get("password").is_none() && p.get("secret_hash").is_none())
    );

    // What is refused, and why.
    for (body, status, code) in [
        (
            json!({"name": " ", "protocols": ["imap"], "password": PASSWORD}),
            422,
            "invalid_input",
        ),
        (
            json!({"name": "x".repeat(65), "protocols": ["imap"], "password": PASSWORD}),
            422,
            "invalid_input",
        ),
        (
            json!({"name": "A", "protocols": [], "password": PASSWORD}),
            422,
            "invalid_input",
        ),
        (
            json!({"name": "A", "protocols": ["gopher"], "password": PASSWORD}),
            422,
            "invalid_json",
        ),
        (
            json!({"name": "A", "protocols": ["imap"], "expires_in_days": 0, "password": PASSWORD}),
            422,
            "invalid_input",
        ),
        (
            json!({"name": "A", "protocols": ["imap"], "expires_in_days": 3651, "password": PASSWORD}),
            422,
            "invalid_input",
        ),
        (
            json!({"name": "A", "protocols": ["imap"], "password": "wrong password"}),
            401,
            "invalid_password",
        ),
        (
            json!({"name": NAME, "protocols": ["imap"], "password": PASSWORD}),
            409,
            "app_password_name_taken",
        ),
        (
            json!({"name": "A", "protocols": ["imap"], "password": PASSWORD, "admin": true}),
            422,
            "invalid_json",
        ),
    ] {
        let status = StatusCode::from_u16(status).expect("a status");
        assert_error(webmail.post_json("/api/v1/me/app-passwords", body).await, status, code).await;
    }
    assert_eq!(
        listed(&webmail, "/api/v1/me/app-passwords").await.len(),
        2,
        "nothing refused was created"
    );

    // Revoking: one, then the rest. Another mailbox's id is not found.
    let other = app.logged_in_as(OTHER_MAILBOX).await;
    other.new_app_password("Other's phone", &["imap"], None).await;
    let others_id = listed(&other, "/api/v1/me/app-passwords").await[0]["id"].clone();
    assert_error(
        webmail.delete(&format!("/api/v1/me/app-passwords/{others_id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        webmail.delete("/api/v1/me/app-passwords/abc").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let id = all[1]["id"].clone();
    assert_status(
        webmail.delete(&format!("/api/v1/me/app-passwords/{id}")).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_error(
        webmail.delete(&format!("/api/v1/me/app-passwords/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        names(&listed(&webmail, "/api/v1/me/app-passwords").await),
        ["Thunderbird"]
    );
    assert_status(webmail.delete("/api/v1/me/app-passwords").await, StatusCode::NO_CONTENT).await;
    assert!(listed(&webmail, "/api/v1/me/app-passwords").await.is_empty());
    assert_eq!(
        app.rows_of("app_passwords", other_mailbox).await,
        1,
        "the other mailbox keeps its own"
    );

    // Only mailboxes have them.
    let customer = app.logged_in_as(CUSTOMER).await;
    assert_error(
        customer.get("/api/v1/me/app-passwords").await,
        StatusCode::CONFLICT,
        "app_passwords_not_offered",
    )
    .await;
    assert_error(
        customer.create_app_password(NAME, &["imap"], None).await,
        StatusCode::CONFLICT,
        "app_passwords_not_offered",
    )
    .await;

    // The log names each one.
    let events = webmail.get_ok("/api/v1/me/events").await;
    let logged: Vec<(String, String)> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event"].as_str().is_some_and(|k| k.starts_with("app_password")))
        .map(|e| {
            (
                e["event"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("app_password_revoked".to_owned(), "all of them (1)".to_owned()),
            (
                "app_password_revoked".to_owned(),
                "\u{201c}iPhone Mail\u{201d}".to_owned()
            ),
            (
                "app_password_created".to_owned(),
                "\u{201c}Thunderbird\u{201d} (POP3, SMTP)".to_owned()
            ),
            (
                "app_password_created".to_owned(),
                "\u{201c}iPhone Mail\u{201d} (IMAP, SMTP)".to_owned()
            ),
        ]
    );
}

async fn a_mailbox_has_at_most_twenty_even_when_it_asks_for_many_at_once(db: Db) {
    let app = spawn_app(db).await;
    cast(&app).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    for n in 0..17 {
        webmail.new_app_password(&format!("Device {n}"), &["imap"], None).await;
    }
    let requests = (0..6)
        .map(|n| {
            webmail
                .request(Method::POST, "/api/v1/me/app-passwords")
                .json(&json!({"name": format!("Racer {n}"), "protocols": ["imap"], "password": PASSWORD}))
        })
        .collect();
    let answers = race_requests(requests).await;
    let created = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 3, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != StatusCode::CREATED) {
        assert_eq!(
            (*status, body["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("too_many_app_passwords"))
        );
    }
    assert_eq!(listed(&webmail, "/api/v1/me/app-passwords").await.len(), 20);
    let refused = webmail.create_app_password("One too many", &["imap"], None).await;
    let (_, body) = crate::helpers::error_body(refused).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 20"),
        "{body}"
    );
}

async fn with_2fa_on_creating_one_needs_a_current_second_factor(db: Db) {
    let app = spawn_app(db).await;
    cast(&app).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    let (secret, recovery_codes) = app.enable_totp(&webmail).await;
    app.advance(STEP);

    assert_error(
        webmail.create_app_password(NAME, &["imap"], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_error(
        webmail.create_app_password(NAME, &["imap"], Some("12 34")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let wrong = wrong_code(&secret, app.now());
    assert_error(
        webmail.create_app_password(NAME, &["imap"], Some(&wrong)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    assert!(listed(&webmail, "/api/v1/me/app-passwords").await.is_empty());
    webmail
        .new_app_password(NAME, &["imap"], Some(&app.code_now(&secret)))
        .await;
    // The code is used up: replay protection as everywhere.
    assert_error(
        webmail
            .create_app_password("Again", &["imap"], Some(&app.code_now(&secret)))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    webmail
        .new_app_password("Spare", &["imap"], Some(&recovery_codes[0]))
        .await;
    assert_eq!(listed(&webmail, "/api/v1/me/app-passwords").await.len(), 2);
}

async fn with_emailed_codes_the_confirmation_code_comes_by_mail(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    app.create_login_with_email(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), "owner@example.org", true)
        .await;
    let webmail = app.logged_in_by_email(&sink, MAILBOX, "owner@example.org").await;
    assert_error(
        webmail.create_app_password(NAME, &["imap"], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let sent = webmail.post_json("/api/v1/me/mfa/email", json!({})).await;
    let sent_to = expect_ok(sent).await["sent_to"].as_str().unwrap_or_default().to_owned();
    assert!(
        sent_to.starts_with('o') && sent_to.ends_with("@example.org") && !sent_to.contains("owner"),
        "{sent_to}"
    );
    let mail = sink
        .wait_for_where("owner@example.org", "a confirmation code", |m| {
            m.subject.starts_with("Your confirmation code")
        })
        .await;
    let code = crate::mail_sink::code_in(&mail);
    webmail.new_app_password(NAME, &["imap"], Some(&code)).await;
    // Not a login code: the pending login's endpoint still wants a pending login.
    assert_error(
        webmail.send_email_code().await,
        StatusCode::UNAUTHORIZED,
        "no_pending_login",
    )
    .await;
}

async fn its_customer_creates_and_revokes_them_and_an_administrator_revokes_them(db: Db) {
    let app = spawn_app(db).await;
    let (mailbox, other_mailbox) = cast(&app).await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let admin = app.logged_in_as(ADMIN).await;
    let path = format!("/api/v1/accounts/{mailbox}/app-passwords");
    let body = |password: &str| json!({"name": NAME, "protocols": ["imap", "activesync"], "password": password});

    assert_error(
        customer.post_json(&path, body("wrong password")).await,
        StatusCode::UNAUTHORIZED,
        "invalid_password",
    )
    .await;
    let created = customer.post_json(&path, body(PASSWORD)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.json::<Value>().await.expect("JSON")["settings"]["username"],
        MAILBOX
    );
    assert_error(
        admin.post_json(&path, body(PASSWORD)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let package = app
        .sql_value::<i32>(&format!("SELECT id AS v FROM accounts WHERE username = '{PACKAGE}'"))
        .await;
    assert_error(
        customer.get(&format!("/api/v1/accounts/{package}/app-passwords")).await,
        StatusCode::CONFLICT,
        "app_passwords_not_offered",
    )
    .await;

    // Both see the count and the list; the event names the customer.
    let accounts = customer.get_ok("/api/v1/accounts").await;
    let count = |accounts: &Value, id: i32| {
        accounts["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["app_passwords"].clone())
    };
    assert_eq!(count(&accounts, mailbox), Some(json!(1)));
    assert_eq!(count(&accounts, other_mailbox), Some(json!(0)));
    assert_eq!(count(&admin.get_ok("/api/v1/accounts").await, mailbox), Some(json!(1)));
    assert_eq!(
        admin.get_ok(&format!("/api/v1/accounts/{mailbox}")).await["app_passwords"],
        1
    );
    let list = listed(&admin, &path).await;
    assert_eq!(names(&list), [NAME]);
    let log = admin
        .get_ok(&format!("/api/v1/audit?account={MAILBOX}&event=app_password_created"))
        .await;
    assert_eq!(log["events"][0]["actor"], CUSTOMER);

    // The administrator revokes one; the customer revokes the rest.
    let id = &list[0]["id"];
    assert_status(admin.delete(&format!("{path}/{id}")).await, StatusCode::NO_CONTENT).await;
    customer.post_json(&path, body(PASSWORD)).await;
    assert_status(customer.delete(&path).await, StatusCode::NO_CONTENT).await;
    assert!(listed(&customer, &path).await.is_empty());
    let log = admin
        .get_ok(&format!("/api/v1/audit?account={MAILBOX}&event=app_password_revoked"))
        .await;
    let actors: Vec<&str> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["actor"].as_str())
        .collect();
    assert_eq!(actors, [CUSTOMER, ADMIN]);
}

/// A mailbox of [`CUSTOMER`] with the contact address `owner@example.org`.
async fn mailbox_with_address(app: &TestApp) -> i32 {
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    app.create_login_with_email(
        AccountKind::Mailbox,
        MAILBOX,
        Some(CUSTOMER),
        "owner@example.org",
        false,
    )
    .await
}

async fn a_reset_and_this_wasnt_me_revoke_them_all(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let mailbox = mailbox_with_address(&app).await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    let (secret, _) = app.enable_totp(&webmail).await;
    app.advance(STEP);
    webmail
        .new_app_password(NAME, &["imap"], Some(&app.code_now(&secret)))
        .await;
    app.advance(STEP);
    webmail
        .new_app_password("Laptop", &["imap"], Some(&app.code_now(&secret)))
        .await;

    // The customer switches the mailbox's 2FA off: its app passwords go too.
    let reset = customer
        .post_json(
            &format!("/api/v1/accounts/{mailbox}/mfa/disable"),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_status(reset, StatusCode::NO_CONTENT).await;
    assert_eq!(app.rows_of("app_passwords", mailbox).await, 0);
    let notice = sink
        .wait_for_where("owner@example.org", "the reset notice", |m| {
            m.subject.contains("is off")
        })
        .await;
    assert!(
        notice
            .text
            .contains("app passwords are gone too (2 app passwords revoked)"),
        "{}",
        notice.text
    );

    // Someone made one; the notice's "This wasn't me" revokes it.
    let webmail = app.logged_in_as(MAILBOX).await;
    webmail.new_app_password("Not mine", &["smtp"], None).await;
    let created = sink
        .wait_for_where("owner@example.org", "the new app password's notice", |m| {
            m.text.contains("Not mine")
        })
        .await;
    assert!(created.subject.starts_with("New app password"), "{}", created.subject);
    assert!(
        created.text.contains("\u{201c}Not mine\u{201d} (SMTP)"),
        "{}",
        created.text
    );
    let token = link_in(&created, "/this-wasnt-me#");
    let token = token.split('#').nth(1).expect("a token");
    expect_ok(app.new_browser().not_me(token).await).await;
    assert_eq!(app.rows_of("app_passwords", mailbox).await, 0);
    let detail: String = app
        .sql_value("SELECT detail AS v FROM security_events WHERE event = 'reported_not_me'")
        .await;
    assert_eq!(detail, "1 app password revoked");
}

async fn the_mail_proxy_gets_the_backend_and_never_the_users_secret(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    cast(&app).await;
    let webmail = app.logged_in_as(MAILBOX).await;

    // No 2FA: the mailbox's password, one argon2 check.
    let answer = app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(answer.server.as_deref(), Some("127.0.0.1"));
    assert_eq!(answer.port, Some(9));
    assert_eq!(answer.user.as_deref(), Some(MAILBOX));
    assert_eq!(answer.pass.as_deref(), Some(BACKEND_SECRET));
    let wrong = app
        .ask_as_mail_proxy(MailLogin::imap(MAILBOX, "not the password"))
        .await;
    assert_eq!(
        (wrong.status.as_str(), wrong.wait),
        ("Invalid login or password", Some(1))
    );
    assert_eq!(wrong.error_code, None, "only SMTP has codes");
    let smtp = app
        .ask_as_mail_proxy(MailLogin {
            protocol: "smtp",
            ..MailLogin::imap(MAILBOX, "not the password")
        })
        .await;
    assert_eq!(smtp.error_code.as_deref(), Some("535 5.7.8"));

    // An app password: the user nginx names is the mailbox, the password it
    // hands on is the backend's; SMTP (which nginx does not log in) gets none.
    let password = webmail.new_app_password(NAME, &["imap", "smtp"], None).await;
    let answer = app
        .ask_as_mail_proxy(MailLogin::imap("INFO@example.com", &password))
        .await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(answer.user.as_deref(), Some(MAILBOX));
    assert_eq!(answer.pass.as_deref(), Some(BACKEND_SECRET));
    let smtp = app
        .ask_as_mail_proxy(MailLogin {
            protocol: "smtp",
            ..MailLogin::imap(MAILBOX, &password)
        })
        .await;
    assert!(smtp.is_ok(), "{smtp:?}");
    assert_eq!(smtp.pass, None);
    let pop3 = app
        .ask_as_mail_proxy(MailLogin {
            protocol: "pop3",
            ..MailLogin::imap(MAILBOX, &password)
        })
        .await;
    assert!(pop3.status.contains("not for POP3"), "{pop3:?}");
    // Another mailbox's app password, or one with a character changed, is no password.
    let other = app.ask_as_mail_proxy(MailLogin::imap(OTHER_MAILBOX, &password)).await;
    assert_eq!(other.status, "Invalid login or password");
    let changed = format!(
        "{}{}",
        &password[..password.len() - 1],
        if password.ends_with('z') { 'y' } else { 'z' }
    );
    assert_eq!(
        app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, &changed)).await.status,
        "Invalid login or password"
    );

    // Other kinds of login never log in to mail, nor do unknown names.
    for user in [CUSTOMER, PACKAGE, ADMIN, "nobody@example.com", "not a name"] {
        let answer = app.ask_as_mail_proxy(MailLogin::imap(user, PASSWORD)).await;
        assert_eq!(answer.status, "Invalid login or password", "{user}");
    }
    // Challenge-response methods would need the password in the clear here.
    let cram = reqwest::Client::new()
        .get(format!("{}/api/v1/mail/auth", app.address))
        .header("x-tessera-mail-secret", PROXY_SECRET)
        .header("auth-method", "cram-md5")
        .header("auth-user", MAILBOX)
        .header("auth-pass", "0123456789abcdef0123456789abcdef")
        .header("auth-salt", "<1896.697170952@dbc.mtview.ca.us>")
        .header("auth-protocol", "imap")
        .header("client-ip", "203.0.113.7")
        .send()
        .await
        .expect("answered");
    let status = cram
        .headers()
        .get("auth-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(status.contains("PLAIN or LOGIN"), "{status}");

    // With a Dovecot master user, nginx logs in as it.
    let master = spawn_app_with_mail_auth(
        db,
        tessera_server::service::mail_auth::MailAuthSettings {
            master_user: Some("tessera".to_owned()),
            ..mail_auth_settings()
        },
    )
    .await;
    master.create_mailbox(MAILBOX).await;
    let answer = master.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await;
    assert_eq!(answer.user.as_deref(), Some("info@example.com*tessera"));
}

async fn a_mailbox_with_2fa_has_its_own_password_refused_unread_and_uncounted(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    cast(&app).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    let (secret, _) = app.enable_totp(&webmail).await;
    let right = app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await;
    let wrong = app
        .ask_as_mail_proxy(MailLogin::imap(MAILBOX, "not the password"))
        .await;
    // The same answer either way: nothing tells whether the password was right.
    assert_eq!((&right.status, right.wait), (&wrong.status, wrong.wait));
    assert!(
        right
            .status
            .starts_with("This mailbox has two-factor authentication: log in with an app password"),
        "{right:?}"
    );
    assert!(right.status.contains("My account, App passwords"), "{right:?}");
    // A mail app still set up with the old password retries all day: that is
    // no guessing, and it does not block the app password the user makes next.
    for _ in 0..15 {
        let answer = app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await;
        assert!(answer.status.starts_with("This mailbox has two-factor"), "{answer:?}");
    }
    app.advance(STEP);
    let password = webmail
        .new_app_password(NAME, &["imap"], Some(&app.code_now(&secret)))
        .await;
    assert!(app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, &password)).await.is_ok());
}

async fn only_the_configured_proxy_with_its_secret_may_ask(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    cast(&app).await;
    let login = MailLogin::imap(MAILBOX, PASSWORD);
    let json_body = json!({"username": MAILBOX, "password": PASSWORD, "protocol": "imap"});
    let post = |secret: Option<&str>| {
        let mut request = reqwest::Client::new()
            .post(format!("{}/api/v1/mail/auth", app.address))
            .json(&json_body);
        if let Some(secret) = secret {
            request = request.header("x-tessera-mail-secret", secret);
        }
        request
    };
    for (what, request) in [
        ("no secret", app.mail_proxy_request(login)),
        (
            "a wrong secret",
            app.mail_proxy_request(login).header("x-tessera-mail-secret", "guess"),
        ),
        ("JSON without a secret", post(None)),
        ("JSON with a wrong secret", post(Some(&PROXY_SECRET[1..]))),
    ] {
        let response = request.send().await.expect("answered");
        assert!(response.headers().get("auth-status").is_none(), "{what}");
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    expect_ok(post(Some(PROXY_SECRET)).send().await.expect("answered")).await;

    // The right secret from an address that is not the proxy's.
    let elsewhere = spawn_app_with_mail_auth(
        db,
        tessera_server::service::mail_auth::MailAuthSettings {
            proxies: vec!["10.0.0.25".parse().expect("an address")],
            ..mail_auth_settings()
        },
    )
    .await;
    let response = elsewhere
        .mail_proxy_request(login)
        .header("x-tessera-mail-secret", PROXY_SECRET)
        .send()
        .await
        .expect("answered");
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    // Mail authentication off: nobody.
    let off = spawn_app(db).await;
    let response = off
        .mail_proxy_request(login)
        .header("x-tessera-mail-secret", PROXY_SECRET)
        .send()
        .await
        .expect("answered");
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn failures_earn_a_growing_wait_then_a_block_that_spares_the_other_addresses(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    cast(&app).await;
    let mut waits = Vec::new();
    for _ in 0..10 {
        let answer = app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, "guess")).await;
        assert_eq!(answer.status, "Invalid login or password");
        waits.push(answer.wait.expect("a wait"));
        app.advance(1);
    }
    assert_eq!(waits, [1, 1, 1, 2, 4, 8, 16, 30, 30, 30]);
    // Blocked: even the right password, without a hash being checked.
    let blocked = app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await;
    assert!(
        blocked
            .status
            .starts_with("Too many failed logins from your address: try again in 15 minutes"),
        "{blocked:?}"
    );
    assert_eq!(blocked.wait, Some(30));
    // The user's phone, elsewhere, still gets in; so does another mailbox.
    let phone = app
        .ask_as_mail_proxy(MailLogin {
            client_ip: "198.51.100.4",
            ..MailLogin::imap(MAILBOX, PASSWORD)
        })
        .await;
    assert!(phone.is_ok(), "{phone:?}");
    assert!(
        app.ask_as_mail_proxy(MailLogin::imap(OTHER_MAILBOX, PASSWORD))
            .await
            .is_ok()
    );
    // Fifteen minutes after the last failure, the block ends.
    app.advance(15 * 60 - 2);
    assert!(!app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await.is_ok());
    app.advance(1);
    assert!(app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await.is_ok());
    // And a right password starts the count afresh.
    let answer = app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, "guess")).await;
    assert_eq!(answer.wait, Some(1));
}

async fn gateways_ask_the_same_in_json(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    cast(&app).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    let password = webmail
        .new_app_password("Phone (ActiveSync)", &["activesync"], None)
        .await;
    let ask = |body: Value| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/mail/auth", app.address))
            .header("x-tessera-mail-secret", PROXY_SECRET)
            .json(&body)
            .send()
    };
    let ok = expect_ok(
        ask(json!({"username": MAILBOX, "password": password, "protocol": "activesync", "client_ip": "192.0.2.44"}))
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(ok, json!({"username": MAILBOX, "app_password": "Phone (ActiveSync)"}));
    let used = &listed(&webmail, "/api/v1/me/app-passwords").await[0]["last_used"];
    assert_eq!(
        (used["protocol"].as_str(), used["ip"].as_str()),
        (Some("activesync"), Some("192.0.2.44"))
    );
    let refused = ask(json!({"username": MAILBOX, "password": password, "protocol": "imap"}))
        .await
        .expect("answered");
    assert_error(refused, StatusCode::FORBIDDEN, "protocol_not_allowed").await;
    let mine = expect_ok(
        ask(json!({"username": MAILBOX, "password": PASSWORD, "protocol": "imap"}))
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(mine["app_password"], Value::Null);
    let bad_ip = ask(json!({"username": MAILBOX, "password": PASSWORD, "protocol": "imap", "client_ip": "here"}))
        .await
        .expect("answered");
    assert_error(bad_ip, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let bad_protocol = ask(json!({"username": MAILBOX, "password": PASSWORD, "protocol": "uucp"}))
        .await
        .expect("answered");
    assert_error(bad_protocol, StatusCode::UNPROCESSABLE_ENTITY, "invalid_json").await;
    for _ in 0..10 {
        let wrong =
            ask(json!({"username": MAILBOX, "password": "guess", "protocol": "imap", "client_ip": "192.0.2.50"}))
                .await
                .expect("answered");
        assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let blocked =
        ask(json!({"username": MAILBOX, "password": PASSWORD, "protocol": "imap", "client_ip": "192.0.2.50"}))
            .await
            .expect("answered");
    let headers = assert_error(blocked, StatusCode::TOO_MANY_REQUESTS, "too_many_failures").await;
    assert_eq!(retry_after(&headers), Some(900));

    app.enable_totp(&webmail).await;
    let required = ask(json!({"username": MAILBOX, "password": PASSWORD, "protocol": "imap"}))
        .await
        .expect("answered");
    assert_error(required, StatusCode::UNAUTHORIZED, "app_password_required").await;
}

async fn app_passwords_can_be_required_of_every_mailbox(db: Db) {
    let app = spawn_app_with_mail_auth(
        db,
        tessera_server::service::mail_auth::MailAuthSettings {
            require_app_passwords: true,
            ..mail_auth_settings()
        },
    )
    .await;
    cast(&app).await;
    let answer = app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, PASSWORD)).await;
    assert!(answer.status.contains("log in with an app password"), "{answer:?}");
    let webmail = app.logged_in_as(MAILBOX).await;
    let password = webmail.new_app_password(NAME, &["imap"], None).await;
    assert!(app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, &password)).await.is_ok());
}

/// The notices mailed to `owner@example.org` whose subject starts with `subject`.
fn notices_about(sink: &MailSink, subject: &str) -> Vec<String> {
    sink.messages()
        .into_iter()
        .filter(|m| m.to.contains(&"owner@example.org".to_owned()) && m.subject.starts_with(subject))
        .map(|m| m.text)
        .collect()
}

async fn uses_are_written_once_a_minute_and_each_new_address_is_mailed_once(db: Db) {
    let (app, sink) = spawn_app_with_mail_auth_and_mail(db).await;
    mailbox_with_address(&app).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    let password = webmail.new_app_password(NAME, &["imap", "smtp"], None).await;
    let created = sink
        .wait_for_where("owner@example.org", "the new app password's notice", |m| {
            m.subject.starts_with("New app password")
        })
        .await;
    assert!(
        created.text.contains("\u{201c}iPhone Mail\u{201d} (IMAP, SMTP)"),
        "{}",
        created.text
    );
    assert!(!created.text.contains(&password), "a notice never carries the secret");

    let first = app.now();
    // Six connections at once from a new address: one event, one notice.
    let requests = (0..6)
        .map(|_| {
            app.mail_proxy_request(MailLogin::imap(MAILBOX, &password))
                .header("x-tessera-mail-secret", PROXY_SECRET)
        })
        .collect();
    for (status, _) in race_requests(requests).await {
        assert_eq!(status, StatusCode::OK);
    }
    let new_address = sink
        .wait_for_where("owner@example.org", "the new address notice", |m| {
            m.subject.starts_with("An app password was used from a new address")
        })
        .await;
    assert!(
        new_address.text.contains("\u{201c}iPhone Mail\u{201d} (IMAP)"),
        "{}",
        new_address.text
    );
    assert!(new_address.text.contains("203.0.113.7"), "{}", new_address.text);
    let last_used = |list: Vec<Value>| list[0]["last_used"].clone();
    assert_eq!(
        last_used(listed(&webmail, "/api/v1/me/app-passwords").await),
        json!({"at": first, "protocol": "imap", "ip": "203.0.113.7"})
    );

    // Within the minute nothing is written; a new address is still noticed.
    app.advance(30);
    let elsewhere = MailLogin {
        client_ip: "198.51.100.4",
        protocol: "smtp",
        ..MailLogin::imap(MAILBOX, &password)
    };
    assert!(app.ask_as_mail_proxy(elsewhere).await.is_ok());
    assert!(app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, &password)).await.is_ok());
    assert_eq!(
        last_used(listed(&webmail, "/api/v1/me/app-passwords").await),
        json!({"at": first, "protocol": "imap", "ip": "203.0.113.7"})
    );
    app.advance(30);
    assert!(app.ask_as_mail_proxy(elsewhere).await.is_ok());
    assert_eq!(
        last_used(listed(&webmail, "/api/v1/me/app-passwords").await),
        json!({"at": first + 60, "protocol": "smtp", "ip": "198.51.100.4"})
    );
    app.wait_until_notices_sent().await;
    let mailed = notices_about(&sink, "An app password was used from a new address");
    assert_eq!(mailed.len(), 2, "{mailed:#?}");
    assert!(mailed[1].contains("198.51.100.4"));
    let events: i64 = app
        .sql_value("SELECT COUNT(*) AS v FROM security_events WHERE event = 'app_password_new_address'")
        .await;
    assert_eq!(events, 2);

    // Revoking is mailed too.
    let id = listed(&webmail, "/api/v1/me/app-passwords").await[0]["id"].clone();
    assert_status(
        webmail.delete(&format!("/api/v1/me/app-passwords/{id}")).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let revoked = sink
        .wait_for_where("owner@example.org", "the revocation notice", |m| {
            m.subject.starts_with("App password revoked")
        })
        .await;
    assert!(revoked.text.contains("\u{201c}iPhone Mail\u{201d}"), "{}", revoked.text);
    assert_eq!(
        app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, &password)).await.status,
        "Invalid login or password"
    );
}
