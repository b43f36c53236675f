//! Headers that keep browsers safe: no caching of API answers, no requests
//! from other sites, no CORS grants.

use reqwest::header::{CACHE_CONTROL, ORIGIN};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::helpers::{
    Browser, Db, PASSWORD, TestApp, assert_error, assert_status, expect_ok, header_of, on_both_databases,
    session_token_set_by, spawn_app, spawn_app_behind_https, wrong_code,
};

on_both_databases!(
    every_api_answer_forbids_caching,
    posts_from_another_origin_are_refused_on_every_endpoint,
    posts_from_the_same_origin_or_without_origin_are_allowed,
    a_refused_cross_origin_request_changes_nothing,
    no_other_origin_is_granted_cors_access,
    unknown_api_paths_are_json_404s_that_are_not_cached,
    a_database_error_while_reading_the_session_is_an_error_not_a_logout,
    no_answer_may_be_framed_sniffed_or_leak_a_referrer,
    behind_https_every_answer_asks_for_https_only,
);

/// Every POST endpoint, with a body it would accept.
/// Every state-changing route the OpenAPI document lists (method, path with
/// its parameters filled in): the cross-origin check must cover them all,
/// including any added later.
async fn state_changing_routes(app: &TestApp) -> Vec<(Method, String)> {
    let document = app.get_ok("/api/v1/openapi.json").await;
    let paths = document["paths"].as_object().expect("the document has paths");
    let mut routes = Vec::new();
    for (path, methods) in paths {
        let filled = path
            .replace("{id}", "1")
            .replace("{app_password_id}", "1")
            .replace("{session_id}", "00000000deadbeef");
        for method in methods.as_object().expect("a path has methods").keys() {
            let method: Method = method.to_ascii_uppercase().parse().expect("an HTTP method");
            if method != Method::GET {
                routes.push((method, filled.clone()));
            }
        }
    }
    routes
}

fn assert_no_store(what: &str, response: &Response) {
    let cache_control = response.headers().get(CACHE_CONTROL).and_then(|v| v.to_str().ok());
    assert_eq!(cache_control, Some("no-store"), "{what} ({})", response.status());
}

async fn every_api_answer_forbids_caching(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = app.new_browser();
    let evil = app.new_browser();
    let mut answers: Vec<(&str, Response)> = vec![
        ("me, logged out", browser.me().await),
        ("wrong password", browser.login("c12345", "not the password").await),
        ("login", browser.login("c12345", PASSWORD).await),
        ("me", browser.me().await),
        (
            "setup",
            browser
                .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
                .await,
        ),
        (
            "bad input",
            browser
                .post_json("/api/v1/me/mfa/totp/activate", json!({"code": "x"}))
                .await,
        ),
        (
            "unknown field",
            browser
                .post_json("/api/v1/me/mfa/totp/activate", json!({"c": "x"}))
                .await,
        ),
        (
            "not JSON",
            browser.post_raw("/api/v1/login", Some("text/plain"), "x").await,
        ),
        (
            "too large",
            browser
                .post_raw("/api/v1/login", Some("application/json"), "x".repeat(17_000))
                .await,
        ),
        (
            "malformed",
            browser.post_raw("/api/v1/login", Some("application/json"), "{").await,
        ),
        ("not found", browser.get("/api/v1/nothing").await),
        ("wrong method", browser.get("/api/v1/logout").await),
        ("openapi", browser.get("/api/v1/openapi.json").await),
        (
            "cross origin",
            evil.request(Method::POST, "/api/v1/logout")
                .header(ORIGIN, "http://evil.example")
                .send()
                .await
                .expect("answered"),
        ),
    ];
    // A throttled code step, and a logout.
    let user = app.user_with_totp("c67890").await;
    let pending = app.pending_login("c67890").await;
    for _ in 0..3 {
        assert_error(
            pending.login_mfa(&wrong_code(&user.secret, app.now())).await,
            StatusCode::UNAUTHORIZED,
            "invalid_code",
        )
        .await;
    }
    answers.push(("throttled", pending.login_mfa(&app.code_now(&user.secret)).await));
    answers.push(("logout", browser.logout().await));

    for (what, response) in &answers {
        assert_no_store(what, response);
    }
    let statuses: Vec<u16> = answers.iter().map(|(_, r)| r.status().as_u16()).collect();
    assert_eq!(
        statuses,
        [
            401, 401, 200, 200, 200, 422, 422, 415, 413, 400, 404, 405, 200, 403, 429, 204
        ]
    );
}

