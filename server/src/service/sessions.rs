//! Server-side sessions. The browser holds an opaque random token; the
//! database holds only its SHA-256, the account, the stage, and for the
//! owner's list where it logged in from and when it was last used.
//!
//! A full session ends [`FULL_TTL`] after the login (NIST SP 800-63B's AAL2
//! reauthentication), or sooner after `idle` seconds without a request
//! (`--session-idle-minutes`, 30 by default); the last use is written at
//! most once a minute ([`TOUCH_EVERY`]).

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use subtle::ConstantTimeEq;

use super::audit::Trail;
use super::{Result, random_bytes, sha256_hex};
use crate::clock::UnixTime;
use crate::entity::session;

/// How long a password-checked login waits for its code: as long as an
/// e-mailed code is valid.
pub const PENDING_TTL: i64 = super::email_codes::VALID_FOR;
/// How long a full session lasts at most.
pub const FULL_TTL: i64 = 12 * 60 * 60;
/// The idle timeout unless configured.
pub const DEFAULT_IDLE: i64 = 30 * 60;
/// Seconds between two writes of a session's last use.
pub const TOUCH_EVERY: i64 = 60;
/// Characters of the token's hash that name a session in its owner's list.
const ID_LEN: usize = 16;

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is still to come.
    PendingMfa,
    /// Logged in.
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::PendingMfa => "pending_mfa",
            Self::Full => "full",
        }
    }

    fn ttl(self) -> i64 {
        match self {
            Self::PendingMfa => PENDING_TTL,
            Self::Full => FULL_TTL,
        }
    }
}

/// The secret the session cookie carries: 256 random bits, hex.
#[derive(Clone)]
pub struct SessionToken(String);

impl SessionToken {
    fn generate() -> Result<Self> {
        Ok(Self(hex::encode(random_bytes::<32>()?)))
    }

    /// A token as it came from a cookie; `None` if it cannot be one of ours.
    pub fn from_cookie(value: &str) -> Option<Self> {
        (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        sha256_hex(&[self.0.as_bytes()])
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(****)")
    }
}

/// A live session, as found from its token.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: SessionToken,
    pub account_id: i32,
    pub stage: Stage,
    pub code_failures: i32,
    /// Logged in with a recovery code (and the app not moved since).
    pub via_recovery_code: bool,
    pub expires_at: UnixTime,
    pub last_seen_at: UnixTime,
}

/// The name in its owner's list of the session `token` opens.
pub fn public_id_of(token: &SessionToken) -> String {
    public_id(&token.hash())
}

/// A session's name in its owner's list: the start of its token's hash,
/// which says nothing about the token.
pub fn public_id(token_hash: &str) -> String {
    token_hash[..ID_LEN.min(token_hash.len())].to_owned()
}

/// A new session; `via_recovery_code` when its login used one. `trail`
/// says where it logs in from, for its owner's list.
pub async fn create(
    db: &impl ConnectionTrait,
    account_id: i32,
    stage: Stage,
    via_recovery_code: bool,
    now: UnixTime,
    trail: &Trail,
) -> Result<SessionToken> {
    let token = SessionToken::generate()?;
    session::ActiveModel {
        token_hash: Set(token.hash()),
        account_id: Set(account_id),
        stage: Set(stage.as_str().to_owned()),
        code_failures: Set(0),
        via_recovery_code: Set(via_recovery_code),
        created_at: Set(now),
        expires_at: Set(now + stage.ttl()),
        last_seen_at: Set(now),
        ip: Set(trail.ip().map(str::to_owned)),
        user_agent: Set(trail.user_agent().map(|ua| ua.chars().take(512).collect())),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// A pending login's session becomes a full one under a new token: the one
/// the browser held before its code opens nothing any more. `None` when the
/// pending session is gone (another request finished or ended the login).
pub async fn promote(
    db: &impl ConnectionTrait,
    pending: &Session,
    via_recovery_code: bool,
    now: UnixTime,
) -> Result<Option<SessionToken>> {
    let token = SessionToken::generate()?;
    let promoted = session::Entity::update_many()
        .col_expr(session::Column::TokenHash, Expr::value(token.hash()))
        .col_expr(session::Column::Stage, Expr::value(Stage::Full.as_str()))
        .col_expr(session::Column::CodeFailures, Expr::value(0))
        .col_expr(session::Column::ViaRecoveryCode, Expr::value(via_recovery_code))
        .col_expr(session::Column::CreatedAt, Expr::value(now))
        .col_expr(session::Column::ExpiresAt, Expr::value(now + Stage::Full.ttl()))
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::TokenHash.eq(pending.token.hash()))
        .filter(session::Column::Stage.eq(Stage::PendingMfa.as_str()))
        .exec(db)
        .await?;
    Ok((promoted.rows_affected == 1).then_some(token))
}

/// The unexpired session behind `token`, if any: a full one also ends
/// `idle` seconds after its last use.
pub async fn find(
    db: &impl ConnectionTrait,
    token: &SessionToken,
    now: UnixTime,
    idle: i64,
) -> Result<Option<Session>> {
    let hash = token.hash();
    let Some(row) = session::Entity::find_by_id(hash.clone()).one(db).await? else {
        return Ok(None);
    };
    // The lookup was by hash already; compare again in constant time so that
    // no database index timing ever decides alone.
    if !bool::from(row.token_hash.as_bytes().ct_eq(hash.as_bytes())) || row.expires_at <= now {
        return Ok(None);
    }
    let stage = match row.stage.as_str() {
        "full" => Stage::Full,
        "pending_mfa" => Stage::PendingMfa,
        _ => return Ok(None),
    };
    if stage == Stage::Full && row.last_seen_at + idle <= now {
        return Ok(None);
    }
    Ok(Some(Session {
        token: token.clone(),
        account_id: row.account_id,
        stage,
        code_failures: row.code_failures,
        via_recovery_code: row.via_recovery_code,
        expires_at: row.expires_at,
        last_seen_at: row.last_seen_at,
    }))
}

/// Notes a request of `session`: its last use moves to `now`, written at
/// most once per [`TOUCH_EVERY`] (one conditional UPDATE, so concurrent
/// requests write it once).
pub async fn touch(db: &impl ConnectionTrait, session: &Session, now: UnixTime) -> Result<()> {
    if now - session.last_seen_at < TOUCH_EVERY {
        return Ok(());
    }
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::TokenHash.eq(session.token.hash()))
        .filter(session::Column::LastSeenAt.lte(now - TOUCH_EVERY))
        .exec(db)
        .await?;
    Ok(())
}

