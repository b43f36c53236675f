//! Accounts: who can log in, of which kind, owned by which customer.

use app::domain::{AccountKind, NewPassword, Username};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};
use secrecy::SecretString;

use super::{PasswordHasher, Result, ServiceError};
use crate::clock::UnixTime;
use crate::entity::account;

/// A login to be created.
#[derive(Debug)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub username: Username,
    pub password: NewPassword,
    /// The customer a package or mailbox login belongs to.
    pub owner: Option<Username>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    hasher: &PasswordHasher,
    new: NewAccount,
    now: UnixTime,
) -> Result<account::Model> {
    let owner_id = match (new.kind, new.owner) {
        (AccountKind::Package | AccountKind::Mailbox, Some(owner)) => {
            let owner = find_by_username(db, &owner).await?;
            match owner {
                Some(o) if o.kind == AccountKind::Customer.as_str() => Some(o.id),
                Some(_) => return Err(ServiceError::InvalidOwner("The owner must be a customer login.")),
                None => return Err(ServiceError::InvalidOwner("There is no customer login of that name.")),
            }
        }
        (AccountKind::Package | AccountKind::Mailbox, None) => {
            return Err(ServiceError::InvalidOwner(
                "A package or mailbox login needs an owner (--owner CUSTOMER).",
            ));
        }
        (AccountKind::Customer | AccountKind::Admin, Some(_)) => {
            return Err(ServiceError::InvalidOwner(
                "Only package and mailbox logins have an owner.",
            ));
        }
        (AccountKind::Customer | AccountKind::Admin, None) => None,
    };
    let password_hash = hasher
        .hash(SecretString::from(new.password.expose().to_owned()))
        .await?;
    account::ActiveModel {
        kind: Set(new.kind.as_str().to_owned()),
        username: Set(new.username.as_str().to_owned()),
        owner_id: Set(owner_id),
        password_hash: Set(password_hash),
        totp_secret: Set(None),
        totp_pending_secret: Set(None),
        totp_last_step: Set(None),
        mfa_failures: Set(0),
        mfa_locked_until: Set(None),
        created_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ServiceError::UsernameTaken,
        _ => ServiceError::Database(e),
    })
}

pub async fn find_by_username(db: &impl ConnectionTrait, username: &Username) -> Result<Option<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::Username.eq(username.as_str()))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<account::Model> {
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::AccountNotFound)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<account::Model>> {
    Ok(account::Entity::find()
        .order_by_asc(account::Column::Username)
        .all(db)
        .await?)
}

/// The kind column as the domain type; a value outside the four is a bug.
pub fn kind_of(account: &account::Model) -> Result<AccountKind> {
    account
        .kind
        .parse()
        .map_err(|_| ServiceError::internal(format!("account {} has kind {:?}", account.id, account.kind)))
}
