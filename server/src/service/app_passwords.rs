//! App passwords: what a mailbox's mail clients log in with once it has 2FA.
//!
//! - Generated, never chosen: 120 bits from the OS CSPRNG
//!   ([`AppPasswordSecret`]), shown once.
//! - Stored as a keyed hash only ([`Keys::keyed_hash`] of a SHA-256). A slow
//!   hash (argon2) is for secrets people choose; 120 random bits cannot be
//!   guessed offline (ASVS 5.0 6.5.2), and mail clients reconnect all day,
//!   so a login is one indexed lookup of the hash and two SHA-256s ([`find`]).
//! - For some protocols, until revoked or expired; at most [`MAX_PER_LOGIN`].
//! - The last use is written at most once a minute; the first use from a
//!   client address it has not come from before is an event and a notice.

use std::collections::HashMap;

use app::domain::{
    AppPasswordName, AppPasswordSecret, MailProtocol, MailProtocols, SecurityEventKind as Event, Username,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, TransactionSession, TransactionTrait,
};
use subtle::ConstantTimeEq;

use super::audit::Trail;
use super::keys::Keys;
use super::{Result, ServiceError, random_bytes, sha256_hex};
use crate::clock::UnixTime;
use crate::entity::{account, app_password, app_password_address};

/// App passwords one login may have.
pub const MAX_PER_LOGIN: u64 = 20;
/// Seconds between two writes of an app password's last use.
pub const LAST_USE_EVERY: i64 = 60;

/// An app password to be created.
#[derive(Debug, Clone)]
pub struct NewAppPassword {
    pub name: AppPasswordName,
    pub protocols: MailProtocols,
    /// `None`: until revoked.
    pub lifetime_days: Option<u32>,
}

fn secret_digest(secret: &AppPasswordSecret) -> String {
    sha256_hex(&[b"tessera-app-password:", secret.canonical().as_bytes()])
}

/// The protocols of a stored row; a value outside the four is a bug.
pub fn protocols_of(row: &app_password::Model) -> Result<MailProtocols> {
    MailProtocols::from_stored(&row.protocols)
        .ok_or_else(|| ServiceError::internal(format!("app password {} has protocols {:?}", row.id, row.protocols)))
}

/// `"iPhone Mail" (IMAP, SMTP)`: how the log and the notices name one.
fn described(name: &str, protocols: &[MailProtocol]) -> String {
    let labels: Vec<&str> = protocols.iter().map(|p| p.label()).collect();
    format!("\u{201c}{name}\u{201d} ({})", labels.join(", "))
}

/// Creates an app password for `account`, a mailbox; answers it and its
/// secret, which is never stored or shown again. Whoever calls has checked
/// who may (the mailbox itself after re-authenticating, or its customer).
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    keys: &Keys,
    account: &account::Model,
    new: NewAppPassword,
    now: UnixTime,
    trail: &Trail,
) -> Result<(app_password::Model, AppPasswordSecret)> {
    let secret = AppPasswordSecret::from_indices(random_bytes()?);
    let txn = db.begin().await?;
    // Holds the account row for the rest of the transaction, so concurrent
    // creations count one after the other and the 21st is refused.
    account::Entity::update_many()
        .col_expr(account::Column::Id, Expr::col(account::Column::Id))
        .filter(account::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    // Expired ones are listed until revoked, but do not take a place.
    let existing = app_password::Entity::find()
        .filter(app_password::Column::AccountId.eq(account.id))
        .filter(
            Condition::any()
                .add(app_password::Column::ExpiresAt.is_null())
                .add(app_password::Column::ExpiresAt.gt(now)),
        )
        .count(&txn)
        .await?;
    if existing >= MAX_PER_LOGIN {
        return Err(ServiceError::TooManyAppPasswords);
    }
    let row = app_password::ActiveModel {
        account_id: Set(account.id),
        name: Set(new.name.as_str().to_owned()),
        protocols: Set(new.protocols.to_stored()),
        secret_hash: Set(keys.keyed_hash(&secret_digest(&secret))),
        created_at: Set(now),
        expires_at: Set(new.lifetime_days.map(|days| now + i64::from(days) * 86_400)),
        last_used_at: Set(None),
        last_used_protocol: Set(None),
        last_used_ip: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ServiceError::AppPasswordNameTaken,
        _ => ServiceError::Database(e),
    })?;
    let detail = described(&row.name, &new.protocols.to_vec());
    trail
        .record_detailed(&txn, Event::AppPasswordCreated, account, Some(detail), now)
        .await?;
    txn.commit().await?;
    Ok((row, secret))
}

