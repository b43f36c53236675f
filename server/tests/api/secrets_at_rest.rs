//! Secrets at rest: what a copy of the database holds (a real dump:
//! `pg_dump`, or SQLite's files on disk), the key file the server refuses to
//! start without, `tessera keys rotate` beside a running server, and the
//! plain secrets of an older version sealed at start.

use app::domain::RecoveryCode;
use reqwest::StatusCode;
use serde_json::json;
use tessera_server::service::keys::Keys;

use crate::helpers::{
    Db, MailLogin, PASSWORD, STEP, TestApp, TotpUser, assert_error, expect_ok, mail_auth_settings, on_both_databases,
    recovery_codes_in, spawn_app, spawn_app_with_mail_auth,
};

on_both_databases!(
    a_dump_holds_no_usable_secret,
    a_sealed_secret_moved_to_another_login_does_not_open,
    the_server_refuses_to_start_without_the_right_key_file,
    a_rotation_beside_a_running_server_keeps_every_login_working,
    an_interrupted_rotation_is_finished_by_running_it_again,
    the_plain_secrets_of_an_older_version_are_sealed_at_start,
);

const MAILBOX: &str = "info@example.com";

/// The key id every TOTP secret is sealed under, read from the database.
async fn key_ids_of_totp_secrets(app: &TestApp) -> Vec<String> {
    let ids: String = app
        .sql_value(
            "SELECT COALESCE(MIN(substr(totp_secret, 4, 8)) || ',' || MAX(substr(totp_secret, 4, 8)), '') AS v \
             FROM accounts WHERE totp_secret IS NOT NULL",
        )
        .await;
    let mut ids: Vec<String> = ids.split(',').map(str::to_owned).collect();
    ids.dedup();
    ids
}

fn current_key_of(app: &TestApp) -> String {
    let keys = Keys::load(&app.key_file).expect("the key file reads");
    keys.current().current_id().to_string()
}

/// Logs `user` in with the app's current code, then steps the clock on.
async fn logs_in_with_the_app(app: &TestApp, user: &TotpUser) {
    let browser = app.pending_login(&user.username).await;
    expect_ok(browser.login_mfa(&app.code_now(&user.secret)).await).await;
    app.advance(STEP);
}

async fn logs_in_with_a_recovery_code(app: &TestApp, user: &TotpUser, code: &str) {
    let browser = app.pending_login(&user.username).await;
    let answer = expect_ok(browser.login_mfa(code).await).await;
    assert_eq!(answer["status"], "ok", "{answer}");
}

/// A mailbox (no 2FA) with one app password for IMAP; answers the password.
async fn mailbox_with_app_password(app: &TestApp) -> String {
    app.create_mailbox(MAILBOX).await;
    let webmail = app.logged_in_as(MAILBOX).await;
    webmail.new_app_password("Thunderbird", &["imap"], None).await
}

async fn imap_login_works(app: &TestApp, password: &str) -> bool {
    app.ask_as_mail_proxy(MailLogin::imap(MAILBOX, password)).await.is_ok()
}

async fn a_dump_holds_no_usable_secret(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    let user = app.user_with_totp("c10001").await;
    let app_password = mailbox_with_app_password(&app).await;
    // A second enrolment left pending: its secret is sealed too.
    let browser = app.logged_in(&user).await;
    let moving = browser
        .post_json(
            "/api/v1/me/mfa/totp/move",
            json!({"password": PASSWORD, "code": app.code_now(&user.secret)}),
        )
        .await;
    let pending = expect_ok(moving).await["secret"]
        .as_str()
        .expect("a new secret")
        .to_owned();
    app.advance(STEP);

    let dump = app.dump().await;
    assert!(dump.contains("c10001"), "the dump is of this database");
    for secret in [&user.secret, &pending] {
        assert!(
            !dump.contains(secret.as_str()),
            "a TOTP secret in base32 is in the dump"
        );
        assert!(!dump.contains(&secret.to_lowercase()));
    }
    for code in &user.recovery_codes {
        let canonical = RecoveryCode::parse(code)
            .expect("a recovery code")
            .canonical()
            .to_owned();
        assert!(!dump.contains(&canonical) && !dump.contains(code.as_str()));
    }
    assert!(!dump.contains(&app_password.replace(' ', "")));
    let sealed: String = app
        .sql_value("SELECT totp_secret || ' ' || totp_pending_secret AS v FROM accounts WHERE username = 'c10001'")
        .await;
    let key = current_key_of(&app);
    for value in sealed.split(' ') {
        assert!(value.starts_with(&format!("v1:{key}:")), "{value}");
    }
    let hashes: String = app
        .sql_value("SELECT MIN(code_hash) || ' ' || MAX(code_hash) AS v FROM recovery_codes")
        .await;
    assert!(
        hashes.split(' ').all(|h| h.starts_with(&format!("v1:{key}:"))),
        "{hashes}"
    );

    // Sealed, it all still works.
    logs_in_with_the_app(&app, &user).await;
    logs_in_with_a_recovery_code(&app, &user, &user.recovery_codes[0]).await;
    assert!(imap_login_works(&app, &app_password).await);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&app.key_file)
            .expect("the key file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner may read the key file");
    }
}

