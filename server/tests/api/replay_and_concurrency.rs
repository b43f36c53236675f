//! A code works once: no replays, not even by requests racing each other;
//! and codes of the neighbouring steps, but no further.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    Browser, Db, PASSWORD, STEP, TestApp, assert_error, code_at, error_body, expect_ok, on_both_databases,
    race_requests, spawn_app,
};

/// Concurrent requests in the races below.
const RACERS: usize = 8;

on_both_databases!(
    an_accepted_code_is_never_accepted_again,
    a_code_older_than_the_last_one_used_is_refused,
    the_activation_code_cannot_be_used_again_to_log_in,
    a_code_used_to_confirm_a_change_cannot_be_used_to_log_in,
    codes_of_the_previous_and_next_step_are_accepted_but_not_two_steps_away,
    of_concurrent_logins_with_the_same_code_exactly_one_gets_in,
    of_concurrent_logins_with_the_same_recovery_code_exactly_one_gets_in,
    an_app_code_and_a_recovery_code_at_once_finish_one_login_once,
    of_concurrent_activations_exactly_one_hands_out_recovery_codes,
    concurrent_wrong_codes_on_one_pending_login_get_at_most_five_tries,
    concurrent_wrong_codes_cannot_outrun_the_throttle,
);

async fn an_accepted_code_is_never_accepted_again(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let code = app.code_now(&user.secret);
    let first = app.pending_login("c12345").await;
    let second = app.pending_login("c12345").await;

    expect_ok(first.login_mfa(&code).await).await;

    assert_error(second.login_mfa(&code).await, StatusCode::UNAUTHORIZED, "invalid_code").await;
    // A step later the code is still inside the window, and still used.
    app.advance(STEP);
    assert_error(second.login_mfa(&code).await, StatusCode::UNAUTHORIZED, "invalid_code").await;
    expect_ok(second.login_mfa(&app.code_now(&user.secret)).await).await;
}

async fn a_code_older_than_the_last_one_used_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let now = app.now();
    let first = app.pending_login("c12345").await;
    let second = app.pending_login("c12345").await;

    // The next step's code (a clock running fast) is used first...
    expect_ok(first.login_mfa(&code_at(&user.secret, now + STEP)).await).await;

    // ...so the current one, though never used itself, is refused.
    let current = second.login_mfa(&code_at(&user.secret, now)).await;
    assert_error(current, StatusCode::UNAUTHORIZED, "invalid_code").await;
    app.advance(2 * STEP);
    expect_ok(second.login_mfa(&app.code_now(&user.secret)).await).await;
}

async fn the_activation_code_cannot_be_used_again_to_log_in(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = app.new_browser();
    expect_ok(browser.login("c12345", PASSWORD).await).await;
    let (secret, _) = app.enable_totp(&browser).await;
    let activation_code = app.code_now(&secret);

    let pending = app.pending_login("c12345").await;

    assert_error(
        pending.login_mfa(&activation_code).await,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
    )
    .await;
    app.advance(STEP);
    expect_ok(pending.login_mfa(&app.code_now(&secret)).await).await;
}

async fn a_code_used_to_confirm_a_change_cannot_be_used_to_log_in(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browser = app.logged_in(&user).await;
    let code = app.code_now(&user.secret);

    let regenerated = browser
        .post_json(
            "/api/v1/me/mfa/recovery-codes",
            json!({"password": PASSWORD, "code": code}),
        )
        .await;
    expect_ok(regenerated).await;

    let pending = app.pending_login("c12345").await;
    assert_error(pending.login_mfa(&code).await, StatusCode::UNAUTHORIZED, "invalid_code").await;
    let disable = browser
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": PASSWORD, "code": code}),
        )
        .await;
    assert_error(disable, StatusCode::UNAUTHORIZED, "invalid_code").await;
}

