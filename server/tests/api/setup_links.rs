//! "E-mail a set-up link": a customer sends one of its logins a single-use
//! link (24 hours, to the login's contact address, through a real SMTP
//! server), and the login's user sets up the app from it, without a session,
//! with the login's own password.

use app::domain::AccountKind;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    ADMIN, Browser, Db, PASSWORD, TestApp, assert_error, code_at, expect_ok, on_both_databases, recovery_codes_in,
    spawn_app, spawn_app_with_mail,
};
use crate::mail_sink::{MailSink, link_in};

on_both_databases!(
    a_customer_e_mails_a_set_up_link_and_its_user_sets_up_the_app_with_the_logins_password,
    a_link_works_once_for_a_day_and_a_new_one_replaces_it,
    only_the_owning_customer_sends_a_link_to_a_login_with_a_contact_address_and_no_app,
);

const CUSTOMER: &str = "c10001";
const OTHER_CUSTOMER: &str = "c20002";
const MAILBOX: &str = "info@example.com";
/// The mailbox's contact address, where the link goes.
const CONTACT: &str = "owner@example.net";
const DAY: i64 = 24 * 60 * 60;

/// The customer, its mailbox with a contact address, and the customer logged in.
async fn customer_and_mailbox(app: &TestApp) -> (Browser, i32) {
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let mailbox = app
        .create_login_with_email(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), CONTACT, false)
        .await;
    (app.logged_in_as(CUSTOMER).await, mailbox)
}

/// Sends the link; answers its token, read from the mail.
async fn send_link(customer: &Browser, sink: &MailSink, mailbox: i32) -> String {
    let sent = expect_ok(
        customer
            .post_json(&format!("/api/v1/accounts/{mailbox}/mfa/setup-link"), json!(null))
            .await,
    )
    .await;
    assert_eq!(sent, json!({"sent_to": "o••••@example.net", "valid_for": DAY}));
    let mail = sink.wait_for(CONTACT).await;
    assert_eq!(mail.subject, format!("Set up two-factor authentication for {MAILBOX}"));
    assert!(mail.text.contains(&format!("{CUSTOMER} asks you")), "{}", mail.text);
    let link = link_in(&mail, "/setup#");
    link.split_once("/setup#")
        .map(|(_, token)| token.to_owned())
        .expect("a token")
}

async fn start(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.new_browser()
        .post_json(
            "/api/v1/setup-link/start",
            json!({"token": token, "password": password}),
        )
        .await
}

async fn activate(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.new_browser()
        .post_json("/api/v1/setup-link/activate", json!({"token": token, "code": code}))
        .await
}

async fn a_customer_e_mails_a_set_up_link_and_its_user_sets_up_the_app_with_the_logins_password(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let (customer, mailbox) = customer_and_mailbox(&app).await;
    let token = send_link(&customer, &sink, mailbox).await;

    // The link alone opens nothing: the customer's password is not the login's either.
    assert_error(
        start(&app, &token, "not the password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_password",
    )
    .await;
    let started = expect_ok(start(&app, &token, PASSWORD).await).await;
    assert_eq!(started["username"], MAILBOX);
    let secret = started["setup"]["secret"].as_str().expect("a secret").to_owned();
    assert!(
        started["setup"]["otpauth_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://totp/")),
        "{started}"
    );

    let activated = expect_ok(activate(&app, &token, &code_at(&secret, app.now())).await).await;
    assert_eq!(activated["username"], MAILBOX);
    assert_eq!(recovery_codes_in(&activated).len(), 10);

    // The mailbox now logs in with a code; the link is used up.
    let answer = expect_ok(app.new_browser().login(MAILBOX, PASSWORD).await).await;
    assert_eq!(answer["status"], "mfa_required");
    assert_error(
        start(&app, &token, PASSWORD).await,
        StatusCode::NOT_FOUND,
        "link_not_found",
    )
    .await;
    // The log says who sent it.
    let owner_view = customer.get_ok(&format!("/api/v1/accounts/{mailbox}")).await;
    assert_eq!(owner_view["mfa"], "on");
    let sent: i64 = app
        .sql_value(&format!(
            "SELECT COUNT(*) AS v FROM security_events WHERE event = 'setup_link_sent' \
             AND account_id = {mailbox} AND actor = '{CUSTOMER}'"
        ))
        .await;
    assert_eq!(sent, 1);
}

async fn a_link_works_once_for_a_day_and_a_new_one_replaces_it(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let (customer, mailbox) = customer_and_mailbox(&app).await;
    let first = send_link(&customer, &sink, mailbox).await;
    let second = send_link(&customer, &sink, mailbox).await;
    assert_ne!(first, second);
    assert_error(
        start(&app, &first, PASSWORD).await,
        StatusCode::NOT_FOUND,
        "link_not_found",
    )
    .await;

    app.advance(DAY - 1);
    expect_ok(start(&app, &second, PASSWORD).await).await;
    app.advance(1);
    assert_error(
        start(&app, &second, PASSWORD).await,
        StatusCode::NOT_FOUND,
        "link_not_found",
    )
    .await;
    // A token that is no token, and one cut short.
    for bad in ["x", &second[..63], ""] {
        assert_error(
            start(&app, bad, PASSWORD).await,
            StatusCode::NOT_FOUND,
            "link_not_found",
        )
        .await;
    }
}

async fn only_the_owning_customer_sends_a_link_to_a_login_with_a_contact_address_and_no_app(db: Db) {
    let app = spawn_app(db).await;
    let (customer, mailbox) = customer_and_mailbox(&app).await;
    let package = app.create_login(AccountKind::Package, "p1", Some(CUSTOMER)).await;
    app.create_login(AccountKind::Customer, OTHER_CUSTOMER, None).await;
    app.create_login(AccountKind::Admin, ADMIN, None).await;
    let path = |id: i32| format!("/api/v1/accounts/{id}/mfa/setup-link");

    let other = app.logged_in_as(OTHER_CUSTOMER).await;
    assert_error(
        other.post_json(&path(mailbox), json!(null)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let admin = app.logged_in_as(ADMIN).await;
    assert_error(
        admin.post_json(&path(mailbox), json!(null)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        customer.post_json(&path(package), json!(null)).await,
        StatusCode::CONFLICT,
        "no_contact_address",
    )
    .await;
    // This server has no mail: nothing to send with.
    assert_error(
        customer.post_json(&path(mailbox), json!(null)).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "mail_unavailable",
    )
    .await;
    app.enable_totp_for(&customer, mailbox).await;
    assert_error(
        customer.post_json(&path(mailbox), json!(null)).await,
        StatusCode::CONFLICT,
        "totp_already_enabled",
    )
    .await;
}
