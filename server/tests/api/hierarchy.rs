//! Customers and their logins: a customer sees and manages exactly its own
//! package and mailbox logins, and sets their 2FA up with its own password;
//! each login's 2FA is its own.

use app::domain::AccountKind;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{
    ADMIN, Browser, CUSTOMER, Db, MAILBOX, OTHER_CUSTOMER, OTHER_MAILBOX, OTHER_PACKAGE, PACKAGE, PASSWORD, STEP,
    assert_error, assert_status, expect_ok, on_both_databases, recovery_codes_in, spawn_app, usernames_in, wrong_code,
};

on_both_databases!(
    a_customer_lists_exactly_its_own_package_and_mailbox_logins,
    the_list_filters_by_name_kind_and_two_factor_state,
    two_factor_for_a_customer_and_for_its_logins_are_independent,
    a_customer_enables_two_factor_for_its_mailbox_with_its_own_password,
    a_customer_switches_its_mailboxs_two_factor_off_with_its_own_password,
    an_administrator_may_not_set_up_two_factor_for_someone_elses_login,
    activation_attempts_on_a_sub_login_are_throttled_like_ones_own,
    underscores_and_percent_signs_in_the_search_are_not_wildcards,
    a_long_list_is_cut_at_two_hundred_and_says_so,
    a_login_whose_two_factor_is_on_cannot_be_set_up_again,
    starting_the_set_up_again_replaces_the_qr_code,
);

/// The password of the mailbox in the tests that must tell it from the customer's.
const MAILBOX_PASSWORD: &str = "the mailbox's own password";

/// The 2FA state (`off`, `pending`, `on`) the customer's list shows for `username`.
async fn listed_state(customer: &Browser, username: &str) -> String {
    let list = customer.get_ok("/api/v1/accounts").await;
    let entry = list["accounts"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|a| a["username"] == username)
        .unwrap_or_else(|| panic!("{username} is not listed: {list}"))
        .clone();
    entry["mfa"].as_str().expect("an mfa state").to_owned()
}

async fn a_customer_lists_exactly_its_own_package_and_mailbox_logins(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;

    let list = customer.get_ok("/api/v1/accounts").await;

    assert_eq!(
        list,
        json!({
            "accounts": [
                {
                    "id": logins.mailbox, "username": MAILBOX, "kind": "mailbox", "owner": CUSTOMER,
                    "mfa": "off", "contact_email": null, "app_passwords": 0, "flagged_at": null, "last_login_at": null,
                    "created_at": app.now(),
                },
                {
                    "id": logins.package, "username": PACKAGE, "kind": "package", "owner": CUSTOMER,
                    "mfa": "off", "contact_email": null, "app_passwords": 0, "flagged_at": null, "last_login_at": null,
                    "created_at": app.now(),
                },
            ],
            "truncated": false,
        })
    );
    let other = app.logged_in_as(OTHER_CUSTOMER).await;
    assert_eq!(
        usernames_in(&other.get_ok("/api/v1/accounts").await),
        [OTHER_MAILBOX, OTHER_PACKAGE]
    );
    let one = customer.get_ok(&format!("/api/v1/accounts/{}", logins.package)).await;
    assert_eq!(one, list["accounts"][1]);
}

