//! Accounts: who can log in, of which kind, owned by which customer.

use std::collections::HashMap;

use app::api::{AccountFilter, MfaState};
use app::domain::{AccountKind, EmailAddress, NewPassword, SecurityEventKind, Username};
use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    SqlErr, TransactionTrait,
};
use secrecy::SecretString;

use super::audit::Trail;
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
    /// Where e-mailed codes and security notices go.
    pub email: Option<EmailAddress>,
    /// Whether e-mailed codes are its second factor from the start (they
    /// need an address).
    pub email_codes: bool,
}

pub async fn create(
    db: &impl ConnectionTrait,
    hasher: &PasswordHasher,
    new: NewAccount,
    now: UnixTime,
) -> Result<account::Model> {
    new.kind.check_username(&new.username)?;
    if let Some(email) = &new.email {
        // The one rule `EmailAddress::for_login` adds: checked again here for
        // callers that parsed the address alone.
        EmailAddress::for_login(email.as_str(), new.kind, &new.username)?;
    }
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
        email_codes: Set(new.email_codes && new.email.is_some()),
        email: Set(new.email.map(|e| e.as_str().to_owned())),
        email_code_hash: Set(None),
        email_code_expires_at: Set(None),
        email_code_sent_at: Set(None),
        email_code_failures: Set(0),
        flagged_at: Set(None),
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

/// Logins one list answer holds at most.
pub const MAX_LISTED: u64 = 200;

/// Why the caller may act on another login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The customer the package or mailbox login belongs to.
    Owner,
    /// Provider staff: sees every login, may switch its 2FA off.
    Admin,
}

/// Another login, and why the caller may act on it.
#[derive(Debug, Clone)]
pub struct Managed {
    pub account: account::Model,
    pub authority: Authority,
}

/// The login `id` as `actor` may manage it. A login the actor may not see is
/// [`ServiceError::AccountNotFound`], exactly like one that does not exist, so
/// ids cannot be probed.
pub async fn managed_by(db: &impl ConnectionTrait, actor: &account::Model, id: i32) -> Result<Managed> {
    let account = get(db, id).await?;
    let authority = match kind_of(actor)? {
        AccountKind::Admin => Authority::Admin,
        AccountKind::Customer if account.owner_id == Some(actor.id) => Authority::Owner,
        _ => return Err(ServiceError::AccountNotFound),
    };
    Ok(Managed { account, authority })
}

/// Logins whose second factor is e-mailed codes (no app): with mail off,
/// their password alone opens them.
pub async fn count_on_email_codes(db: &impl ConnectionTrait) -> Result<u64> {
    use sea_orm::PaginatorTrait as _;
    Ok(account::Entity::find()
        .filter(account::Column::TotpSecret.is_null())
        .filter(account::Column::EmailCodes.eq(true))
        .filter(account::Column::Email.is_not_null())
        .count(db)
        .await?)
}

/// Clears a "This wasn't me" flag once its customer or an administrator has
/// looked into it; the log records who.
pub async fn dismiss_flag(
    db: &(impl ConnectionTrait + TransactionTrait),
    target: &Managed,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    let cleared = account::Entity::update_many()
        .col_expr(account::Column::FlaggedAt, Expr::value(Option::<i64>::None))
        .filter(account::Column::Id.eq(target.account.id))
        .filter(account::Column::FlaggedAt.is_not_null())
        .exec(db)
        .await?;
    if cleared.rows_affected != 1 {
        return Err(ServiceError::NotFlagged);
    }
    trail
        .record(db, SecurityEventKind::ReportDismissed, &target.account, now)
        .await
}

/// Whether `actor` manages any other login: administrators and customers do,
/// package and mailbox logins do not.
pub fn manages_others(actor: &account::Model) -> Result<bool> {
    Ok(matches!(kind_of(actor)?, AccountKind::Admin | AccountKind::Customer))
}

