//! Who may call what: every endpoint of `/api/v1` × every kind of caller, in
//! one table. The target of `/accounts/{id}` is a package login.
//!
//! Bodies are well-formed, so a status says how far the caller got: 401
//! (`not_logged_in`), 404 (not one of the caller's logins: exactly like a
//! login that does not exist), 403 (an administrator setting up someone
//! else's 2FA), or the business answer (200, 204, 409) of a caller let in.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, Browser, CUSTOMER, Db, MAILBOX, OTHER_CUSTOMER, PACKAGE, PASSWORD, TestApp, on_both_databases, spawn_app,
};

on_both_databases!(
    every_endpoint_answers_every_kind_of_caller_as_the_table_says,
    a_query_string_tells_a_caller_who_may_not_list_nothing_more,
);

/// The callers, in the order of [`Row::expected`].
const CALLERS: [Caller; 6] = [
    Caller::Anonymous,
    Caller::Named("the customer that owns the package", CUSTOMER),
    Caller::Named("another customer", OTHER_CUSTOMER),
    Caller::Named("the package itself", PACKAGE),
    Caller::Named("a mailbox of the same customer", MAILBOX),
    Caller::Named("an administrator", ADMIN),
];

#[derive(Debug, Clone, Copy)]
enum Caller {
    Anonymous,
    /// A description and the username it logs in as.
    Named(&'static str, &'static str),
}

impl Caller {
    fn describe(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Named(description, _) => description,
        }
    }

    /// A browser with a new session of this caller (none for anonymous):
    /// new for every request, as some requests end the session they come with.
    async fn browser(self, app: &TestApp) -> Browser {
        match self {
            Self::Anonymous => app.new_browser(),
            Self::Named(_, username) => app.logged_in_as(username).await,
        }
    }

    /// Whether the caller may see the package login.
    fn may_see_the_package(self) -> bool {
        matches!(self, Self::Named(_, CUSTOMER | ADMIN))
    }
}

/// One endpoint: `path` as the OpenAPI document writes it, a valid body
/// for POSTs, and the status each of [`CALLERS`] gets.
struct Row {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    expected: [u16; 6],
}

fn row(method: Method, path: &'static str, body: Option<Value>, expected: [u16; 6]) -> Row {
    Row {
        method,
        path,
        body,
        expected,
    }
}

