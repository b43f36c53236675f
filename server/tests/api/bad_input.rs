//! Whatever a client sends, the answer is a 4xx with a JSON error, never a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{
    ADMIN, Browser, CUSTOMER, Db, PASSWORD, assert_error, assert_status, error_body, expect_ok, on_both_databases,
    spawn_app,
};

on_both_databases!(
    every_post_endpoint_answers_bad_input_with_a_json_client_error,
    bodies_that_are_not_json_are_unsupported_media_type,
    bodies_over_16_kib_are_too_large,
    malformed_json_is_a_bad_request,
    wrong_types_missing_fields_and_unknown_fields_are_unprocessable,
    codes_in_other_scripts_or_with_control_characters_are_invalid_input,
    unknown_paths_and_methods_get_json_errors,
    logout_ignores_whatever_body_it_gets,
    account_ids_that_are_not_ids_are_not_found,
    odd_query_strings_get_an_answer_never_a_server_error,
);

/// A POST endpoint and the string fields its body has.
struct Endpoint {
    path: String,
    fields: &'static [&'static str],
    browser: Browser,
}

impl Endpoint {
    /// A well-formed body that changes nothing: a wrong password, a code that
    /// is never looked at.
    fn harmless_body(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .map(|&field| {
                let value = match field {
                    "username" => "c12345",
                    "password" => "not the password",
                    _ => "k7m2-q9xp-4hf3-t8wa",
                };
                (field.to_owned(), Value::from(value))
            })
            .collect()
    }
}

