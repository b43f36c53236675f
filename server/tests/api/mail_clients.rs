//! Mail clients through a real nginx mail proxy and a real Dovecot, with
//! Python's imaplib, smtplib and poplib: once a mailbox has 2FA, its own
//! password opens nothing and app passwords open what they are for.

use app::domain::AccountKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, CUSTOMER, Db, MAILBOX, PASSWORD, STEP, TestApp, assert_status, on_both_databases,
    spawn_app_with_mail_stack, spawn_app_with_mail_stack_and_master_user,
};
use crate::mail_stack::{BACKEND_SECRET, assert_logged_in, assert_refused, imap, pop3, smtp};

on_both_databases!(
    an_app_password_reads_and_sends_mail_once_the_mailbox_password_no_longer_does,
    revoked_and_expired_app_passwords_are_refused_at_once,
    repeated_failures_are_slowed_down_and_the_refusal_reaches_smtp_clients,
    dovecot_may_trust_a_master_user_instead_of_a_static_passdb,
);

/// The mailbox of [`CUSTOMER`], logged in through webmail.
async fn mailbox(app: &TestApp) -> Browser {
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    app.create_login(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER)).await;
    app.logged_in_as(MAILBOX).await
}

/// The app passwords the mailbox lists.
async fn listed(browser: &Browser) -> Vec<Value> {
    browser.get_ok("/api/v1/me/app-passwords").await["app_passwords"]
        .as_array()
        .expect("a list")
        .clone()
}

async fn an_app_password_reads_and_sends_mail_once_the_mailbox_password_no_longer_does(db: Db) {
    let (app, sink, stack) = spawn_app_with_mail_stack(db).await;
    let webmail = mailbox(&app).await;

    // Without 2FA the mailbox's own password works everywhere.
    assert_logged_in(&imap(stack.imap, MAILBOX, PASSWORD).await);
    assert_logged_in(&pop3(stack.pop3, MAILBOX, PASSWORD).await);
    assert_logged_in(&smtp(stack.smtp, MAILBOX, PASSWORD, "friend@example.org").await);

    // 2FA on: the password is refused on every protocol, and says what to do.
    let (secret, _) = app.enable_totp(&webmail).await;
    app.advance(STEP);
    assert_refused(
        &imap(stack.imap, MAILBOX, PASSWORD).await,
        "log in with an app password",
    );
    assert_refused(
        &pop3(stack.pop3, MAILBOX, PASSWORD).await,
        "log in with an app password",
    );
    let refused = smtp(stack.smtp, MAILBOX, PASSWORD, "friend@example.org").await;
    assert_refused(&refused, "535 5.7.8 This mailbox has two-factor authentication");
    assert_refused(&refused, "My account, App passwords");

    // An app password for IMAP and SMTP, made with the password and a code.
    let password = webmail
        .new_app_password("iPhone Mail", &["imap", "smtp"], Some(&app.code_now(&secret)))
        .await;
    assert_eq!(password.len(), 24 + 5, "six groups of four: {password}");
    let read = imap(stack.imap, MAILBOX, &password).await;
    assert_logged_in(&read);
    assert_eq!(read["exists"], 0, "INBOX was selected");
    // Typed without its spaces, in capitals: the same password.
    let typed = password.replace(' ', "").to_uppercase();
    assert_logged_in(&imap(stack.imap, MAILBOX, &typed).await);
    assert_logged_in(&smtp(stack.smtp, MAILBOX, &password, "friend@example.org").await);
    let sent = sink
        .wait_for_where("friend@example.org", "the message sent over SMTP", |m| {
            m.subject == "Sent through nginx with an app password"
        })
        .await;
    assert_eq!(sent.from, MAILBOX);
    // Only for its protocols.
    assert_refused(&pop3(stack.pop3, MAILBOX, &password).await, "not for POP3");

    // Dovecot never sees it: sent there directly, it opens nothing; only the
    // backend secret nginx hands over does.
    assert_refused(
        &imap(stack.dovecot_imap, MAILBOX, &password).await,
        "Authentication failed",
    );
    assert_logged_in(&imap(stack.dovecot_imap, MAILBOX, BACKEND_SECRET).await);

    // The list shows its last use, from nginx's client.
    let [listed] = listed(&webmail).await.try_into().expect("one app password");
    assert_eq!(listed["name"], "iPhone Mail");
    assert_eq!(listed["protocols"], json!(["imap", "smtp"]));
    let used = &listed["last_used"];
    assert_eq!(used["ip"], "127.0.0.1", "{listed}");
    assert!(used["protocol"] == "imap" || used["protocol"] == "smtp", "{listed}");
    assert_eq!(used["at"], app.now());

    // 2FA off again: the mailbox's password works again.
    app.advance(STEP);
    let off = webmail
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": app.code_now(&secret)}),
        )
        .await;
    assert_status(off, StatusCode::NO_CONTENT).await;
    assert_logged_in(&imap(stack.imap, MAILBOX, PASSWORD).await);
}