/// The table. Rows run in this order, and some change state: activations
/// and switch-offs come before the set-ups, so they find nothing to act on
/// (409) whoever calls; the set-ups then leave a pending secret behind.
fn table() -> Vec<Row> {
    use Method as M;
    let password = || Some(json!({"password": PASSWORD}));
    let code = || Some(json!({"code": "123456"}));
    let password_and_code = || Some(json!({"password": PASSWORD, "code": "123456"}));
    //                       anonymous  owner  other  package  mailbox  admin
    vec![
        row(M::GET, "/api/v1/openapi.json", None, [200, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/v1/me", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/v1/me/events", None, [401, 200, 200, 200, 200, 200]),
        row(
            M::POST,
            "/api/v1/me/mfa/totp/activate",
            code(),
            [401, 409, 409, 409, 409, 409],
        ),
        row(
            M::POST,
            "/api/v1/me/mfa/totp/move",
            password_and_code(),
            [401, 409, 409, 409, 409, 409],
        ),
        row(
            M::POST,
            "/api/v1/me/mfa/totp/move/confirm",
            code(),
            [401, 409, 409, 409, 409, 409],
        ),
        row(
            M::POST,
            "/api/v1/me/mfa/totp/disable",
            password_and_code(),
            [401, 409, 409, 409, 409, 409],
        ),
        row(
            M::POST,
            "/api/v1/me/mfa/recovery-codes",
            password_and_code(),
            [401, 409, 409, 409, 409, 409],
        ),
        row(M::GET, "/api/v1/accounts", None, [401, 200, 200, 404, 404, 200]),
        row(M::GET, "/api/v1/accounts/{id}", None, [401, 200, 404, 404, 404, 200]),
        row(
            M::POST,
            "/api/v1/accounts/{id}/mfa/totp/activate",
            code(),
            [401, 409, 404, 404, 404, 403],
        ),
        row(
            M::POST,
            "/api/v1/accounts/{id}/mfa/disable",
            password(),
            [401, 409, 404, 404, 404, 409],
        ),
        row(
            M::POST,
            "/api/v1/accounts/{id}/mfa/totp/setup",
            password(),
            [401, 200, 404, 404, 404, 403],
        ),
        // The package has no contact address to send a link to.
        row(
            M::POST,
            "/api/v1/accounts/{id}/mfa/setup-link",
            None,
            [401, 409, 404, 404, 404, 403],
        ),
        // A set-up link's token is the proof, not the session.
        row(
            M::POST,
            "/api/v1/setup-link/start",
            Some(json!({"token": "0".repeat(64), "password": PASSWORD})),
            [404, 404, 404, 404, 404, 404],
        ),
        row(
            M::POST,
            "/api/v1/setup-link/activate",
            Some(json!({"token": "0".repeat(64), "code": "123456"})),
            [404, 404, 404, 404, 404, 404],
        ),
        row(
            M::POST,
            "/api/v1/me/mfa/totp/setup",
            password(),
            [401, 200, 200, 200, 200, 200],
        ),
        // Nobody reported the package: there is nothing to dismiss, for those let in.
        row(
            M::POST,
            "/api/v1/accounts/{id}/flag/dismiss",
            None,
            [401, 409, 404, 404, 404, 409],
        ),
        row(M::GET, "/api/v1/audit", None, [401, 404, 404, 404, 404, 200]),
        row(M::POST, "/api/v1/login/mfa", code(), [401, 401, 401, 401, 401, 401]),
        row(M::POST, "/api/v1/login/mfa/email", None, [401, 401, 401, 401, 401, 401]),
        // Only one's own events; an id of nobody's is 404 for every login.
        row(
            M::POST,
            "/api/v1/me/not-me",
            Some(json!({"event_id": 999_999})),
            [401, 404, 404, 404, 404, 404],
        ),
        // The token is the proof, not the session: an unknown one is 404 for everybody.
        row(
            M::POST,
            "/api/v1/not-me",
            Some(json!({"token": "0".repeat(64)})),
            [404, 404, 404, 404, 404, 404],
        ),
        row(
            M::POST,
            "/api/v1/login/combined",
            Some(json!({"username": OTHER_CUSTOMER, "password_and_code": PASSWORD})),
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            M::POST,
            "/api/v1/login",
            Some(json!({"username": OTHER_CUSTOMER, "password": PASSWORD})),
            [200, 200, 200, 200, 200, 200],
        ),
        // App passwords are a mailbox's; the target of /accounts/{id} is a package.
        row(M::GET, "/api/v1/me/app-passwords", None, [401, 409, 409, 409, 200, 409]),
        row(
            M::POST,
            "/api/v1/me/app-passwords",
            Some(json!({"name": "Phone", "protocols": ["imap"], "password": PASSWORD})),
            [401, 409, 409, 409, 201, 409],
        ),
        row(
            M::DELETE,
            "/api/v1/me/app-passwords/{app_password_id}",
            None,
            [401, 409, 409, 409, 404, 409],
        ),
        row(
            M::DELETE,
            "/api/v1/me/app-passwords",
            None,
            [401, 409, 409, 409, 204, 409],
        ),
        row(M::GET, "/api/v1/me/sessions", None, [401, 200, 200, 200, 200, 200]),
        // A wrong current password: nobody's password changes here.
        row(
            M::POST,
            "/api/v1/me/password",
            Some(json!({"current_password": "not the password", "new_password": "another password 1"})),
            [401, 401, 401, 401, 401, 401],
        ),
        row(
            M::DELETE,
            "/api/v1/me/sessions/others",
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        row(
            M::DELETE,
            "/api/v1/me/sessions/{session_id}",
            None,
            [401, 404, 404, 404, 404, 404],
        ),
        // Mail is off here: no login gets e-mailed codes.
        row(M::POST, "/api/v1/me/mfa/email", None, [401, 409, 409, 409, 409, 409]),
        row(
            M::GET,
            "/api/v1/accounts/{id}/app-passwords",
            None,
            [401, 409, 404, 404, 404, 409],
        ),
        row(
            M::POST,
            "/api/v1/accounts/{id}/app-passwords",
            Some(json!({"name": "Phone", "protocols": ["imap"], "password": PASSWORD})),
            [401, 409, 404, 404, 404, 409],
        ),
        row(
            M::DELETE,
            "/api/v1/accounts/{id}/app-passwords/{app_password_id}",
            None,
            [401, 409, 404, 404, 404, 409],
        ),
        row(
            M::DELETE,
            "/api/v1/accounts/{id}/app-passwords",
            None,
            [401, 409, 404, 404, 404, 409],
        ),
        // Only the mail proxy, with its secret: none of these callers.
        row(M::GET, "/api/v1/mail/auth", None, [403, 403, 403, 403, 403, 403]),
        row(
            M::POST,
            "/api/v1/mail/auth",
            Some(json!({"username": "info@example.com", "password": PASSWORD, "protocol": "imap"})),
            [403, 403, 403, 403, 403, 403],
        ),
        row(M::POST, "/api/v1/logout", None, [204, 204, 204, 204, 204, 204]),
    ]
}

/// An id no login has.
const NO_SUCH_ID: i32 = 99_999_999;

async fn send(browser: &Browser, method: &Method, path: &str, body: Option<&Value>) -> (StatusCode, String) {
    let mut request = browser.request(method.clone(), path);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("the request is answered");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn every_endpoint_answers_every_kind_of_caller_as_the_table_says(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let table = table();

    // The table covers every documented endpoint, and documents nothing more.
    let document = app.get_ok("/api/v1/openapi.json").await;
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("the document has paths")
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .as_object()
                .expect("a path has methods")
                .keys()
                .map(|method| (method.to_ascii_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = table
        .iter()
        .filter(|row| row.path != "/api/v1/openapi.json")
        .map(|row| (row.method.to_string(), row.path.to_owned()))
        .collect();
    assert_eq!(
        documented, tabled,
        "a documented endpoint has no row in the table, or a row no documented endpoint"
    );

    let mut failures = Vec::new();
    for row in &table {
        let path = row
            .path
            .replace("{id}", &logins.package.to_string())
            .replace("{app_password_id}", &NO_SUCH_ID.to_string())
            .replace("{session_id}", "00000000deadbeef");
        for (caller, expected) in CALLERS.into_iter().zip(row.expected) {
            let browser = caller.browser(&app).await;
            let (status, body) = send(&browser, &row.method, &path, row.body.as_ref()).await;
            let cell = format!("{} {path} as {}", row.method, caller.describe());
            if status.as_u16() != expected {
                failures.push(format!("{cell}: {status} (expected {expected}) {body}"));
                continue;
            }
            if status.is_client_error() && !is_api_error(&body) {
                failures.push(format!("{cell}: {status} without a JSON error: {body}"));
            }
            let about_others = path.starts_with("/api/v1/accounts") || path.starts_with("/api/v1/audit");
            if about_others && !caller.may_see_the_package() && body.contains(PACKAGE) {
                failures.push(format!("{cell}: the answer names the package: {body}"));
            }
            // A login the caller may not see answers exactly like no login at all.
            if status == StatusCode::NOT_FOUND && row.path.contains("{id}") {
                let missing = row
                    .path
                    .replace("{app_password_id}", &NO_SUCH_ID.to_string())
                    .replace("{id}", &NO_SUCH_ID.to_string());
                let answer = send(&browser, &row.method, &missing, row.body.as_ref()).await;
                if answer != (status, body.clone()) {
                    failures.push(format!(
                        "{cell}: {status} {body}, but for a login that does not exist: {} {}",
                        answer.0, answer.1
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn is_api_error(body: &str) -> bool {
    serde_json::from_str::<Value>(body).is_ok_and(|v| {
        v["error"]["code"].as_str().is_some_and(|c| !c.is_empty())
            && v["error"]["message"].as_str().is_some_and(|m| !m.is_empty())
    })
}

async fn a_query_string_tells_a_caller_who_may_not_list_nothing_more(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;

    for (username, path) in [
        (PACKAGE, "/api/v1/accounts"),
        (MAILBOX, "/api/v1/accounts"),
        (PACKAGE, "/api/v1/audit"),
        (CUSTOMER, "/api/v1/audit"),
    ] {
        let browser = app.logged_in_as(username).await;
        let plain = send(&browser, &Method::GET, path, None).await;
        assert_eq!(plain.0, StatusCode::NOT_FOUND, "{username} {path}: {}", plain.1);
        for query in ["?limit=abc", "?kind=root", "?page=2", "?q=%00"] {
            let odd = send(&browser, &Method::GET, &format!("{path}{query}"), None).await;
            assert_eq!(odd, plain, "{username} {path}{query}");
        }
    }
}