async fn codes_of_the_previous_and_next_step_are_accepted_but_not_two_steps_away(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    // Far enough from the steps used so far that "two steps ago" is unused.
    app.advance(10 * STEP);
    let now = app.now();
    let pending = app.pending_login("c12345").await;

    let two_steps_ago = pending.login_mfa(&code_at(&user.secret, now - 2 * STEP)).await;
    assert_error(two_steps_ago, StatusCode::UNAUTHORIZED, "invalid_code").await;
    let two_steps_ahead = pending.login_mfa(&code_at(&user.secret, now + 2 * STEP)).await;
    assert_error(two_steps_ahead, StatusCode::UNAUTHORIZED, "invalid_code").await;
    // The last second of the previous step is still inside the window.
    expect_ok(pending.login_mfa(&code_at(&user.secret, now - 1)).await).await;

    let pending = app.pending_login("c12345").await;
    expect_ok(pending.login_mfa(&code_at(&user.secret, now + STEP)).await).await;
}

/// `RACERS` pending logins of `username`, each in its own browser.
async fn pending_logins(app: &TestApp, username: &str) -> Vec<Browser> {
    let mut browsers = Vec::with_capacity(RACERS);
    for _ in 0..RACERS {
        browsers.push(app.pending_login(username).await);
    }
    browsers
}

/// Sends `codes[i]` from `browsers[i]` to the code step, all at once.
async fn race(browsers: &[Browser], codes: Vec<String>) -> Vec<(StatusCode, serde_json::Value)> {
    let requests = browsers
        .iter()
        .zip(codes)
        .map(|(browser, code)| {
            browser
                .request(Method::POST, "/api/v1/login/mfa")
                .json(&json!({"code": code}))
        })
        .collect();
    race_requests(requests).await
}

/// Asserts exactly one 200 and only refusals otherwise; answers the winner's index.
fn exactly_one_winner(answers: &[(StatusCode, serde_json::Value)]) -> usize {
    let winners: Vec<usize> = (0..answers.len()).filter(|&i| answers[i].0 == StatusCode::OK).collect();
    assert_eq!(winners.len(), 1, "exactly one request may win: {:?}", tally(answers));
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            matches!(
                (*status, code),
                (StatusCode::UNAUTHORIZED, "invalid_code") | (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            ),
            "a loser must be refused: {:?}",
            tally(answers)
        );
    }
    winners[0]
}

async fn of_concurrent_logins_with_the_same_code_exactly_one_gets_in(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browsers = pending_logins(&app, "c12345").await;

    let answers = race(&browsers, vec![app.code_now(&user.secret); RACERS]).await;

    let winner = exactly_one_winner(&answers);
    for (i, browser) in browsers.iter().enumerate() {
        let me = browser.me().await;
        if i == winner {
            expect_ok(me).await;
        } else {
            assert_error(me, StatusCode::UNAUTHORIZED, "not_logged_in").await;
        }
    }
}

async fn of_concurrent_logins_with_the_same_recovery_code_exactly_one_gets_in(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browsers = pending_logins(&app, "c12345").await;

    let answers = race(&browsers, vec![user.recovery_codes[0].clone(); RACERS]).await;

    let winner = exactly_one_winner(&answers);
    assert_eq!(browsers[winner].me_ok().await["mfa"]["recovery_codes_left"], 9);
}

async fn an_app_code_and_a_recovery_code_at_once_finish_one_login_once(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let pending = app.pending_login("c12345").await;
    let codes = vec![app.code_now(&user.secret), user.recovery_codes[0].clone()];

    let answers = race(&[pending.clone(), pending.clone()], codes).await;

    // Both codes are right; one request finishes the login, the other finds
    // it finished (before its check or after), and keeps nothing of its own.
    let winners: Vec<usize> = (0..2).filter(|&i| answers[i].0 == StatusCode::OK).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let (status, body) = &answers[1 - winners[0]];
    assert_eq!(
        (*status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("no_pending_login"))
    );
    let full_sessions: i64 = app
        .sql_value("SELECT COUNT(*) AS v FROM sessions WHERE stage = 'full'")
        .await;
    assert_eq!(full_sessions, 1);
    let recovery_code_won = winners[0] == 1;
    let left = pending.me_ok().await["mfa"]["recovery_codes_left"].clone();
    assert_eq!(left, if recovery_code_won { 9 } else { 10 });
}