async fn the_list_filters_by_name_kind_and_two_factor_state(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let sales = app
        .create_login(AccountKind::Mailbox, "sales@example.com", Some(CUSTOMER))
        .await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let admin = app.logged_in_as(ADMIN).await;
    app.enable_totp_for(&customer, logins.package).await;
    expect_ok(
        customer
            .post_json(
                &format!("/api/v1/accounts/{sales}/mfa/totp/setup"),
                json!({"password": PASSWORD}),
            )
            .await,
    )
    .await;

    let everyone = [
        ADMIN,
        CUSTOMER,
        OTHER_CUSTOMER,
        MAILBOX,
        OTHER_MAILBOX,
        "sales@example.com",
        PACKAGE,
        OTHER_PACKAGE,
    ];
    let cases: &[(&str, &str, &[&str])] = &[
        (CUSTOMER, "", &[MAILBOX, "sales@example.com", PACKAGE]),
        (CUSTOMER, "?q=WEB", &[PACKAGE]),
        (CUSTOMER, "?q=%20example%20", &[MAILBOX, "sales@example.com"]),
        (CUSTOMER, "?q=%20%20", &[MAILBOX, "sales@example.com", PACKAGE]),
        (CUSTOMER, "?kind=mailbox", &[MAILBOX, "sales@example.com"]),
        (CUSTOMER, "?kind=package", &[PACKAGE]),
        (CUSTOMER, "?kind=customer", &[]),
        (CUSTOMER, "?mfa=on", &[PACKAGE]),
        (CUSTOMER, "?mfa=pending", &["sales@example.com"]),
        (CUSTOMER, "?mfa=off", &[MAILBOX]),
        (CUSTOMER, "?q=web&mfa=off", &[]),
        (CUSTOMER, "?q=sales&kind=mailbox&mfa=pending", &["sales@example.com"]),
        (CUSTOMER, "?q=c20002", &[]),
        (CUSTOMER, "?q=other", &[]),
        (ADMIN, "", &everyone),
        (ADMIN, "?kind=customer", &[CUSTOMER, OTHER_CUSTOMER]),
        (ADMIN, "?kind=admin", &[ADMIN]),
        (ADMIN, "?kind=mailbox&q=other", &[OTHER_MAILBOX]),
        (ADMIN, "?q=C20002", &[OTHER_CUSTOMER, OTHER_PACKAGE]),
        (ADMIN, "?mfa=on", &[PACKAGE]),
        (ADMIN, "?mfa=pending", &["sales@example.com"]),
        (ADMIN, "?mfa=off&kind=package", &[OTHER_PACKAGE]),
        (ADMIN, "?q=nobody", &[]),
    ];
    let mut failures = Vec::new();
    for (caller, query, expected) in cases {
        let browser = if *caller == ADMIN { &admin } else { &customer };
        let mut expected: Vec<&str> = expected.to_vec();
        expected.sort_unstable();
        let listed = usernames_in(&browser.get_ok(&format!("/api/v1/accounts{query}")).await);
        if listed != expected {
            failures.push(format!("{caller} {query:?}: {listed:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    for query in ["?kind=root", "?mfa=maybe", "?page=2", "?kind="] {
        let response = customer.get(&format!("/api/v1/accounts{query}")).await;
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}

async fn two_factor_for_a_customer_and_for_its_logins_are_independent(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;

    // The package turns its own 2FA on: its customer's is still off.
    let package = app.logged_in_as(PACKAGE).await;
    app.enable_totp(&package).await;
    app.advance(STEP);
    let customer = app.logged_in_as(CUSTOMER).await;
    assert_eq!(customer.me_ok().await["mfa"]["totp"]["enabled"], false);
    assert_eq!(listed_state(&customer, PACKAGE).await, "on");
    assert_eq!(listed_state(&customer, MAILBOX).await, "off");

    // The customer turns its own on: the mailbox still logs in with its password alone.
    app.enable_totp(&customer).await;
    app.advance(STEP);
    app.logged_in_as(MAILBOX).await;
    assert_eq!(listed_state(&customer, MAILBOX).await, "off");
    assert_eq!(listed_state(&customer, PACKAGE).await, "on");
    let package_login = expect_ok(app.new_browser().login(PACKAGE, PASSWORD).await).await;
    assert_eq!(package_login["status"], "mfa_required");
}

async fn a_customer_enables_two_factor_for_its_mailbox_with_its_own_password(db: Db) {
    let app = spawn_app(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let mailbox = app
        .create_login_with_password(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), MAILBOX_PASSWORD)
        .await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let setup_path = format!("/api/v1/accounts/{mailbox}/mfa/totp/setup");
    let activate_path = format!("/api/v1/accounts/{mailbox}/mfa/totp/activate");

    // The mailbox's password is not the one asked for.
    let refused = customer
        .post_json(&setup_path, json!({"password": MAILBOX_PASSWORD}))
        .await;
    assert_error(refused, StatusCode::UNAUTHORIZED, "invalid_password").await;
    assert_eq!(listed_state(&customer, MAILBOX).await, "off");

    let setup = expect_ok(customer.post_json(&setup_path, json!({"password": PASSWORD})).await).await;
    let secret = setup["secret"].as_str().expect("a secret").to_owned();
    let uri = setup["otpauth_uri"].as_str().expect("an otpauth URI");
    assert!(
        uri.contains("info%40example.com") || uri.contains("info@example.com"),
        "{uri}"
    );
    assert!(setup["qr_svg"].as_str().is_some_and(|svg| svg.contains("<svg")));
    assert_eq!(listed_state(&customer, MAILBOX).await, "pending");
    // Pending is not on: the mailbox still logs in with its password alone.
    let plain = expect_ok(app.new_browser().login(MAILBOX, MAILBOX_PASSWORD).await).await;
    assert_eq!(plain["status"], "ok");

    let wrong = customer
        .post_json(&activate_path, json!({"code": wrong_code(&secret, app.now())}))
        .await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_code").await;
    assert_eq!(listed_state(&customer, MAILBOX).await, "pending");

    let activated = customer
        .post_json(&activate_path, json!({"code": app.code_now(&secret)}))
        .await;
    let recovery_codes = recovery_codes_in(&expect_ok(activated).await);
    assert_eq!(recovery_codes.len(), 10);
    assert_eq!(listed_state(&customer, MAILBOX).await, "on");
    // The customer's own 2FA is untouched.
    assert_eq!(customer.me_ok().await["mfa"]["totp"]["enabled"], false);

    // The mailbox now needs a code, and one of its recovery codes is one.
    let browser = app.new_browser();
    let first = expect_ok(browser.login(MAILBOX, MAILBOX_PASSWORD).await).await;
    assert_eq!(first["status"], "mfa_required");
    expect_ok(browser.login_mfa(&recovery_codes[3]).await).await;
    let me = browser.me_ok().await;
    assert_eq!(
        me["mfa"],
        json!({
            "active": "app",
            "totp": {"enabled": true, "period": 30},
            "contact_email": null,
            "email_codes": false,
            "email_code_valid_for": 900,
            "recovery_codes_left": 9
        })
    );
    // ...once.
    let again = app.new_browser();
    expect_ok(again.login(MAILBOX, MAILBOX_PASSWORD).await).await;
    assert_error(
        again.login_mfa(&recovery_codes[3]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    // And the app's codes work too.
    app.advance(STEP);
    expect_ok(again.login_mfa(&app.code_now(&secret)).await).await;
}

async fn a_customer_switches_its_mailboxs_two_factor_off_with_its_own_password(db: Db) {
    let app = spawn_app(db).await;
    app.create_login(AccountKind::Customer, CUSTOMER, None).await;
    let mailbox = app
        .create_login_with_password(AccountKind::Mailbox, MAILBOX, Some(CUSTOMER), MAILBOX_PASSWORD)
        .await;
    let customer = app.logged_in_as(CUSTOMER).await;
    app.enable_totp_for(&customer, mailbox).await;
    let disable_path = format!("/api/v1/accounts/{mailbox}/mfa/disable");

    for wrong in [MAILBOX_PASSWORD, "not the password"] {
        let refused = customer.post_json(&disable_path, json!({"password": wrong})).await;
        assert_error(refused, StatusCode::UNAUTHORIZED, "invalid_password").await;
    }
    assert_eq!(listed_state(&customer, MAILBOX).await, "on");
    let still = expect_ok(app.new_browser().login(MAILBOX, MAILBOX_PASSWORD).await).await;
    assert_eq!(still["status"], "mfa_required");

    assert_status(
        customer.post_json(&disable_path, json!({"password": PASSWORD})).await,
        StatusCode::NO_CONTENT,
    )
    .await;

    assert_eq!(listed_state(&customer, MAILBOX).await, "off");
    let plain = expect_ok(app.new_browser().login(MAILBOX, MAILBOX_PASSWORD).await).await;
    assert_eq!(plain["status"], "ok");
    let again = customer.post_json(&disable_path, json!({"password": PASSWORD})).await;
    assert_error(again, StatusCode::CONFLICT, "totp_not_enabled").await;
}

async fn an_administrator_may_not_set_up_two_factor_for_someone_elses_login(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let admin = app.logged_in_as(ADMIN).await;
    let customer = app.logged_in_as(CUSTOMER).await;

    for target in [logins.mailbox, logins.package, logins.customer] {
        let setup = admin
            .post_json(
                &format!("/api/v1/accounts/{target}/mfa/totp/setup"),
                json!({"password": PASSWORD}),
            )
            .await;
        assert_error(setup, StatusCode::FORBIDDEN, "forbidden").await;
    }
    assert_eq!(
        usernames_in(&admin.get_ok("/api/v1/accounts?mfa=pending").await),
        Vec::<String>::new()
    );

    // Not even finish a set-up the customer started.
    let setup = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/setup", logins.mailbox),
            json!({"password": PASSWORD}),
        )
        .await;
    let secret = expect_ok(setup).await["secret"].as_str().expect("a secret").to_owned();
    let activate = admin
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/activate", logins.mailbox),
            json!({"code": app.code_now(&secret)}),
        )
        .await;
    assert_error(activate, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(listed_state(&customer, MAILBOX).await, "pending");
    // The code the administrator sent was not used up: the customer's works.
    let activate = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/activate", logins.mailbox),
            json!({"code": app.code_now(&secret)}),
        )
        .await;
    expect_ok(activate).await;
}

async fn activation_attempts_on_a_sub_login_are_throttled_like_ones_own(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let setup = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/setup", logins.mailbox),
            json!({"password": PASSWORD}),
        )
        .await;
    let secret = expect_ok(setup).await["secret"].as_str().expect("a secret").to_owned();
    let activate_path = format!("/api/v1/accounts/{}/mfa/totp/activate", logins.mailbox);

    for _ in 0..3 {
        let wrong = customer
            .post_json(&activate_path, json!({"code": wrong_code(&secret, app.now())}))
            .await;
        assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_code").await;
    }
    // Even the right code waits now.
    let throttled = customer
        .post_json(&activate_path, json!({"code": app.code_now(&secret)}))
        .await;
    let headers = assert_error(throttled, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(crate::helpers::retry_after(&headers), Some(1));
    // The throttle is the mailbox's, not the customer's: the customer's own set-up is free.
    let own = customer
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
        .await;
    let own_secret = expect_ok(own).await["secret"].as_str().expect("a secret").to_owned();
    expect_ok(
        customer
            .post_json(
                "/api/v1/me/mfa/totp/activate",
                json!({"code": app.code_now(&own_secret)}),
            )
            .await,
    )
    .await;

    app.advance(1);
    let activated = customer
        .post_json(&activate_path, json!({"code": app.code_now(&secret)}))
        .await;
    assert_eq!(recovery_codes_in(&expect_ok(activated).await).len(), 10);
}

async fn underscores_and_percent_signs_in_the_search_are_not_wildcards(db: Db) {
    let app = spawn_app(db).await;
    app.two_customers().await;
    app.create_login(AccountKind::Package, "web_2.c10001", Some(CUSTOMER))
        .await;
    let admin = app.logged_in_as(ADMIN).await;

    for (query, expected) in [
        ("_", &["web_2.c10001"][..]),
        ("%5F", &["web_2.c10001"]),
        ("%25", &[]),
        ("web%25c10001", &[]),
        ("web_", &["web_2.c10001"]),
        ("web1_c10001", &[]),
        ("%5C", &[]),
        ("c1000_", &[]),
    ] {
        let listed = usernames_in(&admin.get_ok(&format!("/api/v1/accounts?q={query}")).await);
        assert_eq!(listed, expected, "q={query}");
    }
}

async fn a_long_list_is_cut_at_two_hundred_and_says_so(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    // 250 packages written straight into the table: hashing 250 passwords would be slow.
    let rows: Vec<String> = (0..250)
        .map(|i| {
            format!(
                "('package', 'web{i:03}.c10001', {}, 'not a hash', 0, {})",
                logins.customer,
                app.now()
            )
        })
        .collect();
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO accounts (kind, username, owner_id, password_hash, mfa_failures, created_at) VALUES {}",
            rows.join(", ")
        ))
        .await
        .expect("the packages are written");
    let customer = app.logged_in_as(CUSTOMER).await;

    let list = customer.get_ok("/api/v1/accounts").await;
    let names = usernames_in(&list);
    assert_eq!(names.len(), 200);
    assert_eq!(list["truncated"], true);
    assert_eq!(names.first().map(String::as_str), Some(MAILBOX), "by username");
    assert_eq!(
        names.last().map(String::as_str),
        Some("web197.c10001"),
        "the mailbox, web000–web099, web1, web100–web197"
    );

    let narrowed = customer.get_ok("/api/v1/accounts?q=web2").await;
    assert_eq!(usernames_in(&narrowed).len(), 50);
    assert_eq!(narrowed["truncated"], false);
}

async fn a_login_whose_two_factor_is_on_cannot_be_set_up_again(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let (secret, _) = app.enable_totp_for(&customer, logins.mailbox).await;

    let again = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/setup", logins.mailbox),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "totp_already_enabled").await;
    let activate = customer
        .post_json(
            &format!("/api/v1/accounts/{}/mfa/totp/activate", logins.mailbox),
            json!({"code": app.code_now(&secret)}),
        )
        .await;
    assert_error(activate, StatusCode::CONFLICT, "totp_already_enabled").await;
    // The secret in use is the one the mailbox's app has.
    let browser = app.new_browser();
    expect_ok(browser.login(MAILBOX, PASSWORD).await).await;
    expect_ok(browser.login_mfa(&app.code_now(&secret)).await).await;
}

async fn starting_the_set_up_again_replaces_the_qr_code(db: Db) {
    let app = spawn_app(db).await;
    let logins = app.two_customers().await;
    let customer = app.logged_in_as(CUSTOMER).await;
    let setup_path = format!("/api/v1/accounts/{}/mfa/totp/setup", logins.mailbox);
    let activate_path = format!("/api/v1/accounts/{}/mfa/totp/activate", logins.mailbox);
    let mut secrets = Vec::new();
    for _ in 0..2 {
        let setup = customer.post_json(&setup_path, json!({"password": PASSWORD})).await;
        secrets.push(expect_ok(setup).await["secret"].as_str().expect("a secret").to_owned());
    }
    assert_ne!(secrets[0], secrets[1]);

    let stale = customer
        .post_json(&activate_path, json!({"code": app.code_now(&secrets[0])}))
        .await;
    assert_error(stale, StatusCode::UNAUTHORIZED, "invalid_code").await;
    let fresh = customer
        .post_json(&activate_path, json!({"code": app.code_now(&secrets[1])}))
        .await;
    expect_ok(fresh).await;
}
