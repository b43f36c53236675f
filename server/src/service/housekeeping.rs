//! What the server tidies while it runs, whether mail is on or not: expired
//! sessions (idle or past their lifetime), password-throttle buckets nobody
//! has touched for two days, and security events and sent notices older
//! than the retention (`--retention-days`, 400 by default: a year's audit
//! with a month to spare).

use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{Result, guessing, sessions};
use crate::clock::Clock;
use crate::entity::{notice, security_event};

/// How often [`spawn`] sweeps.
pub const EVERY: Duration = Duration::from_secs(10 * 60);
/// Days security events and sent notices are kept unless configured.
pub const DEFAULT_RETENTION_DAYS: i64 = 400;

/// What a sweep removes, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ages {
    /// A full session's idle timeout.
    pub session_idle: i64,
    /// How long security events and sent notices are kept.
    pub retention: i64,
}

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub throttle_buckets: u64,
    pub events: u64,
    pub notices: u64,
}

/// One sweep, as of the clock's now.
pub async fn sweep(db: &DatabaseConnection, clock: &Clock, ages: Ages) -> Result<Swept> {
    let now = clock.now();
    let before = now - ages.retention;
    let events = security_event::Entity::delete_many()
        .filter(security_event::Column::At.lt(before))
        .exec(db)
        .await?;
    let notices = notice::Entity::delete_many()
        .filter(notice::Column::SentAt.lt(before))
        .exec(db)
        .await?;
    Ok(Swept {
        sessions: sessions::delete_expired(db, now, ages.session_idle).await?,
        throttle_buckets: guessing::forget_stale(db, now).await?,
        events: events.rows_affected,
        notices: notices.rows_affected,
    })
}

/// Sweeps every `every` until aborted.
pub fn spawn(db: DatabaseConnection, clock: Clock, ages: Ages, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sweep(&db, &clock, ages).await {
                Ok(swept) if swept != Swept::default() => tracing::debug!(?swept, "swept"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "housekeeping: the sweep failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