async fn revoked_and_expired_app_passwords_are_refused_at_once(db: Db) {
    let (app, _sink, stack) = spawn_app_with_mail_stack(db).await;
    let webmail = mailbox(&app).await;
    let (secret, _) = app.enable_totp(&webmail).await;
    app.advance(STEP);
    let created = webmail
        .post_json(
            "/api/v1/me/app-passwords",
            json!({"name": "Thunderbird", "protocols": ["imap"], "expires_in_days": 1,
                   "password": PASSWORD, "code": app.code_now(&secret)}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = created.json::<Value>().await.expect("JSON");
    let short_lived = created["password"].as_str().expect("a password").to_owned();
    assert_eq!(created["app_password"]["expires_at"], app.now() + 86_400);
    app.advance(STEP);
    let revoked = webmail
        .new_app_password("Laptop", &["imap"], Some(&app.code_now(&secret)))
        .await;
    assert_logged_in(&imap(stack.imap, MAILBOX, &short_lived).await);
    assert_logged_in(&imap(stack.imap, MAILBOX, &revoked).await);
    // IMAP only: sending with it is refused.
    assert_refused(
        &smtp(stack.smtp, MAILBOX, &revoked, "friend@example.org").await,
        "535 5.7.8 This app password is not for SMTP",
    );
    let id = listed(&webmail)
        .await
        .iter()
        .find(|p| p["name"] == "Laptop")
        .map(|p| p["id"].clone())
        .expect("listed");
    assert_status(
        webmail.delete(&format!("/api/v1/me/app-passwords/{id}")).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_refused(&imap(stack.imap, MAILBOX, &revoked).await, "Invalid login or password");

    // A day later the other one has expired.
    assert_logged_in(&imap(stack.imap, MAILBOX, &short_lived).await);
    app.advance(86_400);
    assert_refused(
        &imap(stack.imap, MAILBOX, &short_lived).await,
        "This app password has expired",
    );
}

async fn repeated_failures_are_slowed_down_and_the_refusal_reaches_smtp_clients(db: Db) {
    let (app, _sink, stack) = spawn_app_with_mail_stack(db).await;
    mailbox(&app).await;
    let started = std::time::Instant::now();
    for _ in 0..2 {
        assert_refused(
            &smtp(stack.smtp, MAILBOX, "not the password", "friend@example.org").await,
            "535 5.7.8 Invalid login or password",
        );
    }
    // nginx held each refusal for Auth-Wait (1 s) before passing it on.
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The right password still works from the same address: two wrong ones
    // are not a block.
    assert_logged_in(&imap(stack.imap, MAILBOX, PASSWORD).await);
}

async fn dovecot_may_trust_a_master_user_instead_of_a_static_passdb(db: Db) {
    let (app, _sink, stack) = spawn_app_with_mail_stack_and_master_user(db, "tessera").await;
    let webmail = mailbox(&app).await;
    let (secret, _) = app.enable_totp(&webmail).await;
    app.advance(STEP);
    let password = webmail
        .new_app_password("Phone", &["imap", "pop3"], Some(&app.code_now(&secret)))
        .await;
    // nginx logs in to Dovecot as info@example.com*tessera with the master's password.
    assert_logged_in(&imap(stack.imap, MAILBOX, &password).await);
    assert_logged_in(&pop3(stack.pop3, MAILBOX, &password).await);
    assert_refused(
        &imap(stack.imap, MAILBOX, PASSWORD).await,
        "log in with an app password",
    );
    // Straight to Dovecot, neither the app password nor the master's password
    // without the master's name opens the mailbox.
    assert_refused(
        &imap(stack.dovecot_imap, MAILBOX, &password).await,
        "Authentication failed",
    );
    assert_refused(
        &imap(stack.dovecot_imap, MAILBOX, BACKEND_SECRET).await,
        "Authentication failed",
    );
}
