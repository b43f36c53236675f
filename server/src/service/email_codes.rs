//! E-mailed one-time codes: the second factor a login has when it has no
//! authenticator app, on from creation for customers (seed 004).
//!
//! A code is 6 digits from the operating system's CSPRNG, stored only as a
//! hash, valid [`VALID_FOR`] seconds, used once, void after [`TRIES`] wrong
//! tries or when a newer code is sent. The account's throttle applies as to
//! app codes (it is [`super::mfa::verify`] that checks them). Code mails are
//! sent while the user waits, never through the outbox: the outbox would
//! have to store the code itself, and a user asking for a code wants to know
//! now whether it is on its way.

use app::domain::{OtpCode, mask_email};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::audit::Trail;
use super::keys::Keys;
use super::mail::{Circumstances, Mail, Mailer, escape_html, html_page};
use super::{Result, ServiceError, random_bytes, sha256_hex};
use crate::clock::UnixTime;
use crate::entity::account;
use app::domain::SecurityEventKind as Event;

/// Seconds an e-mailed code is valid.
pub const VALID_FOR: i64 = 15 * 60;
/// Seconds between two codes sent to one login.
pub const RESEND_AFTER: i64 = 60;
/// Wrong tries that void a code.
pub const TRIES: i32 = 5;

/// Whether `account` logs in with e-mailed codes now: it has no app, wants
/// e-mail codes, has an address, and this server can send mail.
pub fn offered(account: &account::Model, mail_on: bool) -> bool {
    mail_on && account.totp_secret.is_none() && account.email_codes && account.email.is_some()
}

/// What a code is for, which its mail says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The second step of a login.
    Login,
    /// Confirming a change while logged in (a new app password).
    Confirm,
}

/// A code on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The contact address, mostly hidden.
    pub to: String,
}

/// Sends `account` a new code, which voids the one before. At most one per
/// [`RESEND_AFTER`] seconds unless the last one was used
/// ([`ServiceError::ResendTooSoon`]); when the mail
/// server does not take the mail, nothing changes and the user may try again
/// at once ([`ServiceError::MailUnavailable`]).
pub async fn send(
    db: &(impl ConnectionTrait + TransactionTrait),
    mailer: &Mailer,
    keys: &Keys,
    account: &account::Model,
    purpose: Purpose,
    now: UnixTime,
    trail: &Trail,
) -> Result<Sent> {
    let to = match (&account.email, account.totp_secret.is_none() && account.email_codes) {
        (Some(to), true) => to.clone(),
        _ => return Err(ServiceError::EmailCodesNotOffered),
    };
    // The re-send limit, claimed before anything is sent: of two concurrent
    // requests one gets the slot, the other waits its minute. Using a code
    // clears `email_code_sent_at`: the next login needs a new one at once.
    let claimed = account::Entity::update_many()
        .col_expr(account::Column::EmailCodeSentAt, Expr::value(now))
        .filter(account::Column::Id.eq(account.id))
        .filter(
            Condition::any()
                .add(account::Column::EmailCodeSentAt.is_null())
                .add(account::Column::EmailCodeSentAt.lte(now - RESEND_AFTER)),
        )
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        let current = super::accounts::get(db, account.id).await?;
        let last = current.email_code_sent_at.unwrap_or(now);
        return Err(ServiceError::ResendTooSoon {
            retry_after: u64::try_from(last + RESEND_AFTER - now).unwrap_or(1).max(1),
        });
    }
    let code = new_code()?;
    let mail = code_mail(&to, &account.username, &code, purpose, now, trail);
    if let Err(error) = mailer.send(&mail).await {
        tracing::warn!(account = account.username, %error, "e-mail code not sent");
        // Give the slot back, so that "try again" works at once.
        account::Entity::update_many()
            .col_expr(
                account::Column::EmailCodeSentAt,
                Expr::value(account.email_code_sent_at),
            )
            .filter(account::Column::Id.eq(account.id))
            .filter(account::Column::EmailCodeSentAt.eq(now))
            .exec(db)
            .await?;
        return Err(ServiceError::MailUnavailable);
    }
    account::Entity::update_many()
        // Both sides read the row as it was: the previous hash is the one replaced.
        .col_expr(
            account::Column::EmailCodePreviousHash,
            Expr::col(account::Column::EmailCodeHash),
        )
        .col_expr(
            account::Column::EmailCodeHash,
            Expr::value(keys.keyed_hash(&code_digest(account.id, &code))),
        )
        .col_expr(account::Column::EmailCodeExpiresAt, Expr::value(now + VALID_FOR))
        .col_expr(account::Column::EmailCodeFailures, Expr::value(0))
        .filter(account::Column::Id.eq(account.id))
        // Unless a later request has sent a newer code meanwhile (a slow
        // mail server): the newest mail's code is the one that counts.
        .filter(account::Column::EmailCodeSentAt.eq(now))
        .exec(db)
        .await?;
    trail.record(db, Event::EmailCodeSent, account, now).await?;
    Ok(Sent { to: mask_email(&to) })
}

/// What became of a typed e-mailed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// It was the live code, now used.
    Used,
    /// It was the code of an older mail, replaced by a newer one.
    Superseded,
    Wrong,
}

