//! A login's new password: by its user in My Account (the current password
//! and a current second factor first), or by an operator at the command
//! line. Either way the other sessions end and the contact address is told.

use app::domain::{NewPassword, SecondFactor, SecurityEventKind as Event};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use secrecy::SecretString;

use super::audit::Trail;
use super::sessions::{self, SessionToken};
use super::totp::Totp;
use super::{PasswordHasher, Result, ServiceError, mfa};
use crate::clock::UnixTime;
use crate::entity::account;

/// What a user gives to change its password.
pub struct Change<'a> {
    pub current: SecretString,
    /// A current second factor, when the login has one.
    pub code: Option<&'a SecondFactor>,
    pub new: &'a NewPassword,
}

/// The user's own change: `keep` (the session asking) stays logged in.
#[allow(clippy::too_many_arguments)]
pub async fn change(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    totp: &Totp,
    account: &account::Model,
    keep: &SessionToken,
    change: Change<'_>,
    mail_on: bool,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    {
        use secrecy::ExposeSecret as _;
        if change.current.expose_secret() == change.new.expose() {
            return Err(ServiceError::SamePassword);
        }
    }
    mfa::reauthenticate(
        db,
        hasher,
        totp,
        account,
        change.current,
        change.code,
        mail_on,
        now,
        trail,
    )
    .await?;
    store(db, hasher, account, change.new, Some(keep), now, trail).await
}

/// `tessera account set-password`: every session of the login ends.
pub async fn set_by_operator(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    account: &account::Model,
    new: &NewPassword,
    now: UnixTime,
) -> Result<()> {
    store(db, hasher, account, new, None, now, &Trail::command_line()).await
}

async fn store(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    account: &account::Model,
    new: &NewPassword,
    keep: Option<&SessionToken>,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    let hash = hasher.hash(SecretString::from(new.expose().to_owned())).await?;
    let txn = db.begin().await?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash))
        .filter(account::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    // Whoever knew the old password may be logged in somewhere.
    sessions::end_others(&txn, account.id, keep).await?;
    trail.record(&txn, Event::PasswordChanged, account, now).await?;
    txn.commit().await?;
    Ok(())
}