async fn a_sealed_secret_moved_to_another_login_does_not_open(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user_with_totp("c10001").await;
    let bob = app.user_with_totp("c10002").await;
    // Whoever can write to the database copies Alice's secret onto Bob's row,
    // to log in as Bob with Alice's app.
    app.sql_exec(
        "UPDATE accounts SET totp_secret = (SELECT totp_secret FROM accounts WHERE username = 'c10001') \
         WHERE username = 'c10002'",
    )
    .await;
    let browser = app.pending_login(&bob.username).await;
    assert_error(
        browser.login_mfa(&app.code_now(&alice.secret)).await,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
    )
    .await;
    // Alice's own row is untouched.
    logs_in_with_the_app(&app, &alice).await;
}

async fn the_server_refuses_to_start_without_the_right_key_file(db: Db) {
    let mut app = spawn_app(db).await;
    let user = app.user_with_totp("c10001").await;
    let key = current_key_of(&app);
    app.stop().await;
    let right = std::fs::read(&app.key_file).expect("the key file reads");

    // Another key: the server names the key the database needs.
    std::fs::write(
        &app.key_file,
        "# not this database's\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    )
    .expect("the key file is written");
    let refused = app
        .try_another_instance()
        .await
        .err()
        .expect("the wrong key is refused");
    let refused = format!("{refused:#}");
    assert!(
        refused.contains("is not this database's") && refused.contains(&key),
        "{refused}"
    );
    assert!(
        refused.contains("1 TOTP secret") && refused.contains("10 recovery codes"),
        "{refused}"
    );

    // No key file: the server does not make a new key that opens nothing.
    std::fs::remove_file(&app.key_file).expect("the key file is removed");
    let refused = app
        .try_another_instance()
        .await
        .err()
        .expect("a missing key is refused");
    let refused = format!("{refused:#}");
    assert!(
        refused.contains("does not exist") && refused.contains(&key),
        "{refused}"
    );
    assert!(!app.key_file.exists(), "no new key was made");

    // The right one back: everyone logs in as before.
    std::fs::write(&app.key_file, right).expect("the key file is written");
    let restarted = app.another_instance().await;
    logs_in_with_the_app(&restarted, &user).await;
}

async fn a_rotation_beside_a_running_server_keeps_every_login_working(db: Db) {
    let app = spawn_app_with_mail_auth(db, mail_auth_settings()).await;
    let alice = app.user_with_totp("c10001").await;
    let bob = app.user_with_totp("c10002").await;
    let app_password = mailbox_with_app_password(&app).await;
    let old = current_key_of(&app);

    let (status, stdout, stderr) = app.tessera(&["keys", "rotate"]).await;
    assert!(status.success(), "{stdout}{stderr}");
    let new = current_key_of(&app);
    assert_ne!(new, old);
    assert!(stdout.contains(&format!("new current key {new}")), "{stdout}");
    assert!(stdout.contains("re-sealed 2 TOTP secrets"), "{stdout}");
    // Recovery codes and app passwords cannot be hashed again without
    // themselves: their key stays.
    assert!(
        stdout.contains(&format!("kept key {old} for 20 recovery codes, 1 app password")),
        "{stdout}"
    );
    assert_eq!(key_ids_of_totp_secrets(&app).await, [new.as_str()]);

    // The running server reads the new key and logs everyone in.
    logs_in_with_the_app(&app, &alice).await;
    logs_in_with_a_recovery_code(&app, &bob, &bob.recovery_codes[0]).await;
    assert!(imap_login_works(&app, &app_password).await);
    let moved: String = app.sql_value("SELECT secret_hash AS v FROM app_passwords").await;
    assert!(
        moved.starts_with(&format!("v1:{new}:")),
        "used, the app password moved to the new key"
    );
    // So does a restarted one.
    let restarted = app.another_instance().await;
    logs_in_with_the_app(&restarted, &bob).await;
    assert!(imap_login_works(&restarted, &app_password).await);

    // New recovery codes for both: nothing needs the old key, and the next
    // rotation removes it from the file.
    let mut renewed = Vec::new();
    for user in [&alice, &bob] {
        let browser = restarted.logged_in(user).await;
        let answer = browser
            .post_json(
                "/api/v1/me/mfa/recovery-codes",
                json!({"password": PASSWORD, "code": restarted.code_now(&user.secret)}),
            )
            .await;
        renewed.push(recovery_codes_in(&expect_ok(answer).await));
        restarted.advance(STEP);
    }
    let (status, stdout, stderr) = app.tessera(&["keys", "rotate"]).await;
    assert!(status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("removed key {old} from the file")), "{stdout}");
    let (_, report, _) = app.tessera(&["keys", "status"]).await;
    assert!(!report.contains(&old), "{report}");
    assert!(
        report.contains(&format!("key {new} (older): 20 recovery codes, 1 app password")),
        "{report}"
    );
    logs_in_with_the_app(&restarted, &alice).await;
    logs_in_with_a_recovery_code(&restarted, &alice, &renewed[0][0]).await;
    assert!(imap_login_works(&restarted, &app_password).await);
}

