//! Security notices: the mail a login's contact address gets when the
//! security of that login changes, delivered through an outbox.
//!
//! - A notice is queued by [`super::audit::Trail::record`] in the same
//!   database handle, so the same transaction, as the event it reports: it
//!   exists exactly when the change does.
//! - The outbox worker ([`spawn_worker`]) claims due rows by compare-and-set,
//!   sends them and marks them sent once; a failed delivery waits 10 s, 20 s,
//!   40 s … up to 15 minutes and is tried again, across restarts.
//! - Each notice carries a single-use "This wasn't me" link ([`report_not_me`]).
//!   Its token is kept until the mail is sent, then only its hash.

use std::sync::Arc;
use std::time::Duration;

use app::domain::SecurityEventKind as Event;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::mail::{Circumstances, Mail, Mailer, escape_html, html_page};
use super::{Result, ServiceError, random_bytes, sessions, sha256_hex};
use crate::clock::{Clock, UnixTime};
use crate::entity::{account, notice, security_event};

/// How long a "This wasn't me" link works.
pub const LINK_TTL: i64 = 30 * 24 * 60 * 60;
/// At most one notice of a repeating kind (throttling, failed second steps)
/// per login in this many seconds: a guessing run is one mail, not hundreds.
const REPEAT_QUIET: i64 = 15 * 60;
/// How long a claimed notice is left alone before another attempt (longer
/// than any SMTP timeout).
const LEASE: i64 = 5 * 60;
/// Notices one pass of the worker sends at most.
const BATCH: u64 = 20;

/// Whether events of `kind` are mailed to the login's contact address.
pub fn is_notice(kind: Event) -> bool {
    matches!(
        kind,
        Event::MfaEnabled
            | Event::MfaDisabled
            | Event::AppMoved
            | Event::MfaResetByAdmin
            | Event::MfaResetByOwner
            | Event::RecoveryCodesRegenerated
            | Event::RecoveryCodeUsed
            | Event::Throttled
            | Event::PasswordThrottled
            | Event::PasswordChanged
            | Event::SecondStepFailed
            | Event::AppPasswordCreated
            | Event::AppPasswordRevoked
            | Event::AppPasswordNewAddress
    )
}