/// The logins `actor` manages that match `filter`, by username: every login
/// for an administrator, its packages and mailboxes for a customer. Package
/// and mailbox logins manage none ([`ServiceError::AccountNotFound`]).
/// The flag says more matched than [`MAX_LISTED`].
pub async fn list_managed(
    db: &impl ConnectionTrait,
    actor: &account::Model,
    filter: &AccountFilter,
) -> Result<(Vec<account::Model>, bool)> {
    let mut query = account::Entity::find();
    match kind_of(actor)? {
        AccountKind::Admin => {}
        AccountKind::Customer => query = query.filter(account::Column::OwnerId.eq(actor.id)),
        AccountKind::Package | AccountKind::Mailbox => return Err(ServiceError::AccountNotFound),
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // Usernames are stored in lower case. `contains` would pass `_` and
        // `%` on as LIKE wildcards (`q=_` listed every login).
        let pattern = format!("%{}%", escape_like(&q.to_ascii_lowercase()));
        query = query.filter(account::Column::Username.like(LikeExpr::new(pattern).escape(LIKE_ESCAPE)));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(account::Column::Kind.eq(kind.as_str()));
    }
    query = match filter.mfa {
        None => query,
        Some(MfaState::On) => query.filter(account::Column::TotpSecret.is_not_null()),
        Some(MfaState::Pending) => query
            .filter(account::Column::TotpSecret.is_null())
            .filter(account::Column::TotpPendingSecret.is_not_null()),
        Some(MfaState::Email) => query
            .filter(account::Column::TotpSecret.is_null())
            .filter(account::Column::TotpPendingSecret.is_null())
            .filter(account::Column::EmailCodes.eq(true))
            .filter(account::Column::Email.is_not_null()),
        Some(MfaState::Off) => query
            .filter(account::Column::TotpSecret.is_null())
            .filter(account::Column::TotpPendingSecret.is_null())
            .filter(
                Condition::any()
                    .add(account::Column::EmailCodes.eq(false))
                    .add(account::Column::Email.is_null()),
            ),
    };
    let mut accounts = query
        .order_by_asc(account::Column::Username)
        .limit(MAX_LISTED + 1)
        .all(db)
        .await?;
    let truncated = accounts.len() as u64 > MAX_LISTED;
    accounts.truncate(MAX_LISTED as usize);
    Ok((accounts, truncated))
}

/// The escape character of [`escape_like`]'s patterns.
const LIKE_ESCAPE: char = '\\';

/// `text` as a LIKE pattern that matches exactly it: `%`, `_` and the
/// escape character itself lose their meaning.
fn escape_like(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(c);
    }
    pattern
}

/// The usernames of the owners of `accounts`, by id, in one query.
pub async fn owner_names(db: &impl ConnectionTrait, accounts: &[account::Model]) -> Result<HashMap<i32, String>> {
    let mut ids: Vec<i32> = accounts.iter().filter_map(|a| a.owner_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|owner| (owner.id, owner.username))
        .collect())
}

/// Where a login's second factor stands, as configured (whether this server
/// sends mail aside).
pub fn mfa_state(account: &account::Model) -> MfaState {
    match (&account.totp_secret, &account.totp_pending_secret) {
        (Some(_), _) => MfaState::On,
        (None, Some(_)) => MfaState::Pending,
        (None, None) if account.email_codes && account.email.is_some() => MfaState::Email,
        (None, None) => MfaState::Off,
    }
}

/// The kind column as the domain type; a value outside the four is a bug.
pub fn kind_of(account: &account::Model) -> Result<AccountKind> {
    account
        .kind
        .parse()
        .map_err(|_| ServiceError::internal(format!("account {} has kind {:?}", account.id, account.kind)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_and_the_escape_character_literally() {
        assert_eq!(escape_like("web1.c10001"), "web1.c10001");
        assert_eq!(escape_like("a_b%c\\d"), "a\\_b\\%c\\\\d");
    }
}