async fn an_interrupted_rotation_is_finished_by_running_it_again(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c10001").await;
    let old = current_key_of(&app);
    // A rotation that stopped right after writing the new key: the file has
    // it in front, the database nothing under it yet.
    let ring = Keys::load(&app.key_file).expect("the key file reads").current();
    let rotated = ring.with_new_key().expect("a new key");
    rotated.write(&app.key_file).expect("the key file is written");
    let new = rotated.current_id().to_string();
    assert_eq!(key_ids_of_totp_secrets(&app).await, [old.as_str()]);

    let (status, stdout, stderr) = app.tessera(&["keys", "rotate"]).await;
    assert!(status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("finished the rotation to key {new} that had stopped half way")),
        "{stdout}"
    );
    assert_eq!(current_key_of(&app), new, "no third key");
    assert_eq!(key_ids_of_totp_secrets(&app).await, [new]);
    logs_in_with_the_app(&app, &user).await;
}

async fn the_plain_secrets_of_an_older_version_are_sealed_at_start(db: Db) {
    use sha2::Digest as _;
    let mut app = spawn_app(db).await;
    let user = app.user_with_totp("c10001").await;
    app.stop().await;
    // What a version before keys stored: the secret in base32, the recovery
    // codes as a plain SHA-256 of the code salted with the account id.
    let account: i32 = app
        .sql_value("SELECT id AS v FROM accounts WHERE username = 'c10001'")
        .await;
    app.sql_exec(&format!(
        "UPDATE accounts SET totp_secret = '{}' WHERE id = {account}",
        user.secret
    ))
    .await;
    app.sql_exec("DELETE FROM recovery_codes").await;
    let code = RecoveryCode::parse(&user.recovery_codes[0]).expect("a recovery code");
    let digest = hex::encode(sha2::Sha256::digest(
        format!("tessera-recovery-code:{account}:{}", code.canonical()).as_bytes(),
    ));
    app.sql_exec(&format!(
        "INSERT INTO recovery_codes (account_id, code_hash) VALUES ({account}, '{digest}')"
    ))
    .await;

    let started = app.another_instance().await;
    let key = current_key_of(&started);
    let sealed: String = started
        .sql_value(&format!("SELECT totp_secret AS v FROM accounts WHERE id = {account}"))
        .await;
    assert!(
        sealed.starts_with(&format!("v1:{key}:")) && !sealed.contains(&user.secret),
        "{sealed}"
    );
    let keyed: String = started.sql_value("SELECT code_hash AS v FROM recovery_codes").await;
    assert!(keyed.starts_with(&format!("v1:{key}:")), "{keyed}");
    logs_in_with_the_app(&started, &user).await;
    logs_in_with_a_recovery_code(&started, &user, &user.recovery_codes[0]).await;
}
