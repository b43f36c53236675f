//! `tessera account create` and `account list`, the real binary against the
//! test's database: the kinds and their naming rules, owners, contact
//! addresses, and a login that then works through the API.

use serde_json::json;

use crate::helpers::{Db, PASSWORD, expect_ok, on_both_databases, spawn_app, spawn_app_with_mail};

on_both_databases!(
    the_command_line_creates_logins_that_can_log_in,
    the_command_line_refuses_logins_that_break_the_rules,
    the_command_line_gives_a_customer_an_email_address_for_its_codes,
    the_command_line_refuses_a_mailbox_its_own_address_as_email,
);

async fn the_command_line_creates_logins_that_can_log_in(db: Db) {
    let app = spawn_app(db).await;
    let line = format!("{PASSWORD}\n");

    for args in [
        &["--kind", "customer", "--username", "C10001"][..],
        &["--kind", "package", "--username", "web1.c10001", "--owner", "c10001"],
        &[
            "--kind",
            "mailbox",
            "--username",
            "info@example.com",
            "--owner",
            "c10001",
        ],
        &["--kind", "admin", "--username", "admin"],
    ] {
        let mut full = vec!["account", "create"];
        full.extend_from_slice(args);
        full.push("--password-stdin");
        let (status, stdout, stderr) = app.tessera_with_input(&full, &line).await;
        assert!(status.success(), "{args:?}: {status} {stdout} {stderr}");
        assert!(stdout.starts_with("created "), "{stdout}");
    }

    let (status, stdout, _) = app.tessera(&["account", "list"]).await;
    assert!(status.success());
    let rows: Vec<Vec<&str>> = stdout.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    let summary: Vec<(&str, &str, &str, &str)> = rows.iter().map(|r| (r[1], r[2], r[3], r[4])).collect();
    assert_eq!(
        summary,
        [
            ("admin", "admin", "-", "off"),
            ("customer", "c10001", "-", "off"),
            ("mailbox", "info@example.com", "c10001", "off"),
            ("package", "web1.c10001", "c10001", "off"),
        ],
        "{stdout}"
    );

    let browser = app.new_browser();
    expect_ok(browser.login("info@example.com", PASSWORD).await).await;
    let me = browser.me_ok().await;
    assert_eq!(
        (me["username"].as_str(), me["kind"].as_str()),
        (Some("info@example.com"), Some("mailbox"))
    );
}

async fn the_command_line_refuses_logins_that_break_the_rules(db: Db) {
    let app = spawn_app(db).await;
    let line = format!("{PASSWORD}\n");
    let create = |args: &'static [&'static str]| {
        let mut full = vec!["account", "create"];
        full.extend_from_slice(args);
        full.push("--password-stdin");
        full
    };
    let (status, _, stderr) = app
        .tessera_with_input(&create(&["--kind", "customer", "--username", "c10001"]), &line)
        .await;
    assert!(status.success(), "{stderr}");

    for (args, input, says) in [
        (
            &["--kind", "mailbox", "--username", "info", "--owner", "c10001"][..],
            line.as_str(),
            "e-mail address",
        ),
        (
            &["--kind", "customer", "--username", "c2@example.com"],
            &line,
            "Only mailbox logins are e-mail addresses",
        ),
        (&["--kind", "package", "--username", "web2"], &line, "needs an owner"),
        (
            &["--kind", "package", "--username", "web2", "--owner", "nobody"],
            &line,
            "no customer login of that name",
        ),
        (
            &["--kind", "customer", "--username", "c2", "--owner", "c10001"],
            &line,
            "Only package and mailbox logins have an owner",
        ),
        (&["--kind", "customer", "--username", "C10001"], &line, "exists already"),
        (
            &["--kind", "customer", "--username", "c3"],
            "short\n",
            "at least 8 characters",
        ),
        (&["--kind", "customer", "--username", "c3"], "", "no password"),
    ] {
        let args: &'static [&'static str] = args;
        let (status, stdout, stderr) = app.tessera_with_input(&create(args), input).await;
        assert!(!status.success(), "{args:?}: {stdout}");
        assert!(stderr.contains(says), "{args:?}: {stderr:?} should say {says:?}");
    }
    let (_, stdout, _) = app.tessera(&["account", "list"]).await;
    assert_eq!(stdout.lines().count(), 2, "only c10001 was created: {stdout}");
}