async fn of_concurrent_activations_exactly_one_hands_out_recovery_codes(db: Db) {
    let app = spawn_app(db).await;
    app.create_account("c12345").await;
    let browser = app.new_browser();
    expect_ok(browser.login("c12345", PASSWORD).await).await;
    let setup = browser
        .post_json("/api/v1/me/mfa/totp/setup", json!({"password": PASSWORD}))
        .await;
    let secret = expect_ok(setup).await["secret"].as_str().expect("a secret").to_owned();
    let code = app.code_now(&secret);

    let requests = (0..RACERS)
        .map(|_| {
            browser
                .request(Method::POST, "/api/v1/me/mfa/totp/activate")
                .json(&json!({"code": code}))
        })
        .collect();
    let answers = race_requests(requests).await;

    let winners: Vec<_> = answers.iter().filter(|(status, _)| *status == StatusCode::OK).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one activation may succeed: {:?}",
        tally(&answers)
    );
    for (status, body) in &answers {
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            matches!(
                (*status, code),
                (StatusCode::OK, _)
                    | (StatusCode::CONFLICT, "no_pending_setup" | "totp_already_enabled")
                    | (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            ),
            "a losing activation must be refused: {:?}",
            tally(&answers)
        );
    }
    assert_eq!(browser.me_ok().await["mfa"]["recovery_codes_left"], 10);
    let winning_codes = winners[0].1["recovery_codes"]
        .as_array()
        .expect("recovery codes")
        .clone();
    app.advance(STEP);
    let pending = app.pending_login("c12345").await;
    expect_ok(pending.login_mfa(winning_codes[0].as_str().expect("a code")).await).await;
}

/// Distinct six-digit codes, none valid around now.
fn wrong_codes(app: &TestApp, secret: &str, count: usize) -> Vec<String> {
    let valid: Vec<String> = (-2..=2).map(|step| code_at(secret, app.now() + step * STEP)).collect();
    (0..)
        .map(|n: usize| format!("{:06}", 100_000 + n * 37))
        .filter(|c| !valid.contains(c))
        .take(count)
        .collect()
}

/// How many answers of each kind, e.g. `{"401 invalid_code": 7, "429 too_many_attempts": 1}`.
fn tally(answers: &[(StatusCode, serde_json::Value)]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for (status, body) in answers {
        let code = body["error"]["code"].as_str().unwrap_or("-");
        *counts.entry(format!("{} {code}", status.as_u16())).or_insert(0) += 1;
    }
    counts
}

/// Whether the server looked at the code (rather than refusing the attempt unseen).
fn code_was_checked((status, body): &(StatusCode, serde_json::Value)) -> bool {
    *status == StatusCode::UNAUTHORIZED
        && matches!(body["error"]["code"].as_str(), Some("invalid_code" | "login_expired"))
}

/// Every racer was refused, and the server looked at no more than `limit` of the codes.
fn assert_refused_with_at_most_checked(answers: &[(StatusCode, serde_json::Value)], limit: usize, what: &str) {
    assert!(
        answers.iter().all(|(status, _)| status.is_client_error()),
        "{:?}",
        tally(answers)
    );
    let checked = answers.iter().filter(|a| code_was_checked(a)).count();
    assert!(
        checked <= limit,
        "{what}: {checked} codes checked, not at most {limit}: {:?}",
        tally(answers)
    );
}

async fn concurrent_wrong_codes_on_one_pending_login_get_at_most_five_tries(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let pending = app.pending_login("c12345").await;
    let guesses = 4 * RACERS;

    let answers = race(
        &vec![pending.clone(); guesses],
        wrong_codes(&app, &user.secret, guesses),
    )
    .await;

    assert_refused_with_at_most_checked(&answers, 5, "one pending login");
}

async fn concurrent_wrong_codes_cannot_outrun_the_throttle(db: Db) {
    let app = spawn_app(db).await;
    let user = app.user_with_totp("c12345").await;
    let browsers = pending_logins(&app, "c12345").await;

    let answers = race(&browsers, wrong_codes(&app, &user.secret, RACERS)).await;

    assert_refused_with_at_most_checked(&answers, 3, "wrong codes at one instant, where the throttle allows 3");
    // The account is throttled now, for whichever session asks next.
    let (status, body) = error_body(browsers[0].login_mfa(&app.code_now(&user.secret)).await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
}