/// The live full sessions of an account, most recently used first.
pub async fn list(db: &impl ConnectionTrait, account_id: i32, now: UnixTime, idle: i64) -> Result<Vec<session::Model>> {
    Ok(session::Entity::find()
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::Stage.eq(Stage::Full.as_str()))
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(now - idle))
        .order_by_desc(session::Column::LastSeenAt)
        .order_by_desc(session::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Ends the session of `account_id` that its list names `id`; answers
/// whether there was one.
pub async fn delete_listed(db: &impl ConnectionTrait, account_id: i32, id: &str) -> Result<bool> {
    if id.len() != ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let done = session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::TokenHash.starts_with(id.to_ascii_lowercase()))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

pub async fn delete(db: &impl ConnectionTrait, token: &SessionToken) -> Result<()> {
    session::Entity::delete_by_id(token.hash()).exec(db).await?;
    Ok(())
}

/// Ends every session of an account (e.g. when its second factor changes hands).
pub async fn delete_all_for(db: &impl ConnectionTrait, account_id: i32) -> Result<()> {
    session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of an account but `keep` (the one that asked);
/// answers how many.
pub async fn delete_all_others(db: &impl ConnectionTrait, account_id: i32, keep: &SessionToken) -> Result<u64> {
    let done = session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::TokenHash.ne(keep.hash()))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Ends the sessions a change made by `keep`'s owner leaves stale: all but
/// `keep`, or all of them when the change came without a session of the
/// account (an owner, an administrator, a set-up link).
pub async fn end_others(db: &impl ConnectionTrait, account_id: i32, keep: Option<&SessionToken>) -> Result<()> {
    match keep {
        Some(keep) => delete_all_others(db, account_id, keep).await.map(drop),
        None => delete_all_for(db, account_id).await,
    }
}

/// After the app moved to a new phone (or a new one was set up), no session
/// of the account needs the offer to move it any more.
pub async fn forget_recovery_code_logins(db: &impl ConnectionTrait, account_id: i32) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::ViaRecoveryCode, Expr::value(false))
        .filter(session::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_expired(db: &impl ConnectionTrait, now: UnixTime, idle: i64) -> Result<u64> {
    let done = session::Entity::delete_many()
        .filter(
            Condition::any().add(session::Column::ExpiresAt.lte(now)).add(
                Condition::all()
                    .add(session::Column::Stage.eq(Stage::Full.as_str()))
                    .add(session::Column::LastSeenAt.lte(now - idle)),
            ),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Counts a wrong code against a pending login; returns the new count.
pub async fn count_code_failure(db: &impl ConnectionTrait, session: &Session) -> Result<i32> {
    use sea_orm::sea_query::ExprTrait as _;
    session::Entity::update_many()
        .col_expr(
            session::Column::CodeFailures,
            Expr::col(session::Column::CodeFailures).add(1),
        )
        .filter(session::Column::TokenHash.eq(session.token.hash()))
        .exec(db)
        .await?;
    // Read back: concurrent wrong codes must each see the others' counts.
    let row = session::Entity::find_by_id(session.token.hash()).one(db).await?;
    Ok(row.map_or(i32::MAX, |r| r.code_failures))
}
