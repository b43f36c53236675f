//! Turning TOTP on and off, and the recovery codes, through the whole cycle.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, Db, PASSWORD, STEP, TestApp, assert_error, assert_status, code_at, expect_ok, on_both_databases,
    spawn_app, wrong_code,
};

on_both_databases!(
    the_whole_two_factor_lifecycle_works,
    setting_up_changes_nothing_until_a_code_activates_it,
    setup_answers_the_secret_as_an_otpauth_uri_and_a_qr_code,
    setup_needs_the_password,
    activation_needs_a_pending_setup_and_a_right_code,
    only_the_newest_setup_can_be_activated,
    totp_cannot_be_set_up_twice,
    recovery_codes_are_ten_distinct_codes_in_four_groups_of_four,
    app_codes_may_be_typed_with_spaces_and_recovery_codes_in_any_case,
    regenerating_recovery_codes_voids_the_old_set,
    regenerating_recovery_codes_needs_the_password_and_a_valid_code,
    disabling_needs_the_password_and_a_valid_code,
    totp_can_be_enabled_again_after_disabling_with_a_new_secret,
);

async fn setup(browser: &Browser) -> Value {
    expect_ok(
        browser
            .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
            .await,
    )
    .await
}

async fn activate(browser: &Browser, code: &str) -> reqwest::Response {
    browser
        .post_json("/api/v1/me/mfa/totp/activate", json!({"code": code}))
        .await
}

async fn disable(browser: &Browser, password: &str, code: &str) -> reqwest::Response {
    browser
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": password, "code": code}),
        )
        .await
}

async fn regenerate(browser: &Browser, password: &str, code: &str) -> reqwest::Response {
    browser
        .post_json(
            "/api/v1/me/mfa/recovery-codes",
            json!({"password": password, "code": code}),
        )
        .await
}

fn codes_in(body: &Value) -> Vec<String> {
    body["recovery_codes"]
        .as_array()
        .expect("a list of recovery codes")
        .iter()
        .map(|c| c.as_str().expect("a recovery code is a string").to_owned())
        .collect()
}

async fn log_in_without_code(app: &TestApp, username: &str) -> Browser {
    let browser = app.new_browser();
    assert_eq!(
        expect_ok(browser.login(username, PASSWORD).await).await,
        json!({"status": "ok"})
    );
    browser
}