async fn cross_origin(browser: &Browser, path: &str, body: &serde_json::Value, origin: &str) -> Response {
    sent_from(browser, Method::POST, path, body, origin).await
}

async fn sent_from(browser: &Browser, method: Method, path: &str, body: &serde_json::Value, origin: &str) -> Response {
    browser
        .request(method, path)
        .header(ORIGIN, origin)
        .json(body)
        .send()
        .await
        .expect("answered")
}

async fn posts_from_another_origin_are_refused_on_every_endpoint(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;
    let pending = app.pending_login("c12345").await;
    let port = app.port;
    let foreign = [
        "http://evil.example".to_owned(),
        "https://evil.example".to_owned(),
        "null".to_owned(),
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}.evil.example"),
        format!("http://evil.example/http://127.0.0.1:{port}"),
        "".to_owned(),
    ];
    let routes = state_changing_routes(&app).await;
    assert!(routes.len() >= 30, "the document lists them all: {routes:?}");
    // (The body does not matter: the origin is checked before anything else.)
    let body = json!({"password": PASSWORD, "code": app.code_now(&user.secret)});
    for (method, path) in routes {
        let sender = if path == "/api/v1/login/mfa" {
            &pending
        } else {
            &browser
        };
        for origin in &foreign {
            let response = sent_from(sender, method.clone(), &path, &body, origin).await;
            let what = format!("{method} {path} from {origin:?}");
            let (status, answer) = crate::helpers::error_body(response).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {answer}");
            assert_eq!(answer["error"]["code"], "cross_origin_request", "{what}");
        }
        let fetch_metadata = sender
            .request(method.clone(), &path)
            .header("sec-fetch-site", "cross-site")
            .json(&body)
            .send()
            .await
            .expect("answered");
        assert_error(fetch_metadata, StatusCode::FORBIDDEN, "cross_origin_request").await;
    }
    // Nothing of it went through: still logged in, 2FA still on.
    assert_eq!(browser.me_ok().await["mfa"]["totp"]["enabled"], true);
}

async fn posts_from_the_same_origin_or_without_origin_are_allowed(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let same_origin = app.address.clone();

    let with_origin = cross_origin(
        &app,
        "/api/v1/login",
        &json!({"username": "c12345", "password": PASSWORD}),
        &same_origin,
    )
    .await;
    expect_ok(with_origin).await;
    let setup = app
        .request(Method::POST, "/api/v1/me/mfa/totp/setup")
        .header(ORIGIN, &same_origin)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect("answered");
    expect_ok(setup).await;
    // No Origin at all: not a browser on another site.
    let without_origin = app
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
        .await;
    expect_ok(without_origin).await;
    assert_status(app.logout().await, StatusCode::NO_CONTENT).await;
}

async fn a_refused_cross_origin_request_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;
    let evil = "http://evil.example";

    let logout = cross_origin(&browser, "/api/v1/logout", &json!({}), evil).await;
    assert!(
        session_token_set_by(&logout).is_none(),
        "a refused logout clears no cookie"
    );
    assert_error(logout, StatusCode::FORBIDDEN, "cross_origin_request").await;
    let login = cross_origin(
        &browser,
        "/api/v1/login",
        &json!({"username": "c12345", "password": PASSWORD}),
        evil,
    )
    .await;
    assert!(session_token_set_by(&login).is_none(), "a refused login sets no cookie");
    assert_error(login, StatusCode::FORBIDDEN, "cross_origin_request").await;
    let code = app.code_now(&user.secret);
    let disable = cross_origin(
        &browser,
        "/api/v1/me/mfa/totp/disable",
        &json!({"password": PASSWORD, "code": code}),
        evil,
    )
    .await;
    assert_error(disable, StatusCode::FORBIDDEN, "cross_origin_request").await;

    // Still logged in, 2FA still on, and the code not used up.
    assert_eq!(browser.me_ok().await["mfa"]["totp"]["enabled"], true);
    let pending = app.pending_login("c12345").await;
    expect_ok(pending.login_mfa(&code).await).await;
}