/// A login's app passwords, newest first.
pub async fn list(db: &impl ConnectionTrait, account_id: i32) -> Result<Vec<app_password::Model>> {
    Ok(app_password::Entity::find()
        .filter(app_password::Column::AccountId.eq(account_id))
        .order_by_desc(app_password::Column::Id)
        .all(db)
        .await?)
}

/// How many app passwords each of `account_ids` has (absent: none).
pub async fn counts(db: &impl ConnectionTrait, account_ids: &[i32]) -> Result<HashMap<i32, u32>> {
    if account_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, i64)> = app_password::Entity::find()
        .select_only()
        .column(app_password::Column::AccountId)
        .column_as(app_password::Column::Id.count(), "n")
        .filter(app_password::Column::AccountId.is_in(account_ids.iter().copied()))
        .group_by(app_password::Column::AccountId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

/// Revokes one of `account`'s app passwords: from now on it opens nothing.
/// Another login's id is [`ServiceError::AppPasswordNotFound`], like one
/// that does not exist.
pub async fn revoke(
    db: &(impl ConnectionTrait + TransactionTrait),
    account: &account::Model,
    id: i32,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    let row = app_password::Entity::find_by_id(id)
        .filter(app_password::Column::AccountId.eq(account.id))
        .one(db)
        .await?
        .ok_or(ServiceError::AppPasswordNotFound)?;
    let txn = db.begin().await?;
    let deleted = delete(&txn, app_password::Column::Id.eq(row.id)).await?;
    if deleted == 0 {
        // A concurrent revocation got there first.
        return Err(ServiceError::AppPasswordNotFound);
    }
    let detail = format!("\u{201c}{}\u{201d}", row.name);
    trail
        .record_detailed(&txn, Event::AppPasswordRevoked, account, Some(detail), now)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Revokes every app password of `account`; answers how many there were.
/// Nothing to revoke is no event.
pub async fn revoke_all(
    db: &(impl ConnectionTrait + TransactionTrait),
    account: &account::Model,
    now: UnixTime,
    trail: &Trail,
) -> Result<u64> {
    let txn = db.begin().await?;
    let deleted = delete_all_for(&txn, account.id).await?;
    if deleted > 0 {
        trail
            .record_detailed(
                &txn,
                Event::AppPasswordRevoked,
                account,
                Some(all_revoked(deleted)),
                now,
            )
            .await?;
    }
    txn.commit().await?;
    Ok(deleted)
}

/// "all of them (3)": the detail of revoking every app password at once.
fn all_revoked(count: u64) -> String {
    format!("all of them ({count})")
}

/// The detail of a reset that revoked `count` app passwords as well.
pub fn revoked_too(count: u64) -> Option<String> {
    match count {
        0 => None,
        1 => Some("1 app password revoked".to_owned()),
        n => Some(format!("{n} app passwords revoked")),
    }
}

/// Deletes every app password of a login, inside the caller's transaction
/// (a reset, "This wasn't me"); answers how many.
pub(crate) async fn delete_all_for(db: &impl ConnectionTrait, account_id: i32) -> Result<u64> {
    delete(db, app_password::Column::AccountId.eq(account_id)).await
}

/// Deletes the app passwords `which` selects, and their addresses. Writes
/// first, reads never: a SQLite transaction that read before it wrote may
/// find its snapshot stale and fail when it writes.
async fn delete(db: &impl ConnectionTrait, which: sea_orm::sea_query::SimpleExpr) -> Result<u64> {
    use sea_orm::sea_query::Query;
    // The addresses go first: foreign keys may be off on an old SQLite file.
    app_password_address::Entity::delete_many()
        .filter(
            app_password_address::Column::AppPasswordId.in_subquery(
                Query::select()
                    .column(app_password::Column::Id)
                    .from(app_password::Entity)
                    .and_where(which.clone())
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    let done = app_password::Entity::delete_many().filter(which).exec(db).await?;
    Ok(done.rows_affected)
}

/// An app password that matched, with its login.
#[derive(Debug, Clone)]
pub struct Found {
    pub password: app_password::Model,
    pub account: account::Model,
}

/// The app password `secret` of the login `username`, if there is one: one
/// indexed lookup by the secret's hash under each key (its account joined),
/// then the hash compared again in constant time and the login's name
/// checked. One hashed under an older key is hashed again under the current
/// one here, the only time its secret is known, so a rotation can retire
/// the old key once every app password has been used.
pub async fn find(
    db: &impl ConnectionTrait,
    keys: &Keys,
    username: &Username,
    secret: &AppPasswordSecret,
) -> Result<Option<Found>> {
    let hashes = keys.keyed_hash_candidates(&secret_digest(secret));
    let found = app_password::Entity::find()
        .filter(app_password::Column::SecretHash.is_in(hashes.clone()))
        .find_also_related(account::Entity)
        .one(db)
        .await?;
    let Some((mut password, Some(account))) = found else {
        return Ok(None);
    };
    let matched = hashes
        .iter()
        .position(|hash| bool::from(password.secret_hash.as_bytes().ct_eq(hash.as_bytes())));
    if matched.is_none() || account.username != username.as_str() {
        return Ok(None);
    }
    if matched != Some(0) {
        app_password::Entity::update_many()
            .col_expr(app_password::Column::SecretHash, Expr::value(hashes[0].as_str()))
            .filter(app_password::Column::Id.eq(password.id))
            .filter(app_password::Column::SecretHash.eq(password.secret_hash.as_str()))
            .exec(db)
            .await?;
        password.secret_hash.clone_from(&hashes[0]);
    }
    Ok(Some(Found { password, account }))
}

/// Records a successful use: the last use at most once a minute, and the
/// first use from `ip` as an event and a notice (exactly once, even for
/// concurrent connections).
pub async fn note_use(
    db: &(impl ConnectionTrait + TransactionTrait),
    found: &Found,
    protocol: MailProtocol,
    ip: Option<&str>,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    let row = &found.password;
    // The address first: if recording it fails, the last use still names
    // the address before, so the next connection tries again.
    if let Some(ip) = ip
        && row.last_used_ip.as_deref() != Some(ip)
    {
        note_address(db, found, protocol, ip, now, trail).await?;
    }
    let stale = row.last_used_at.is_none_or(|at| at <= now - LAST_USE_EVERY);
    if stale {
        app_password::Entity::update_many()
            .col_expr(app_password::Column::LastUsedAt, Expr::value(now))
            .col_expr(app_password::Column::LastUsedProtocol, Expr::value(protocol.as_str()))
            .col_expr(app_password::Column::LastUsedIp, Expr::value(ip))
            .filter(app_password::Column::Id.eq(row.id))
            .filter(
                Condition::any()
                    .add(app_password::Column::LastUsedAt.is_null())
                    .add(app_password::Column::LastUsedAt.lte(now - LAST_USE_EVERY)),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The first use of an app password from `ip` is an event and a notice
/// (exactly once, even for concurrent connections); later ones are nothing.
async fn note_address(
    db: &(impl ConnectionTrait + TransactionTrait),
    found: &Found,
    protocol: MailProtocol,
    ip: &str,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    let row = &found.password;
    let known = app_password_address::Entity::find_by_id((row.id, ip.to_owned()))
        .one(db)
        .await?
        .is_some();
    if known {
        return Ok(());
    }
    let txn = db.begin().await?;
    let inserted = app_password_address::Entity::insert(app_password_address::ActiveModel {
        app_password_id: Set(row.id),
        ip: Set(ip.to_owned()),
        first_used_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            app_password_address::Column::AppPasswordId,
            app_password_address::Column::Ip,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 1 {
        let detail = described(&row.name, &[protocol]);
        trail
            .record_detailed(&txn, Event::AppPasswordNewAddress, &found.account, Some(detail), now)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