async fn the_whole_two_factor_lifecycle_works(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;

    // No 2FA yet: the password is enough.
    assert_eq!(
        expect_ok(app.login("c12345", PASSWORD).await).await,
        json!({"status": "ok"})
    );

    // Set up and activate.
    let secret = setup(&app).await["secret"].as_str().expect("a secret").to_owned();
    let activated = expect_ok(activate(&app, &app.code_now(&secret)).await).await;
    let recovery_codes = codes_in(&activated);
    assert_eq!(recovery_codes.len(), 10);
    assert_status(app.logout().await, StatusCode::NO_CONTENT).await;

    // Now the login needs a code; a wrong one is refused, the right one (a step later) accepted.
    let login = expect_ok(app.login("c12345", PASSWORD).await).await;
    assert_eq!(
        login,
        json!({"status": "mfa_required", "methods": ["totp", "recovery_code"]})
    );
    assert_error(app.me().await, StatusCode::UNAUTHORIZED, "not_logged_in").await;
    assert_error(
        app.login_mfa(&wrong_code(&secret, app.now())).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    app.advance(STEP);
    assert_eq!(
        expect_ok(app.login_mfa(&app.code_now(&secret)).await).await,
        json!({"status": "ok"})
    );
    let me = app.me_ok().await;
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
    assert_status(app.logout().await, StatusCode::NO_CONTENT).await;

    // A recovery code, upper case and without dashes, logs in once.
    let recovery_code = recovery_codes[0].to_uppercase().replace('-', "");
    expect_ok(app.login("c12345", PASSWORD).await).await;
    assert_eq!(
        expect_ok(app.login_mfa(&recovery_code).await).await,
        json!({"status": "ok"})
    );
    assert_eq!(app.me_ok().await["mfa"]["recovery_codes_left"], 9);
    assert_status(app.logout().await, StatusCode::NO_CONTENT).await;
    expect_ok(app.login("c12345", PASSWORD).await).await;
    assert_error(
        app.login_mfa(&recovery_code).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    assert_error(
        app.login_mfa(&recovery_codes[0]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    app.advance(STEP);
    expect_ok(app.login_mfa(&app.code_now(&secret)).await).await;

    // Disable with password and code: the password alone is enough again.
    app.advance(STEP);
    assert_status(
        disable(&app, PASSWORD, &app.code_now(&secret)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        app.me_ok().await["mfa"],
        json!({
            "active": "none",
            "totp": {"enabled": false, "period": 30},
            "contact_email": null,
            "email_codes": false,
            "email_code_valid_for": 900,
            "recovery_codes_left": 0
        })
    );
    assert_status(app.logout().await, StatusCode::NO_CONTENT).await;
    assert_eq!(
        expect_ok(app.login("c12345", PASSWORD).await).await,
        json!({"status": "ok"})
    );
}

async fn setting_up_changes_nothing_until_a_code_activates_it(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = log_in_without_code(&app, "c12345").await;

    let secret = setup(&browser).await["secret"].as_str().expect("a secret").to_owned();

    let me = browser.me_ok().await;
    assert_eq!(
        me["mfa"],
        json!({
            "active": "none",
            "totp": {"enabled": false, "period": 30},
            "contact_email": null,
            "email_codes": false,
            "email_code_valid_for": 900,
            "recovery_codes_left": 0
        })
    );
    log_in_without_code(&app, "c12345").await;
    // The pending secret survives other logins and is activated by its code.
    expect_ok(activate(&browser, &app.code_now(&secret)).await).await;
    assert_eq!(browser.me_ok().await["mfa"]["totp"]["enabled"], true);
    app.advance(STEP);
    app.pending_login("c12345").await;
}

async fn setup_answers_the_secret_as_an_otpauth_uri_and_a_qr_code(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = log_in_without_code(&app, "c12345").await;

    let answer = setup(&browser).await;

    let secret = answer["secret"].as_str().expect("a secret");
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{secret}"
    );
    let uri = answer["otpauth_uri"].as_str().expect("an otpauth URI");
    assert!(uri.starts_with("otpauth://totp/Tessera:c12345?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=Tessera"), "{uri}");
    let svg = answer["qr_svg"].as_str().expect("a QR code");
    assert!(
        svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
        "{}",
        &svg[..svg.len().min(100)]
    );
    // Every setup draws a new secret.
    let again = setup(&browser).await;
    assert_ne!(again["secret"].as_str(), Some(secret));
}

async fn setup_needs_the_password(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = log_in_without_code(&app, "c12345").await;

    let wrong = browser
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": "not the password"}))
        .await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_password").await;
    let empty = browser
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": ""}))
        .await;
    assert_error(empty, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;

    // Nothing is pending after a refused setup.
    assert_error(
        activate(&browser, "123456").await,
        StatusCode::CONFLICT,
        "no_pending_setup",
    )
    .await;
}

async fn activation_needs_a_pending_setup_and_a_right_code(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = log_in_without_code(&app, "c12345").await;

    assert_error(
        activate(&browser, "123456").await,
        StatusCode::CONFLICT,
        "no_pending_setup",
    )
    .await;
    let secret = setup(&browser).await["secret"].as_str().expect("a secret").to_owned();
    let wrong = activate(&browser, &wrong_code(&secret, app.now())).await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_code").await;
    let recovery_code_instead = activate(&browser, "k7m2-q9xp-4hf3-t8wa").await;
    assert_error(recovery_code_instead, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(browser.me_ok().await["mfa"]["totp"]["enabled"], false);

    let activated = expect_ok(activate(&browser, &app.code_now(&secret)).await).await;

    assert_eq!(codes_in(&activated).len(), 10);
    assert_eq!(browser.me_ok().await["mfa"]["recovery_codes_left"], 10);
}

async fn only_the_newest_setup_can_be_activated(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = log_in_without_code(&app, "c12345").await;
    let first = setup(&browser).await["secret"].as_str().expect("a secret").to_owned();
    let second = setup(&browser).await["secret"].as_str().expect("a secret").to_owned();

    let with_first = activate(&browser, &app.code_now(&first)).await;
    assert_error(with_first, StatusCode::UNAUTHORIZED, "invalid_code").await;
    expect_ok(activate(&browser, &app.code_now(&second)).await).await;

    app.advance(STEP);
    let pending = app.pending_login("c12345").await;
    assert_error(
        pending.login_mfa(&app.code_now(&first)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    expect_ok(pending.login_mfa(&app.code_now(&second)).await).await;
}

async fn totp_cannot_be_set_up_twice(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;

    let again = browser
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
        .await;
    assert_error(again, StatusCode::CONFLICT, "totp_already_enabled").await;
    let activate_again = activate(&browser, &app.code_now(&user.secret)).await;
    assert_error(activate_again, StatusCode::CONFLICT, "totp_already_enabled").await;

    // The secret in use is unchanged.
    app.advance(STEP);
    app.logged_in(&user).await;
}

async fn recovery_codes_are_ten_distinct_codes_in_four_groups_of_four(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;

    let distinct: HashSet<&String> = user.recovery_codes.iter().collect();
    assert_eq!(distinct.len(), 10, "{:?}", user.recovery_codes);
    for code in &user.recovery_codes {
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4, "{code}");
        for group in groups {
            assert_eq!(group.len(), 4, "{code}");
            assert!(
                group.bytes().all(|b| b"0123456789abcdefghjkmnpqrstvwxyz".contains(&b)),
                "{code}"
            );
        }
    }
}

async fn app_codes_may_be_typed_with_spaces_and_recovery_codes_in_any_case(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;

    let code = app.code_now(&user.secret);
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let pending = app.pending_login("c12345").await;
    expect_ok(pending.login_mfa(&spaced).await).await;

    for (i, typed) in [
        user.recovery_codes[0].to_uppercase(),
        user.recovery_codes[1].replace('-', " "),
        format!("  {}  ", user.recovery_codes[2].replace('-', "")),
    ]
    .iter()
    .enumerate()
    {
        let pending = app.pending_login("c12345").await;
        let response = pending.login_mfa(typed).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "recovery code {i} typed as {typed:?}"
        );
        assert_eq!(pending.me_ok().await["mfa"]["recovery_codes_left"], 9 - i);
    }

    // Look-alikes: "O" is read as 0, "I" and "l" as 1. (Of seven codes, some
    // has a 0 or a 1 but for a chance of about one in a thousand.)
    if let Some(code) = user.recovery_codes[3..].iter().find(|c| c.contains(['0', '1'])) {
        let typed = code.replace('0', "O").replacen('1', "I", 1).replace('1', "l");
        let pending = app.pending_login("c12345").await;
        let response = pending.login_mfa(&typed).await;
        assert_eq!(response.status(), StatusCode::OK, "{code} typed as {typed}");
    }
}

async fn regenerating_recovery_codes_voids_the_old_set(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;

    let fresh = codes_in(&expect_ok(regenerate(&browser, PASSWORD, &app.code_now(&user.secret)).await).await);

    assert_eq!(fresh.len(), 10);
    assert!(
        fresh.iter().all(|c| !user.recovery_codes.contains(c)),
        "new codes repeat old ones"
    );
    assert_eq!(browser.me_ok().await["mfa"]["recovery_codes_left"], 10);
    let pending = app.pending_login("c12345").await;
    for old in &user.recovery_codes[..2] {
        assert_error(pending.login_mfa(old).await, StatusCode::UNAUTHORIZED, "invalid_code").await;
    }
    expect_ok(pending.login_mfa(&fresh[0]).await).await;
    assert_eq!(pending.me_ok().await["mfa"]["recovery_codes_left"], 9);

    // A recovery code may confirm the next regeneration, which voids it with the rest.
    let newer = codes_in(&expect_ok(regenerate(&browser, PASSWORD, &fresh[1]).await).await);
    assert_eq!(browser.me_ok().await["mfa"]["recovery_codes_left"], 10);
    let pending = app.pending_login("c12345").await;
    assert_error(
        pending.login_mfa(&fresh[2]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    expect_ok(pending.login_mfa(&newer[0]).await).await;
}

async fn regenerating_recovery_codes_needs_the_password_and_a_valid_code(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;

    let code = app.code_now(&user.secret);
    assert_error(
        regenerate(&browser, "not the password", &code).await,
        StatusCode::UNAUTHORIZED,
        "invalid_password",
    )
    .await;
    let wrong = wrong_code(&user.secret, app.now());
    assert_error(
        regenerate(&browser, PASSWORD, &wrong).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    assert_error(
        regenerate(&browser, PASSWORD, "k7m2-q9xp-4hf3-t8wa").await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;

    // The old codes still work: nothing was regenerated.
    let pending = app.pending_login("c12345").await;
    expect_ok(pending.login_mfa(&user.recovery_codes[0]).await).await;

    // Without TOTP there is nothing to regenerate.
    app.create_account("c67890").await;
    let plain = log_in_without_code(&app, "c67890").await;
    assert_error(
        regenerate(&plain, PASSWORD, "123456").await,
        StatusCode::CONFLICT,
        "totp_not_enabled",
    )
    .await;
}

async fn disabling_needs_the_password_and_a_valid_code(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;

    let code = app.code_now(&user.secret);
    assert_error(
        disable(&browser, "not the password", &code).await,
        StatusCode::UNAUTHORIZED,
        "invalid_password",
    )
    .await;
    let wrong = wrong_code(&user.secret, app.now());
    assert_error(
        disable(&browser, PASSWORD, &wrong).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    assert_eq!(browser.me_ok().await["mfa"]["totp"]["enabled"], true);

    // A recovery code will do instead of an app code.
    assert_status(
        disable(&browser, PASSWORD, &user.recovery_codes[0]).await,
        StatusCode::NO_CONTENT,
    )
    .await;

    assert_eq!(
        browser.me_ok().await["mfa"],
        json!({
            "active": "none",
            "totp": {"enabled": false, "period": 30},
            "contact_email": null,
            "email_codes": false,
            "email_code_valid_for": 900,
            "recovery_codes_left": 0
        })
    );
    assert_error(
        disable(&browser, PASSWORD, &code).await,
        StatusCode::CONFLICT,
        "totp_not_enabled",
    )
    .await;
    log_in_without_code(&app, "c12345").await;
}

async fn totp_can_be_enabled_again_after_disabling_with_a_new_secret(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;
    assert_status(
        disable(&browser, PASSWORD, &app.code_now(&user.secret)).await,
        StatusCode::NO_CONTENT,
    )
    .await;

    app.advance(STEP);
    let (secret, codes) = app.enable_totp(&browser).await;

    assert_ne!(secret, user.secret);
    assert!(codes.iter().all(|c| !user.recovery_codes.contains(c)));
    app.advance(STEP);
    let pending = app.pending_login("c12345").await;
    let now = app.now();
    assert_error(
        pending.login_mfa(&code_at(&user.secret, now)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    assert_error(
        pending.login_mfa(&user.recovery_codes[1]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    expect_ok(pending.login_mfa(&code_at(&secret, now)).await).await;
}
