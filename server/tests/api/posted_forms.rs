//! The login forms as the browser posts them itself, before the WebAssembly
//! is live: the same steps as the JSON API, answered with a 303 on to the
//! next page or back to the login page with the state in its query.

use app::domain::AccountKind;
use reqwest::header::{LOCATION, ORIGIN};
use reqwest::{Method, Response, StatusCode};

use crate::helpers::{
    Browser, CUSTOMER, Db, MAILBOX, PASSWORD, TestApp, code_sent_to, on_both_databases, spawn_app, spawn_app_with_mail,
    wrong_code,
};

on_both_databases!(
    a_password_form_logs_in_and_goes_on_to_the_page_asked_for,
    a_refused_password_goes_back_with_the_reason_and_the_username,
    with_two_factor_the_code_form_comes_next_and_logs_in,
    a_login_by_e_mailed_code_gets_its_first_code_from_the_password_form,
    when_the_first_code_cannot_be_mailed_the_code_step_says_so,
    a_code_form_without_a_pending_login_starts_again_at_the_password,
    the_user_panel_form_takes_the_code_appended,
    a_form_posted_from_another_site_is_refused,
);

/// The customer's contact address, where e-mailed codes go.
const ADDRESS: &str = "carol@example.com";

/// Posts `fields` as a browser posts a form, and answers where it is sent.
async fn post_form(browser: &Browser, path: &str, fields: &[(&str, &str)]) -> String {
    let response = browser
        .request(Method::POST, path)
        .form(fields)
        .send()
        .await
        .expect("the form post is answered");
    location(response)
}

fn location(response: Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{:?}", response.headers());
    let to = response.headers().get(LOCATION).expect("a Location");
    to.to_str().expect("an ASCII Location").to_owned()
}

async fn logged_in(browser: &Browser) -> bool {
    browser.get("/api/v1/me").await.status() == StatusCode::OK
}

async fn a_password_form_logs_in_and_goes_on_to_the_page_asked_for(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;

    let browser = app.new_browser();
    let fields = [("username", CUSTOMER), ("password", PASSWORD)];
    assert_eq!(post_form(&browser, "/", &fields).await, "/account");
    assert!(logged_in(&browser).await);

    let browser = app.new_browser();
    assert_eq!(post_form(&browser, "/?next=%2Fpackages", &fields).await, "/packages");
    // Another site is no place to go on to (no open redirect).
    let browser = app.new_browser();
    assert_eq!(
        post_form(&browser, "/?next=%2F%2Fevil.example", &fields).await,
        "/account"
    );
}

async fn a_refused_password_goes_back_with_the_reason_and_the_username(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    let browser = app.new_browser();

    let wrong = [("username", CUSTOMER), ("password", "not the password")];
    assert_eq!(
        post_form(&browser, "/?next=%2Fpackages", &wrong).await,
        "/?error=invalid_credentials&username=c10001&next=%2Fpackages"
    );
    assert!(!logged_in(&browser).await);
    // Nothing filled in, and a body that is no form at all, alike.
    assert_eq!(post_form(&browser, "/", &[]).await, "/?error=invalid_input");
    let garbage = browser
        .post_raw("/", Some("application/json"), r#"{"username":"c10001"}"#)
        .await;
    assert_eq!(location(garbage), "/?error=invalid_input");
    let webmail = [("email", MAILBOX), ("password", "nope")];
    assert_eq!(
        post_form(&browser, "/webmail", &webmail).await,
        "/webmail?error=invalid_credentials&username=info%40example.com"
    );
}

/// A customer whose app is its second factor; answers its secret.
async fn customer_with_totp(app: &TestApp) -> String {
    app.user_with_totp(CUSTOMER).await.secret
}

async fn with_two_factor_the_code_form_comes_next_and_logs_in(db: Db) {
    let app = spawn_app(db).await;
    let secret = customer_with_totp(&app).await;
    let browser = app.new_browser();

    let fields = [("username", CUSTOMER), ("password", PASSWORD)];
    let code_step = post_form(&browser, "/?next=%2Fpackages", &fields).await;
    assert_eq!(code_step, "/?mfa=app&next=%2Fpackages");
    assert!(!logged_in(&browser).await, "a pending login is not logged in");

    let wrong = wrong_code(&secret, app.now());
    assert_eq!(
        post_form(&browser, &code_step, &[("code", &wrong)]).await,
        "/?mfa=app&error=invalid_code&next=%2Fpackages"
    );
    let right = app.code_now(&secret);
    assert_eq!(post_form(&browser, &code_step, &[("code", &right)]).await, "/packages");
    assert!(logged_in(&browser).await);
}

/// The page would ask for the first code only once live: for a form the
/// browser posted, the server sends it.
async fn a_login_by_e_mailed_code_gets_its_first_code_from_the_password_form(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, true)
        .await;
    let browser = app.new_browser();
    let fields = [("username", CUSTOMER), ("password", PASSWORD)];
    let code_step = post_form(&browser, "/", &fields).await;
    assert_eq!(code_step, "/?mfa=email");
    let code = code_sent_to(&sink, ADDRESS).await;

    // Another login within the minute gets no second mail, which would void
    // the first one's code: that code still works, and the page says so.
    let again = app.new_browser();
    assert_eq!(
        post_form(&again, "/", &fields).await,
        "/?mfa=email&error=resend_too_soon"
    );
    assert_eq!(sink.messages().len(), 1, "one code, sent once");
    assert_eq!(post_form(&again, &code_step, &[("code", &code)]).await, "/account");
    assert!(logged_in(&again).await);
}