async fn no_other_origin_is_granted_cors_access(db: Db) {
    let app: TestApp = spawn_app(db).await;
    app.create_account("c12345").await;
    expect_ok(app.login("c12345", PASSWORD).await).await;

    let read = app
        .request(Method::GET, "/api/v1/me")
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .expect("answered");
    let preflight = app
        .request(Method::OPTIONS, "/api/v1/login")
        .header(ORIGIN, "http://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("answered");

    for response in [&read, &preflight] {
        let granted: Vec<_> = response
            .headers()
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-allow"))
            .collect();
        assert!(granted.is_empty(), "{} grants CORS: {granted:?}", response.url());
    }
    assert!(!preflight.status().is_success() || preflight.headers().get("access-control-allow-origin").is_none());
}

async fn unknown_api_paths_are_json_404s_that_are_not_cached(db: Db) {
    let app = spawn_app(db).await;
    let browser = app.new_browser();
    for path in ["/api/v1", "/api/v1/", "/api/v1/nope", "/api/v1/me/nope"] {
        let response = browser.get(path).await;
        assert_no_store(path, &response);
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}

/// An outage is not the end of a session: the browser must not be sent to
/// the login page, and the session works again once the database does.
async fn a_database_error_while_reading_the_session_is_an_error_not_a_logout(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = app.logged_in_as("c12345").await;
    for table in ["sessions", "accounts"] {
        app.sql_exec(&format!("ALTER TABLE {table} RENAME TO {table}_away"))
            .await;
        let during = browser.me().await;
        assert_no_store(table, &during);
        assert_error(during, StatusCode::INTERNAL_SERVER_ERROR, "internal_error").await;
        app.sql_exec(&format!("ALTER TABLE {table}_away RENAME TO {table}"))
            .await;
        assert_status(browser.me().await, StatusCode::OK).await;
    }
}

/// A page, a form post, an API answer, an error, the health check.
async fn answers_of_every_kind(browser: &Browser) -> Vec<(&'static str, Response)> {
    vec![
        ("the login page", browser.get("/").await),
        ("a page behind the login", browser.get("/account").await),
        ("a page that does not exist", browser.get("/nope").await),
        (
            "a posted login form",
            browser
                .request(Method::POST, "/")
                .form(&[("username", "c12345")])
                .send()
                .await
                .expect("answered"),
        ),
        ("an API answer", browser.me().await),
        ("an API 404", browser.get("/api/v1/nope").await),
        ("the health check", browser.get("/healthz").await),
    ]
}

async fn no_answer_may_be_framed_sniffed_or_leak_a_referrer(db: Db) {
    let app = spawn_app(db).await;
    for (what, response) in answers_of_every_kind(&app.new_browser()).await {
        let header = |name: &str| header_of(&response, name);
        let policy = header("content-security-policy").unwrap_or_default();
        assert!(policy.contains("frame-ancestors 'none'"), "{what}: CSP {policy:?}");
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{what}");
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{what}");
        assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"), "{what}");
        assert_eq!(
            header("strict-transport-security"),
            None,
            "{what}: HSTS over plain http"
        );
    }
}

async fn behind_https_every_answer_asks_for_https_only(db: Db) {
    let app = spawn_app_behind_https(db).await;
    for (what, response) in answers_of_every_kind(&app.new_browser()).await {
        let hsts = header_of(&response, "strict-transport-security");
        assert_eq!(hsts.as_deref(), Some("max-age=31536000"), "{what}");
    }
}
