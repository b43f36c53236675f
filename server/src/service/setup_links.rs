//! "E-mail a set-up link": a customer sends one of its package or mailbox
//! logins a single-use link, to the login's contact address and valid
//! [`VALID_FOR`], with which the login's user sets up an authenticator app on
//! their own phone. The customer relays no QR code and no 6-digit code.
//!
//! The link alone opens nothing: the set-up also needs the login's own
//! password, so a forwarded or intercepted mail is not a way in. The token
//! (256 random bits) is in the link's fragment, which browsers never send to
//! a server or in a `Referer`; only its SHA-256 is stored, in the `accounts`
//! row (one live link per login: a new one replaces it). It is used up once a
//! code from the app has switched 2FA on.

use app::domain::{OtpCode, RecoveryCode, SecurityEventKind as Event, mask_email};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use secrecy::SecretString;

use super::audit::Trail;
use super::mail::{Mail, Mailer, escape_html, html_page};
use super::mfa::{self, TotpSetup};
use super::totp::Totp;
use super::{PasswordHasher, Result, ServiceError, random_bytes, sha256_hex};
use crate::clock::UnixTime;
use crate::entity::account;

/// Seconds a link works.
pub const VALID_FOR: i64 = 24 * 60 * 60;

/// A link on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The contact address, mostly hidden.
    pub to: String,
}

/// Sends `login` a new link (voiding the one before), for its user to set up
/// the app; `by` is the customer asking. The link is stored before the mail
/// leaves and voided again if the mail server does not take it; with mail
/// off (`mailer` is `None`) it is [`ServiceError::MailUnavailable`].
pub async fn send(
    db: &DatabaseConnection,
    mailer: Option<&Mailer>,
    links_base: &str,
    login: &account::Model,
    by: &account::Model,
    now: UnixTime,
    trail: &Trail,
) -> Result<Sent> {
    if login.totp_secret.is_some() {
        return Err(ServiceError::TotpAlreadyEnabled);
    }
    let to = login.email.clone().ok_or(ServiceError::NoContactAddress)?;
    let mailer = mailer.ok_or(ServiceError::MailUnavailable)?;
    let token = hex::encode(random_bytes::<32>()?);
    let hash = link_hash(&token);
    account::Entity::update_many()
        .col_expr(account::Column::SetupLinkHash, Expr::value(hash.as_str()))
        .col_expr(account::Column::SetupLinkExpiresAt, Expr::value(now + VALID_FOR))
        .filter(account::Column::Id.eq(login.id))
        .exec(db)
        .await?;
    let mail = link_mail(
        &to,
        &login.username,
        &by.username,
        &format!("{links_base}/setup#{token}"),
    );
    if let Err(error) = mailer.send(&mail).await {
        tracing::warn!(account = login.username, %error, "set-up link not sent");
        void(db, login.id, &hash).await?;
        return Err(ServiceError::MailUnavailable);
    }
    trail.record(db, Event::SetupLinkSent, login, now).await?;
    Ok(Sent { to: mask_email(&to) })
}

/// The login a live link belongs to; [`ServiceError::LinkNotFound`] for a
/// link that is malformed, used, replaced or expired.
async fn login_of(db: &impl ConnectionTrait, token: &str, now: UnixTime) -> Result<(account::Model, String)> {
    let token = token.trim().to_ascii_lowercase();
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::LinkNotFound);
    }
    let hash = link_hash(&token);
    let login = account::Entity::find()
        .filter(account::Column::SetupLinkHash.eq(hash.as_str()))
        .filter(account::Column::SetupLinkExpiresAt.gt(now))
        .one(db)
        .await?
        .ok_or(ServiceError::LinkNotFound)?;
    Ok((login, hash))
}

/// Step one, from the link: the login's own password, then a new secret as
/// My Account's set-up gives one.
pub async fn start(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    totp: &Totp,
    token: &str,
    password: SecretString,
    now: UnixTime,
) -> Result<(account::Model, TotpSetup)> {
    let (login, _) = login_of(db, token, now).await?;
    let setup = mfa::setup(db, hasher, totp, &login, &login, password).await?;
    Ok((login, setup))
}

/// Step two: the first code from the app switches 2FA on (with the rules
/// and throttle of [`mfa::activate`]) and uses the link up.
pub async fn finish(
    db: &DatabaseConnection,
    totp: &Totp,
    token: &str,
    code: &OtpCode,
    now: UnixTime,
    trail: &Trail,
) -> Result<(account::Model, Vec<RecoveryCode>)> {
    let (login, hash) = login_of(db, token, now).await?;
    let codes = mfa::activate(db, totp, &login, None, code, now, trail).await?;
    void(db, login.id, &hash).await?;
    Ok((login, codes))
}

/// Voids the link `hash`, unless a newer one replaced it meanwhile.
async fn void(db: &impl ConnectionTrait, account_id: i32, hash: &str) -> Result<()> {
    account::Entity::update_many()
        .col_expr(account::Column::SetupLinkHash, Expr::value(Option::<String>::None))
        .col_expr(account::Column::SetupLinkExpiresAt, Expr::value(Option::<i64>::None))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::SetupLinkHash.eq(hash))
        .exec(db)
        .await?;
    Ok(())
}

fn link_hash(token: &str) -> String {
    sha256_hex(&[b"tessera-setup-link:", token.as_bytes()])
}

fn link_mail(to: &str, username: &str, customer: &str, link: &str) -> Mail {
    let hours = VALID_FOR / 3600;
    let text = format!(
        "Set up two-factor authentication for {username}\n\n\
         {customer} asks you to protect the login {username} with an authenticator app on your phone.\n\n\
         Open this link within {hours} hours; it works once:\n{link}\n\n\
         You will need the password of {username}. Then scan the QR code with your authenticator app \
         (or open it on the same phone) and enter the 6-digit code it shows.\n\n\
         If you did not expect this mail, ignore it: without the password the link opens nothing.\n"
    );
    let html = html_page(&format!(
        "<p><strong>Set up two-factor authentication for {user}</strong></p>\
         <p>{customer} asks you to protect the login {user} with an authenticator app on your phone.</p>\
         <p><a href=\"{href}\">Set up two-factor authentication</a> (within {hours} hours; the link works once)</p>\
         <p>You will need the password of {user}. Then scan the QR code with your authenticator app \
         (or open it on the same phone) and enter the 6-digit code it shows.</p>\
         <p>If you did not expect this mail, ignore it: without the password the link opens nothing.</p>",
        user = escape_html(username),
        customer = escape_html(customer),
        href = escape_html(link),
    ));
    Mail {
        to: to.to_owned(),
        subject: format!("Set up two-factor authentication for {username}"),
        text,
        html,
    }
}
