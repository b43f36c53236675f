//! The security log: who did what to which login, when, from where.
//!
//! Every event is also written to the `security` tracing target, so operators
//! who ship logs elsewhere see the same stream.

use app::domain::SecurityEventKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};

use super::Result;
use crate::clock::UnixTime;
use crate::entity::{account, security_event};

/// The most events one page of the log holds.
pub const MAX_PAGE: u64 = 500;
/// Events shown under My Account.
pub const OWN_RECENT: u64 = 20;

/// The longest user agent kept; the rest is cut.
const USER_AGENT_CHARS: usize = 512;
/// The longest detail kept (the column's size).
const DETAIL_CHARS: usize = 128;

/// Who acts and from where: stamped on every event one request causes.
#[derive(Debug, Clone, Default)]
pub struct Trail {
    /// `None` when the login acts on itself (or nobody is logged in yet).
    actor: Option<Actor>,
    ip: Option<String>,
    user_agent: Option<String>,
}

#[derive(Debug, Clone)]
struct Actor {
    id: Option<i32>,
    name: String,
}

impl Trail {
    pub fn new(ip: Option<String>, user_agent: Option<&str>) -> Self {
        Self {
            actor: None,
            ip,
            user_agent: user_agent.map(|ua| ua.chars().take(USER_AGENT_CHARS).collect()),
        }
    }

    /// Events from here on were caused by `actor` (a customer or an
    /// administrator acting on another login).
    pub fn acting(mut self, actor: &account::Model) -> Self {
        self.actor = Some(Actor {
            id: Some(actor.id),
            name: actor.username.clone(),
        });
        self
    }

    /// An operator at the command line.
    pub fn command_line() -> Self {
        Self {
            actor: Some(Actor {
                id: None,
                name: "command line".to_owned(),
            }),
            ..Self::default()
        }
    }

    /// Records `kind` for `account`, and queues the notice it warrants: both
    /// or neither (a transaction, or a savepoint inside the caller's).
    pub async fn record(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        kind: SecurityEventKind,
        account: &account::Model,
        now: UnixTime,
    ) -> Result<()> {
        self.record_detailed(db, kind, account, None, now).await
    }

    /// [`Self::record`], with what the event is about beyond its kind (an
    /// app password's name, say): in the log and in the notice.
    pub async fn record_detailed(
        &self,
        db: &(impl ConnectionTrait + TransactionTrait),
        kind: SecurityEventKind,
        account: &account::Model,
        detail: Option<String>,
        now: UnixTime,
    ) -> Result<()> {
        if !super::notices::is_notice(kind) {
            // One insert: no transaction needed (logins record one each).
            return self
                .insert(db, kind, Some(account.id), &account.username, detail, now)
                .await;
        }
        let recovery_codes_left = match kind {
            SecurityEventKind::RecoveryCodeUsed => Some(super::mfa::recovery_codes_left(db, account.id).await?),
            _ => None,
        };
        let details = super::notices::Details {
            username: account.username.clone(),
            at: now,
            actor: self.actor_other_than(Some(account.id)).map(|a| a.name.clone()),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            recovery_codes_left,
            email_codes_after: account.email_codes && account.email.is_some(),
            detail: detail.clone(),
        };
        let txn = db.begin().await?;
        self.insert(&txn, kind, Some(account.id), &account.username, detail, now)
            .await?;
        super::notices::queue(&txn, kind, account, details).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The request's address, for mails that say where something happened.
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }

    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// The actor, unless it is the login itself: acting on oneself is not
    /// worth a second name.
    fn actor_other_than(&self, account_id: Option<i32>) -> Option<&Actor> {
        self.actor.as_ref().filter(|a| a.id.is_none() || a.id != account_id)
    }

    /// Records `kind` under a name that was typed, which may or may not be a
    /// login (a failed login).
    pub async fn record_name(
        &self,
        db: &impl ConnectionTrait,
        kind: SecurityEventKind,
        username: &str,
        account: Option<&account::Model>,
        now: UnixTime,
    ) -> Result<()> {
        self.insert(db, kind, account.map(|a| a.id), username, None, now).await
    }

    async fn insert(
        &self,
        db: &impl ConnectionTrait,
        kind: SecurityEventKind,
        account_id: Option<i32>,
        username: &str,
        detail: Option<String>,
        now: UnixTime,
    ) -> Result<()> {
        let actor = self.actor_other_than(account_id);
        tracing::info!(
            target: "security",
            event = kind.as_str(),
            account = username,
            actor = actor.map(|a| a.name.as_str()),
            ip = self.ip.as_deref(),
            detail = detail.as_deref(),
        );
        security_event::ActiveModel {
            at: Set(now),
            event: Set(kind.as_str().to_owned()),
            account_id: Set(account_id),
            account_username: Set(Some(username.chars().take(254).collect())),
            actor_id: Set(actor.and_then(|a| a.id)),
            actor: Set(actor.map(|a| a.name.clone())),
            ip: Set(self.ip.clone()),
            user_agent: Set(self.user_agent.clone()),
            detail: Set(detail.map(|d| d.chars().take(DETAIL_CHARS).collect())),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The name the events were recorded under.
    pub username: Option<String>,
    pub account_id: Option<i32>,
    pub kind: Option<SecurityEventKind>,
    /// Only events older than this id.
    pub before: Option<i32>,
}

/// One page of the log.
#[derive(Debug)]
pub struct Page {
    /// Newest first.
    pub events: Vec<security_event::Model>,
    /// Older events match too.
    pub more: bool,
}

/// Newest first, at most `limit` (1 to [`MAX_PAGE`]).
pub async fn list(db: &impl ConnectionTrait, filter: Filter, limit: u64) -> Result<Page> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut query = security_event::Entity::find();
    if let Some(username) = filter.username {
        query = query.filter(security_event::Column::AccountUsername.eq(username));
    }
    if let Some(id) = filter.account_id {
        query = query.filter(security_event::Column::AccountId.eq(id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(security_event::Column::Event.eq(kind.as_str()));
    }
    if let Some(before) = filter.before {
        query = query.filter(security_event::Column::Id.lt(before));
    }
    // One more than asked for tells whether there are older ones.
    let mut events = query
        .order_by_desc(security_event::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = events.len() as u64 > limit;
    events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Page { events, more })
}