/// Strings no field should take, and no field should choke on.
fn bad_strings() -> Vec<String> {
    [
        "",
        " ",
        "١٢٣٤٥٦",
        "１２３４５６",
        "123\u{0}456",
        "\u{0}",
        "12\t3456",
        "123456\n",
        "\u{202e}123456",
        "123456\u{200b}",
        "\u{feff}k7m2-q9xp-4hf3-t8wa",
        "\u{7}\u{1b}[2J",
        "💥💥💥💥💥💥",
        "k7m2-q9xp-4hf3-t8wa\u{0}",
        "k7m2-q9xp-4hf3-t8wä",
        "' OR '1'='1' --",
        "<script>alert(1)</script>",
        "%00%0d%0a",
        "\u{fffd}\u{d7ff}\u{10ffff}",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([
        "a".repeat(10_000),
        "1".repeat(10_000),
        "\u{0}".repeat(3_000),
        "١".repeat(3_000),
    ])
    .collect()
}

/// (label, content type, body) for requests that are wrong as a whole.
fn bad_bodies(endpoint: &Endpoint) -> Vec<(String, Option<&'static str>, Vec<u8>)> {
    let harmless = Value::Object(endpoint.harmless_body()).to_string();
    let json = Some("application/json");
    let mut with_unknown_field = endpoint.harmless_body();
    with_unknown_field.insert("is_admin".to_owned(), Value::Bool(true));
    let mut cases = vec![
        ("empty body".to_owned(), json, Vec::new()),
        ("truncated JSON".to_owned(), json, b"{\"".to_vec()),
        (
            "trailing garbage".to_owned(),
            json,
            format!("{harmless}}}").into_bytes(),
        ),
        ("null".to_owned(), json, b"null".to_vec()),
        ("an array".to_owned(), json, b"[]".to_vec()),
        ("a string".to_owned(), json, b"\"code\"".to_vec()),
        ("an empty object".to_owned(), json, b"{}".to_vec()),
        (
            "deep nesting".to_owned(),
            json,
            format!("{}{}", "[".repeat(8_000), "]".repeat(8_000)).into_bytes(),
        ),
        ("invalid UTF-8".to_owned(), json, b"{\"code\":\"\xff\xfe\"}".to_vec()),
        ("a NUL byte outside strings".to_owned(), json, b"{\0}".to_vec()),
        (
            "an unknown field".to_owned(),
            json,
            Value::Object(with_unknown_field).to_string().into_bytes(),
        ),
        (
            "a duplicate field".to_owned(),
            json,
            format!("{{{0}, {0}}}", &harmless[1..harmless.len() - 1]).into_bytes(),
        ),
        (
            "text/plain".to_owned(),
            Some("text/plain"),
            harmless.clone().into_bytes(),
        ),
        (
            "a form".to_owned(),
            Some("application/x-www-form-urlencoded"),
            b"code=123456".to_vec(),
        ),
        ("no content type".to_owned(), None, harmless.into_bytes()),
        (
            "17 KiB".to_owned(),
            json,
            format!("{{\"x\":\"{}\"}}", "a".repeat(17 * 1024)).into_bytes(),
        ),
    ];
    for field in endpoint.fields {
        for wrong in [
            json!(123_456),
            json!(null),
            json!(true),
            json!(["123456"]),
            json!({"code": "123456"}),
            json!(-1.5),
        ] {
            let mut body = endpoint.harmless_body();
            body.insert((*field).to_owned(), wrong.clone());
            cases.push((
                format!("{field} = {wrong}"),
                json,
                Value::Object(body).to_string().into_bytes(),
            ));
        }
        let mut missing = endpoint.harmless_body();
        missing.remove(*field);
        cases.push((
            format!("no {field}"),
            json,
            Value::Object(missing).to_string().into_bytes(),
        ));
        for bad in bad_strings() {
            let mut body = endpoint.harmless_body();
            body.insert((*field).to_owned(), Value::from(bad.clone()));
            let label: String = format!("{field} = {bad:?}").chars().take(60).collect();
            cases.push((label, json, Value::Object(body).to_string().into_bytes()));
        }
    }
    cases
}

async fn every_post_endpoint_answers_bad_input_with_a_json_client_error(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let anonymous = app.new_browser();
    let pending = app.pending_login("c12345").await;
    let logged_in = app.logged_in(&user).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let endpoint = |path: &str, fields: &'static [&'static str], browser: &Browser| Endpoint {
        path: path.to_owned(),
        fields,
        browser: browser.clone(),
    };
    let sub_login = |action: &str| format!("/api/v1/accounts/{}/mfa/{action}", logins.mailbox);
    let endpoints = [
        endpoint("/api/v1/login", &["username", "password"], &anonymous),
        endpoint("/api/v1/login/combined", &["username", "password_and_code"], &anonymous),
        endpoint("/api/v1/login/mfa", &["code"], &pending),
        endpoint("/api/v1/me/mfa/totp/setup", &["password"], &logged_in),
        endpoint("/api/v1/me/mfa/totp/activate", &["code"], &logged_in),
        endpoint("/api/v1/me/mfa/totp/move", &["password", "code"], &logged_in),
        endpoint("/api/v1/me/mfa/totp/move/confirm", &["code"], &logged_in),
        endpoint("/api/v1/me/mfa/totp/disable", &["password", "code"], &logged_in),
        endpoint("/api/v1/me/mfa/recovery-codes", &["password", "code"], &logged_in),
        endpoint(&sub_login("totp/setup"), &["password"], &customer),
        endpoint(&sub_login("totp/activate"), &["code"], &customer),
        endpoint(&sub_login("disable"), &["password"], &customer),
        endpoint("/api/v1/not-me", &["token"], &anonymous),
        endpoint("/api/v1/me/not-me", &["event_id"], &logged_in),
        endpoint("/api/v1/setup-link/start", &["token", "password"], &anonymous),
        endpoint("/api/v1/setup-link/activate", &["token", "code"], &anonymous),
    ];
    // A pending set-up for the mailbox, so its activation looks at the code.
    expect_ok(
        customer
            .post_json(&sub_login("totp/setup"), json!({"password": PASSWORD}))
            .await,
    )
    .await;

    let mut failures = Vec::new();
    let mut requests = 0;
    for endpoint in &endpoints {
        for (label, content_type, body) in bad_bodies(endpoint) {
            requests += 1;
            let response = endpoint.browser.post_raw(&endpoint.path, content_type, body).await;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let parsed: Option<Value> = serde_json::from_str(&text).ok();
            let shaped = parsed.as_ref().is_some_and(|v| {
                v["error"]["code"].as_str().is_some_and(|c| !c.is_empty())
                    && v["error"]["message"].as_str().is_some_and(|m| !m.is_empty())
            });
            if !status.is_client_error() || !shaped {
                let text: String = text.chars().take(200).collect();
                failures.push(format!("{} with {label}: {status} {text}", endpoint.path));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {requests} bad requests were not answered 4xx + JSON error:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // None of it did harm: the pending login still takes its code, the session still works.
    expect_ok(pending.login_mfa(&app.code_now(&user.secret)).await).await;
    let me = logged_in.me_ok().await;
    assert_eq!(
        me["mfa"],
        json!({
            "active": "app",
            "totp": {"enabled": true, "period": 30},
            "contact_email": null,
            "email_codes": false,
            "email_code_valid_for": 900,
            "recovery_codes_left": 10
        })
    );
    let mailbox = customer.get_ok(&format!("/api/v1/accounts/{}", logins.mailbox)).await;
    assert_eq!(mailbox["mfa"], "pending");
}

async fn bodies_that_are_not_json_are_unsupported_media_type(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let body = json!({"username": "c12345", "password": PASSWORD}).to_string();

    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data"),
    ] {
        let response = app.post_raw("/api/v1/login", content_type, body.clone()).await;
        assert_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    }
    // JSON with a charset is still JSON.
    let response = app
        .post_raw("/api/v1/login", Some("application/json; charset=utf-8"), body)
        .await;
    expect_ok(response).await;
}

async fn bodies_over_16_kib_are_too_large(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let body_of = |len: usize| {
        let frame = json!({"username": "c12345", "password": ""}).to_string().len();
        json!({"username": "c12345", "password": "p".repeat(len - frame)}).to_string()
    };

    let just_fits = app
        .post_raw("/api/v1/login", Some("application/json"), body_of(16 * 1024))
        .await;
    // Read, and refused for what it says: a password of 16 KiB is too long.
    assert_error(just_fits, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let too_large = app
        .post_raw("/api/v1/login", Some("application/json"), body_of(16 * 1024 + 1))
        .await;
    assert_error(too_large, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let huge = app
        .post_raw("/api/v1/login", Some("application/json"), body_of(1024 * 1024))
        .await;
    assert_error(huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

async fn malformed_json_is_a_bad_request(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    for body in [
        "",
        "{",
        "{\"username\": \"c12345\", \"password\": }",
        "{'username': 'c12345'}",
        "\u{feff}{}",
    ] {
        let response = app.post_raw("/api/v1/login", Some("application/json"), body).await;
        assert_error(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
}

async fn wrong_types_missing_fields_and_unknown_fields_are_unprocessable(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    for body in [
        json!({"username": 12345, "password": PASSWORD}),
        json!({"username": "c12345", "password": null}),
        json!({"username": ["c12345"], "password": PASSWORD}),
        json!({"username": "c12345"}),
        json!({"username": "c12345", "password": PASSWORD, "is_admin": true}),
        json!([]),
        json!("c12345"),
    ] {
        let response = app.post_json("/api/v1/login", body).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_json").await;
    }
    assert_error(app.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
}

async fn codes_in_other_scripts_or_with_control_characters_are_invalid_input(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let pending = app.pending_login("c12345").await;
    let code = app.code_now(&user.secret);

    let arabic_indic: String = code
        .chars()
        .map(|d| char::from_u32(0x0660 + d.to_digit(10).unwrap_or(0)).unwrap_or('?'))
        .collect();
    let fullwidth: String = code
        .chars()
        .map(|d| char::from_u32(0xff10 + d.to_digit(10).unwrap_or(0)).unwrap_or('?'))
        .collect();
    for typed in [
        arabic_indic,
        fullwidth,
        format!("{}\u{0}{}", &code[..3], &code[3..]),
        format!("{}\t{}", &code[..3], &code[3..]),
        format!("{code}\u{200b}"),
        format!("{}-{}", &code[..3], &code[3..]),
        format!("{code}0"),
        code[..5].to_owned(),
        "x".repeat(10_000),
    ] {
        let response = pending.login_mfa(&typed).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    // Refused as input, not counted as wrong codes: the real code still works.
    expect_ok(pending.login_mfa(&code).await).await;
}

async fn unknown_paths_and_methods_get_json_errors(db: Db) {
    let app = spawn_app(db).await;

    for (method, path, status, code) in [
        (Method::GET, "/api/v1/nothing-here", StatusCode::NOT_FOUND, "not_found"),
        (Method::POST, "/api/v1/me/mfa/totp", StatusCode::NOT_FOUND, "not_found"),
        (
            Method::GET,
            "/api/v1/login",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::POST,
            "/api/v1/me",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::DELETE,
            "/api/v1/logout",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ] {
        let response = app.request(method.clone(), path).send().await.expect("answered");
        let (actual, body) = error_body(response).await;
        assert_eq!(
            (actual, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {body}"
        );
    }
}

async fn logout_ignores_whatever_body_it_gets(db: Db) {
    let app = spawn_app(db).await;

    for (content_type, body) in [
        (Some("text/plain"), "x".repeat(100)),
        (Some("application/json"), "{".to_owned()),
        (None, String::new()),
    ] {
        assert_status(
            app.post_raw("/api/v1/logout", content_type, body).await,
            StatusCode::NO_CONTENT,
        )
        .await;
    }
}

async fn account_ids_that_are_not_ids_are_not_found(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    // An administrator sees every login, so a 404 here is about the id alone.
    let admin = app.logged_in_as(ADMIN).await;
    let missing = error_body(admin.get("/api/v1/accounts/99999999").await).await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);

    let mut failures = Vec::new();
    for id in [
        "abc",
        "99999999999",
        "-1",
        "0",
        "1.5",
        "1e3",
        "0x10",
        "%20",
        "%00",
        "1%00",
        "%F0%9F%92%A5",
        "2147483648",
        "-2147483649",
        &format!("{}abc", logins.admin),
        &"9".repeat(5_000),
    ] {
        for (method, suffix, body) in [
            (Method::GET, "", None),
            (Method::POST, "/mfa/totp/setup", Some(json!({"password": PASSWORD}))),
            (Method::POST, "/mfa/totp/activate", Some(json!({"code": "123456"}))),
            (Method::POST, "/mfa/disable", Some(json!({"password": PASSWORD}))),
        ] {
            let path = format!("/api/v1/accounts/{id}{suffix}");
            let mut request = admin.request(method.clone(), &path);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("answered");
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
            if (status, &parsed) != (StatusCode::NOT_FOUND, &missing.1) {
                let id: String = id.chars().take(20).collect();
                let text: String = text.chars().take(200).collect();
                failures.push(format!("{method} /accounts/{id}{suffix}: {status} {text}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "not answered like a missing login:\n{}",
        failures.join("\n")
    );
    // None of that touched the administrator's own login.
    assert_eq!(admin.me_ok().await["username"], ADMIN);
}

async fn odd_query_strings_get_an_answer_never_a_server_error(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;
    let admin = app.logged_in_as(ADMIN).await;
    let long = "a".repeat(4_000);

    let mut failures = Vec::new();
    for query in [
        "/api/v1/accounts?q=%00",
        "/api/v1/accounts?q=c1%00",
        "/api/v1/accounts?q=%25",
        "/api/v1/accounts?q=_",
        "/api/v1/accounts?q=%27%20OR%201%3D1%20--",
        "/api/v1/accounts?q=%FF%FE",
        "/api/v1/accounts?q=%F0%9F%92%A5",
        &format!("/api/v1/accounts?q={long}"),
        "/api/v1/accounts?q=a&q=b",
        "/api/v1/accounts?kind=customer&kind=admin",
        "/api/v1/audit?account=%00",
        "/api/v1/audit?account=%FF",
        "/api/v1/audit?account=%27%3B%20DROP%20TABLE%20accounts%3B%20--",
        &format!("/api/v1/audit?account={long}"),
        "/api/v1/audit?before=-1",
        "/api/v1/audit?before=0",
        "/api/v1/audit?before=2147483647",
        "/api/v1/audit?limit=",
        "/api/v1/audit?limit=1&limit=2",
    ] {
        let response = admin.get(query).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let json = serde_json::from_str::<Value>(&text).is_ok();
        if status.is_server_error() || !json {
            let query: String = query.chars().take(80).collect();
            let text: String = text.chars().take(200).collect();
            failures.push(format!("{query}: {status} {text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // PostgreSQL text cannot hold NUL, and no filter value needs one.
    for query in ["/api/v1/accounts?q=%00", "/api/v1/audit?account=c1%00"] {
        assert_error(admin.get(query).await, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}