/// `account create` with `args` and [`PASSWORD`] on standard input.
fn create_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut full = vec!["account", "create"];
    full.extend_from_slice(args);
    full.push("--password-stdin");
    full
}

async fn the_command_line_gives_a_customer_an_email_address_for_its_codes(db: Db) {
    let (app, sink) = spawn_app_with_mail(db).await;
    let line = format!("{PASSWORD}\n");
    for (args, says) in [
        (
            &[
                "--kind",
                "customer",
                "--username",
                "c10001",
                "--email",
                "Carol@Example.com",
            ][..],
            "codes by e-mail to carol@example.com",
        ),
        (
            &[
                "--kind",
                "mailbox",
                "--username",
                "info@example.com",
                "--owner",
                "c10001",
                "--email",
                "owner@example.net",
            ],
            "notices to owner@example.net, no second factor yet",
        ),
        (
            &["--kind", "package", "--username", "web1.c10001", "--owner", "c10001"],
            "no contact address",
        ),
    ] {
        let (status, stdout, stderr) = app.tessera_with_input(&create_args(args), &line).await;
        assert!(status.success(), "{args:?}: {status} {stdout} {stderr}");
        assert!(stdout.contains(says), "{args:?}: {stdout:?} should say {says:?}");
    }

    let (status, stdout, _) = app.tessera(&["account", "list"]).await;
    assert!(status.success());
    let rows: Vec<Vec<&str>> = stdout.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    let summary: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[2], r[4], r[5])).collect();
    assert_eq!(
        summary,
        [
            ("c10001", "email", "carol@example.com"),
            ("info@example.com", "off", "owner@example.net"),
            ("web1.c10001", "off", "-"),
        ],
        "{stdout}"
    );

    // The customer's codes go to that address.
    let browser = app.logged_in_by_email(&sink, "c10001", "carol@example.com").await;
    assert_eq!(browser.me_ok().await["mfa"]["contact_email"], "carol@example.com");
    // The mailbox logs in with its password alone.
    let mailbox = app.new_browser();
    assert_eq!(
        expect_ok(mailbox.login("info@example.com", PASSWORD).await).await,
        json!({"status": "ok"})
    );
}

async fn the_command_line_refuses_a_mailbox_its_own_address_as_email(db: Db) {
    let app = spawn_app(db).await;
    let line = format!("{PASSWORD}\n");
    let (status, _, stderr) = app
        .tessera_with_input(&create_args(&["--kind", "customer", "--username", "c10001"]), &line)
        .await;
    assert!(status.success(), "{stderr}");

    for (email, says) in [
        (
            "INFO@example.com",
            "A mailbox's codes go to another address than the mailbox itself",
        ),
        ("not an address", "Enter an e-mail address"),
    ] {
        let args = [
            "--kind",
            "mailbox",
            "--username",
            "info@example.com",
            "--owner",
            "c10001",
            "--email",
            email,
        ];
        let (status, stdout, stderr) = app.tessera_with_input(&create_args(&args), &line).await;
        assert!(!status.success(), "{email}: {stdout}");
        assert!(stderr.contains(says), "{email}: {stderr:?} should say {says:?}");
    }
    let (_, stdout, _) = app.tessera(&["account", "list"]).await;
    assert_eq!(stdout.lines().count(), 2, "only c10001 was created: {stdout}");

    // With another address it is created.
    let args = [
        "--kind",
        "mailbox",
        "--username",
        "info@example.com",
        "--owner",
        "c10001",
        "--email",
        "owner@example.net",
    ];
    let (status, stdout, stderr) = app.tessera_with_input(&create_args(&args), &line).await;
    assert!(status.success(), "{stdout} {stderr}");
}