/// Claims the account's e-mailed code if `code` is it and it is still valid:
/// one conditional UPDATE, so a code is used once even by concurrent
/// requests. A wrong code (an older mail's too) counts against the live one,
/// which is void after [`TRIES`].
pub async fn claim(
    db: &impl ConnectionTrait,
    keys: &Keys,
    account_id: i32,
    code: &OtpCode,
    now: UnixTime,
) -> Result<Claim> {
    use sea_orm::sea_query::ExprTrait as _;
    let hashes = keys.keyed_hash_candidates(&code_digest(account_id, code.as_str()));
    let claimed = account::Entity::update_many()
        .col_expr(account::Column::EmailCodeHash, Expr::value(Option::<String>::None))
        .col_expr(
            account::Column::EmailCodePreviousHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(account::Column::EmailCodeExpiresAt, Expr::value(Option::<i64>::None))
        .col_expr(account::Column::EmailCodeFailures, Expr::value(0))
        .col_expr(account::Column::EmailCodeSentAt, Expr::value(Option::<i64>::None))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::EmailCodeHash.is_in(hashes.clone()))
        .filter(account::Column::EmailCodeExpiresAt.gt(now))
        .filter(account::Column::EmailCodeFailures.lt(TRIES))
        .exec(db)
        .await?;
    if claimed.rows_affected == 1 {
        return Ok(Claim::Used);
    }
    account::Entity::update_many()
        .col_expr(
            account::Column::EmailCodeFailures,
            Expr::col(account::Column::EmailCodeFailures).add(1),
        )
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::EmailCodeHash.is_not_null())
        .exec(db)
        .await?;
    // Void after the last try; like a used code, it no longer holds back
    // the next one.
    account::Entity::update_many()
        .col_expr(account::Column::EmailCodeHash, Expr::value(Option::<String>::None))
        .col_expr(account::Column::EmailCodeExpiresAt, Expr::value(Option::<i64>::None))
        .col_expr(account::Column::EmailCodeSentAt, Expr::value(Option::<i64>::None))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::EmailCodeHash.is_not_null())
        .filter(account::Column::EmailCodeFailures.gte(TRIES))
        .exec(db)
        .await?;
    let superseded = account::Entity::find_by_id(account_id)
        .filter(account::Column::EmailCodePreviousHash.is_in(hashes))
        .one(db)
        .await?
        .is_some();
    Ok(if superseded { Claim::Superseded } else { Claim::Wrong })
}

/// Six digits, uniformly: 32-bit draws at or above the largest multiple of a
/// million below 2³² are drawn again.
fn new_code() -> Result<String> {
    const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000) - 1;
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>()?);
        if n <= LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// Six digits are quickly guessed offline from a plain digest: it is stored
/// keyed ([`Keys::keyed_hash`]), which keeps the codes out of backups and
/// logs; the 15 minutes and the tries keep them short-lived.
fn code_digest(account_id: i32, code: &str) -> String {
    sha256_hex(&[
        b"tessera-email-code:",
        account_id.to_string().as_bytes(),
        b":",
        code.as_bytes(),
    ])
}

fn code_mail(to: &str, username: &str, code: &str, purpose: Purpose, now: UnixTime, trail: &Trail) -> Mail {
    let facts = Circumstances::new(now, trail.ip(), trail.user_agent());
    let minutes = VALID_FOR / 60;
    let (what, who) = match purpose {
        Purpose::Login => ("login code", "Someone entered your password and asked for this code:"),
        Purpose::Confirm => (
            "confirmation code",
            "Someone logged in as you asked for this code, to confirm a change such as a new app password:",
        ),
    };
    let text = format!(
        "Your {what} for {username}: {code}\n\n\
         It is valid for {minutes} minutes and works once.\n\n\
         {who}\n{}\n\n\
         Nobody from support will ever ask you for this code. If this wasn't you, do not give it to anyone \
         and change your password.\n",
        facts.text(),
    );
    let html = html_page(&format!(
        "<p>Your {what} for {}:</p>\
         <p style=\"font-size:2em;letter-spacing:.2em;font-weight:bold\">{code}</p>\
         <p>It is valid for {minutes} minutes and works once.</p>\
         <p>{who}<br>{}</p>\
         <p>Nobody from support will ever ask you for this code. If this wasn't you, do not give it to anyone \
         and change your password.</p>",
        escape_html(username),
        facts.html(),
    ));
    let subject = match purpose {
        Purpose::Login => format!("Your login code: {code}"),
        Purpose::Confirm => format!("Your confirmation code: {code}"),
    };
    Mail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() -> Result<()> {
        let codes: Vec<String> = (0..50).map(|_| new_code()).collect::<Result<_>>()?;
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 40, "{codes:?}");
        Ok(())
    }

    #[test]
    fn the_mail_says_when_and_where_and_warns_about_support() {
        let trail = Trail::new(Some("203.0.113.9".to_owned()), Some("Firefox <b>"));
        let mail = code_mail(
            "owner@example.com",
            "c10001",
            "482913",
            Purpose::Login,
            1_800_000_000,
            &trail,
        );
        assert!(mail.text.starts_with("Your login code for c10001: 482913"));
        assert!(mail.text.contains("2027-01-15 08:00 UTC"));
        assert!(mail.text.contains("203.0.113.9"));
        assert!(
            mail.text
                .contains("Nobody from support will ever ask you for this code")
        );
        assert!(mail.html.contains("Firefox &lt;b&gt;"));
        let confirm = code_mail(
            "owner@example.com",
            "c10001",
            "482913",
            Purpose::Confirm,
            1_800_000_000,
            &trail,
        );
        assert!(
            confirm.subject.starts_with("Your confirmation code: 482913"),
            "{}",
            confirm.subject
        );
    }

    #[test]
    fn hashes_depend_on_the_account() {
        assert_ne!(code_digest(1, "123456"), code_digest(2, "123456"));
        assert_eq!(code_digest(1, "123456").len(), 64);
    }
}