/// What a notice says beyond its kind, as the event was recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Details {
    pub username: String,
    pub at: UnixTime,
    pub actor: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Recovery codes still unused (after one was used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_codes_left: Option<u64>,
    /// After the app was switched off: whether e-mailed codes take over.
    #[serde(default)]
    pub email_codes_after: bool,
    /// What the event was about beyond its kind (an app password's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Queues the notice for `kind` on `account`, if it is one and the login has
/// a contact address. Run inside the transaction of the change it reports.
pub async fn queue(db: &impl ConnectionTrait, kind: Event, account: &account::Model, details: Details) -> Result<()> {
    let Some(recipient) = account.email.clone() else {
        return Ok(());
    };
    if !is_notice(kind) {
        return Ok(());
    }
    let quiet_column = match kind {
        Event::Throttled => Some(account::Column::ThrottledNoticeAt),
        Event::PasswordThrottled => Some(account::Column::PasswordNoticeAt),
        Event::SecondStepFailed => Some(account::Column::SecondStepNoticeAt),
        _ => None,
    };
    if let Some(column) = quiet_column {
        // Compare-and-set, not "count, then insert": of concurrent attempts
        // (a burst of guesses) exactly one claims the window and queues.
        let claimed = account::Entity::update_many()
            .col_expr(column, Expr::value(details.at))
            .filter(account::Column::Id.eq(account.id))
            .filter(
                Condition::any()
                    .add(column.is_null())
                    .add(column.lte(details.at - REPEAT_QUIET)),
            )
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(());
        }
    }
    let token = hex::encode(random_bytes::<32>()?);
    let details_json =
        serde_json::to_string(&details).map_err(|e| ServiceError::internal(format!("notice details: {e}")))?;
    notice::ActiveModel {
        account_id: Set(account.id),
        recipient: Set(recipient),
        kind: Set(kind.as_str().to_owned()),
        details: Set(details_json),
        created_at: Set(details.at),
        attempts: Set(0),
        next_attempt_at: Set(details.at),
        sent_at: Set(None),
        last_error: Set(None),
        link_token_hash: Set(link_hash(&token)),
        link_token: Set(Some(token)),
        link_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn link_hash(token: &str) -> String {
    sha256_hex(&[b"tessera-not-me:", token.as_bytes()])
}

/// Seconds before attempt `attempts + 1` after `attempts` failed ones:
/// 10 s, 20 s, 40 s … up to 15 minutes.
pub fn retry_delay(attempts: i32) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    std::cmp::min(10_i64 << doublings, 15 * 60)
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
}

/// Sends the notices that are due. Each is claimed first (compare-and-set on
/// its attempt count), so two workers, in one process or two, never both
/// send it. The time is read per notice: with a mail server that times out,
/// a pass takes minutes. A notice not delivered while its link works is
/// given up (its token dropped, the reason kept); the claim checks the link
/// too, so one that expires during a pass is not sent either.
pub async fn deliver_due(db: &DatabaseConnection, mailer: &Mailer, base_url: &str, clock: &Clock) -> Result<Pass> {
    let given_up = notice::Entity::update_many()
        .col_expr(notice::Column::LinkToken, Expr::value(Option::<String>::None))
        .col_expr(
            notice::Column::LastError,
            Expr::value("given up: not delivered within 30 days"),
        )
        .filter(notice::Column::SentAt.is_null())
        .filter(notice::Column::LinkToken.is_not_null())
        .filter(notice::Column::CreatedAt.lte(clock.now() - LINK_TTL))
        .exec(db)
        .await?;
    if given_up.rows_affected > 0 {
        tracing::error!(
            notices = given_up.rows_affected,
            "security notices given up: not delivered within 30 days"
        );
    }
    let due = notice::Entity::find()
        .filter(notice::Column::SentAt.is_null())
        .filter(notice::Column::LinkToken.is_not_null())
        .filter(notice::Column::NextAttemptAt.lte(clock.now()))
        .order_by_asc(notice::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut pass = Pass::default();
    for row in due {
        let now = clock.now();
        let claimed = notice::Entity::update_many()
            .col_expr(notice::Column::Attempts, Expr::col(notice::Column::Attempts).add(1))
            .col_expr(notice::Column::NextAttemptAt, Expr::value(now + LEASE))
            .filter(notice::Column::Id.eq(row.id))
            .filter(notice::Column::SentAt.is_null())
            .filter(notice::Column::Attempts.eq(row.attempts))
            .filter(notice::Column::CreatedAt.gt(now - LINK_TTL))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let attempts = row.attempts + 1;
        let result = match render(&row, base_url) {
            Ok(mail) => mailer.send(&mail).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => {
                notice::Entity::update_many()
                    .col_expr(notice::Column::SentAt, Expr::value(clock.now()))
                    .col_expr(notice::Column::LinkToken, Expr::value(Option::<String>::None))
                    .col_expr(notice::Column::LastError, Expr::value(Option::<String>::None))
                    .filter(notice::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
                tracing::info!(notice = row.id, kind = row.kind, attempts, "security notice sent");
                pass.sent += 1;
            }
            Err(error) => {
                let now = clock.now();
                let retry_in = retry_delay(attempts);
                tracing::warn!(notice = row.id, attempts, retry_in, %error, "security notice not sent; will retry");
                notice::Entity::update_many()
                    .col_expr(notice::Column::NextAttemptAt, Expr::value(now + retry_in))
                    .col_expr(
                        notice::Column::LastError,
                        Expr::value(error.chars().take(512).collect::<String>()),
                    )
                    .filter(notice::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
                pass.failed += 1;
            }
        }
    }
    Ok(pass)
}

/// Runs [`deliver_due`] every `every` until the task is aborted.
pub fn spawn_worker(
    db: DatabaseConnection,
    mailer: Mailer,
    base_url: Arc<str>,
    clock: Clock,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = deliver_due(&db, &mailer, &base_url, &clock).await {
                tracing::error!(error = %e, "outbox: reading or updating notices failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// The mail for one notice row.
pub fn render(row: &notice::Model, base_url: &str) -> Result<Mail> {
    let kind: Event = row
        .kind
        .parse()
        .map_err(|_| ServiceError::internal(format!("notice {} has kind {:?}", row.id, row.kind)))?;
    let details: Details = serde_json::from_str(&row.details)
        .map_err(|e| ServiceError::internal(format!("notice {} details: {e}", row.id)))?;
    let token = row
        .link_token
        .as_deref()
        .ok_or_else(|| ServiceError::internal(format!("notice {} has no link token left", row.id)))?;
    let link = format!("{}/this-wasnt-me#{token}", base_url.trim_end_matches('/'));
    let name = &details.username;
    let by = match &details.actor {
        Some(actor) => format!(" by {actor}"),
        None => String::new(),
    };
    let (subject, what) = match kind {
        Event::MfaEnabled => (
            "Two-factor authentication with an app is on".to_owned(),
            format!(
                "Two-factor authentication with an authenticator app was switched on{by} for your login {name}. \
                 From now on, logging in needs a code from the app."
            ),
        ),
        Event::MfaDisabled | Event::MfaResetByAdmin | Event::MfaResetByOwner => (
            "Two-factor authentication with an app is off".to_owned(),
            format!(
                "Two-factor authentication with an authenticator app was switched off{by} for your login {name}. {}{}",
                if details.email_codes_after {
                    "From now on, logging in needs a code we send to this address."
                } else {
                    "From now on, the password alone opens it."
                },
                match &details.detail {
                    Some(revoked) => format!(" Its app passwords are gone too ({revoked}): mail apps need new ones."),
                    None => String::new(),
                }
            ),
        ),
        Event::AppMoved => (
            "Your authenticator app moved to a new phone".to_owned(),
            format!(
                "The authenticator app of your login {name} was moved to a new phone. Codes from the app on the old \
                 one no longer work, and every other session of the login was logged out; the recovery codes not \
                 yet used still work."
            ),
        ),
        Event::AppPasswordCreated => (
            "New app password".to_owned(),
            format!(
                "An app password was created{by} for your mailbox {name}: {}. A mail app that has it reads or \
                 sends mail without a second factor.",
                details.detail.as_deref().unwrap_or("one")
            ),
        ),
        Event::AppPasswordRevoked => (
            "App password revoked".to_owned(),
            format!(
                "App passwords of your mailbox {name} were revoked{by}: {}. Mail apps that used them need a new one.",
                details.detail.as_deref().unwrap_or("one")
            ),
        ),
        Event::AppPasswordNewAddress => (
            "An app password was used from a new address".to_owned(),
            format!(
                "The app password {} of your mailbox {name} was used from {} for the first time. If that was not \
                 one of your devices, revoke it in webmail under My account, App passwords.",
                details.detail.as_deref().unwrap_or("of yours"),
                details
                    .ip
                    .as_deref()
                    .unwrap_or("an address it had not come from before"),
            ),
        ),
        Event::RecoveryCodesRegenerated => (
            "New recovery codes".to_owned(),
            format!("A new set of recovery codes was made{by} for your login {name}. The old codes no longer work."),
        ),
        Event::RecoveryCodeUsed => (
            "A recovery code was used".to_owned(),
            format!(
                "A recovery code was used to log in as {name}. {} left.",
                match details.recovery_codes_left {
                    Some(1) => "1 unused code is".to_owned(),
                    Some(n) => format!("{n} unused codes are"),
                    None => "Some codes are".to_owned(),
                }
            ),
        ),
        Event::Throttled => (
            "Too many wrong codes".to_owned(),
            format!(
                "Someone entered several wrong codes for your login {name}, so further attempts are being slowed down. \
                 Whoever it was knew your password."
            ),
        ),
        Event::PasswordChanged => (
            "Your password was changed".to_owned(),
            format!(
                "The password of your login {name} was changed{by}. Every other browser logged in as {name} \
                 has been logged out."
            ),
        ),
        Event::PasswordThrottled => (
            "Someone is trying your password".to_owned(),
            format!(
                "Someone entered a wrong password for your login {name} many times in a row, so further attempts \
                 are being slowed down. Browsers you have logged in with before are not affected. If this was not \
                 you, nothing needs doing unless your password is weak or used elsewhere: then change it, and \
                 switch on two-factor authentication."
            ),
        ),
        Event::SecondStepFailed => (
            "Your password was used, but the code was wrong".to_owned(),
            format!(
                "Someone entered the right password for your login {name}, then 5 wrong codes, and was stopped. \
                 Change your password if this was not you."
            ),
        ),
        other => {
            return Err(ServiceError::internal(format!(
                "notice {}: {other} is not a notice",
                row.id
            )));
        }
    };
    let facts = Circumstances::new(details.at, details.ip.as_deref(), details.user_agent.as_deref());
    let text = format!(
        "{what}\n\n{}\n\nIf this wasn't you, open this link. It ends every session of {name}, revokes its \
         app passwords, stops any unfinished set-up and tells your provider. It works once, for 30 days:\n{link}\n\n\
         Nobody from support will ever ask you for a code or your password.\n",
        facts.text(),
    );
    let html = html_page(&format!(
        "<p>{}</p><p>{}</p>\
         <p>If this wasn't you, use this link. It ends every session of {}, revokes its app passwords, stops \
         any unfinished set-up and tells your provider. It works once, for 30 days.</p>\
         <p><a href=\"{}\">This wasn't me</a></p>\
         <p>Nobody from support will ever ask you for a code or your password.</p>",
        escape_html(&what),
        facts.html(),
        escape_html(name),
        escape_html(&link),
    ));
    Ok(Mail {
        to: row.recipient.clone(),
        subject: format!("{subject}: {name}"),
        text,
        html,
    })
}

/// "This wasn't me": the link's login loses every session, any unfinished
/// set-up and any e-mailed code, and is flagged for its owner and the admins.
/// The link works once and for [`LINK_TTL`]; otherwise [`ServiceError::LinkNotFound`].
pub async fn report_not_me(
    db: &DatabaseConnection,
    token: &str,
    now: UnixTime,
    trail: &super::audit::Trail,
) -> Result<account::Model> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::LinkNotFound);
    }
    let hash = link_hash(&token.to_ascii_lowercase());
    let txn = db.begin().await?;
    let claimed = notice::Entity::update_many()
        .col_expr(notice::Column::LinkUsedAt, Expr::value(now))
        .filter(notice::Column::LinkTokenHash.eq(hash.as_str()))
        .filter(notice::Column::LinkUsedAt.is_null())
        .filter(notice::Column::CreatedAt.gt(now - LINK_TTL))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ServiceError::LinkNotFound);
    }
    let row = notice::Entity::find()
        .filter(notice::Column::LinkTokenHash.eq(hash.as_str()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::LinkNotFound)?;
    let account = super::accounts::get(&txn, row.account_id).await?;
    secure(&txn, &account, None, now, trail).await?;
    txn.commit().await?;
    Ok(account)
}

/// "This wasn't me" beside an event of the signed-in user's own log: the
/// same as the notice's link, naming the event. An id that is not one of
/// the login's own events is [`ServiceError::EventNotFound`].
pub async fn report_event_not_me(
    db: &DatabaseConnection,
    account: &account::Model,
    event_id: i32,
    now: UnixTime,
    trail: &super::audit::Trail,
) -> Result<()> {
    let event = security_event::Entity::find_by_id(event_id)
        .filter(security_event::Column::AccountId.eq(account.id))
        .one(db)
        .await?
        .ok_or(ServiceError::EventNotFound)?;
    let kind = event
        .event
        .parse::<Event>()
        .map_or_else(|_| event.event.clone(), |kind| kind.label().to_owned());
    let about = format!("About \u{201c}{kind}\u{201d} of {}", app::domain::format_utc(event.at));
    let txn = db.begin().await?;
    secure(&txn, account, Some(about), now, trail).await?;
    txn.commit().await?;
    Ok(())
}

/// What a report does, in the caller's transaction: every session of the
/// login ends, its unfinished set-up and e-mailed code are void, its app
/// passwords revoked, and it is flagged for its owner and the administrators.
async fn secure(
    txn: &DatabaseTransaction,
    account: &account::Model,
    about: Option<String>,
    now: UnixTime,
    trail: &super::audit::Trail,
) -> Result<()> {
    sessions::delete_all_for(txn, account.id).await?;
    account::Entity::update_many()
        .col_expr(account::Column::TotpPendingSecret, Expr::value(Option::<String>::None))
        .col_expr(account::Column::EmailCodeHash, Expr::value(Option::<String>::None))
        .col_expr(account::Column::EmailCodeExpiresAt, Expr::value(Option::<i64>::None))
        .col_expr(account::Column::FlaggedAt, Expr::value(now))
        .filter(account::Column::Id.eq(account.id))
        .exec(txn)
        .await?;
    let revoked = super::app_passwords::delete_all_for(txn, account.id).await?;
    let detail = [about, super::app_passwords::revoked_too(revoked)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    trail
        .record_detailed(
            txn,
            Event::ReportedNotMe,
            account,
            Some(detail).filter(|d| !d.is_empty()),
            now,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_deliveries_back_off_up_to_fifteen_minutes() {
        let delays: Vec<i64> = (1..=9).map(retry_delay).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(retry_delay(i32::MAX), 900);
        assert_eq!(retry_delay(0), 10);
    }

    fn row(kind: Event, details: Details) -> notice::Model {
        notice::Model {
            id: 1,
            account_id: 7,
            recipient: "owner@example.com".to_owned(),
            kind: kind.as_str().to_owned(),
            details: serde_json::to_string(&details).unwrap_or_default(),
            created_at: details.at,
            attempts: 0,
            next_attempt_at: details.at,
            sent_at: None,
            last_error: None,
            link_token: Some("ab".repeat(32)),
            link_token_hash: link_hash(&"ab".repeat(32)),
            link_used_at: None,
        }
    }

    #[test]
    fn every_notice_renders_with_its_link_when_and_where_and_no_markup_from_the_user_agent() -> Result<()> {
        let details = Details {
            username: "c10001".to_owned(),
            at: 1_800_000_000,
            actor: Some("admin".to_owned()),
            ip: Some("203.0.113.9".to_owned()),
            user_agent: Some("<script>alert(1)</script>".to_owned()),
            recovery_codes_left: Some(9),
            email_codes_after: true,
            detail: Some("\u{201c}iPhone Mail\u{201d} (IMAP)".to_owned()),
        };
        for kind in Event::ALL.into_iter().filter(|k| is_notice(*k)) {
            let mail = render(&row(kind, details.clone()), "https://panel.example.com/")?;
            let link = format!("https://panel.example.com/this-wasnt-me#{}", "ab".repeat(32));
            assert!(mail.text.contains(&link), "{kind}: {}", mail.text);
            assert!(mail.html.contains(&link), "{kind}");
            assert!(mail.text.contains("2027-01-15 08:00 UTC"), "{kind}: {}", mail.text);
            assert!(mail.text.contains("203.0.113.9"), "{kind}");
            assert!(mail.subject.ends_with(": c10001"), "{kind}: {}", mail.subject);
            assert!(!mail.html.contains("<script>"), "{kind}");
            assert!(
                mail.text.contains("Nobody from support will ever ask you for a code"),
                "{kind}"
            );
        }
        let used = render(&row(Event::RecoveryCodeUsed, details), "http://x")?;
        assert!(used.text.contains("9 unused codes are left"), "{}", used.text);
        Ok(())
    }
}