async fn when_the_first_code_cannot_be_mailed_the_code_step_says_so(db: Db) {
    let (app, mut sink) = spawn_app_with_mail(db).await;
    app.create_login_with_email(AccountKind::Customer, CUSTOMER, None, ADDRESS, true)
        .await;
    sink.stop();
    let browser = app.new_browser();
    let fields = [("username", CUSTOMER), ("password", PASSWORD)];
    assert_eq!(
        post_form(&browser, "/", &fields).await,
        "/?mfa=email&error=mail_unavailable"
    );
    // The login is pending: the code step can ask for another code.
    sink.restart();
    let sent = browser.send_email_code().await;
    assert_eq!(sent.status(), StatusCode::OK);
    let code = code_sent_to(&sink, ADDRESS).await;
    assert_eq!(post_form(&browser, "/?mfa=email", &[("code", &code)]).await, "/account");
}

async fn a_code_form_without_a_pending_login_starts_again_at_the_password(db: Db) {
    let app = spawn_app(db).await;
    let secret = customer_with_totp(&app).await;
    let browser = app.new_browser();
    let code = app.code_now(&secret);
    assert_eq!(
        post_form(&browser, "/webmail?mfa=app", &[("wm-code", &code)]).await,
        "/webmail?error=no_pending_login"
    );
    assert!(!logged_in(&browser).await);
}

async fn the_user_panel_form_takes_the_code_appended(db: Db) {
    let app = spawn_app(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    app.create_login(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER)).await;
    let browser = app.new_browser();

    let wrong = [("email", MAILBOX), ("password", "nope")];
    assert_eq!(
        post_form(&browser, "/user-panel", &wrong).await,
        "/user-panel?error=invalid_credentials&username=info%40example.com"
    );
    let right = [("email", MAILBOX), ("password", PASSWORD)];
    assert_eq!(post_form(&browser, "/user-panel", &right).await, "/user-panel/home");
    assert!(logged_in(&browser).await);
}

async fn a_form_posted_from_another_site_is_refused(db: Db) {
    let app = spawn_app(db).await;
    app.create_account(CUSTOMER).await;
    let browser = app.new_browser();
    let response = browser
        .request(Method::POST, "/")
        .header(ORIGIN, "http://evil.example")
        .form(&[("username", CUSTOMER), ("password", PASSWORD)])
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!logged_in(&browser).await);

    // Under `Referrer-Policy: no-referrer` a browser's own form says
    // `Origin: null`; its Sec-Fetch-Site says whose form it was.
    let post = |site: Option<&'static str>| {
        let request = browser
            .request(Method::POST, "/")
            .header(ORIGIN, "null")
            .form(&[("username", CUSTOMER), ("password", PASSWORD)]);
        match site {
            Some(site) => request.header("sec-fetch-site", site),
            None => request,
        }
    };
    for refused in [None, Some("cross-site"), Some("same-site")] {
        let response = post(refused).send().await.expect("answered");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "Sec-Fetch-Site {refused:?}");
    }
    assert!(!logged_in(&browser).await);
    let ours = post(Some("same-origin")).send().await.expect("answered");
    assert_eq!(location(ours), "/account");
    assert!(logged_in(&browser).await);
}
