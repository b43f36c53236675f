//! What the server tidies while it runs, whether mail is on or not: expired
//! sessions (idle or past their lifetime) and password-throttle buckets
//! nobody has touched for two days.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::{Result, guessing, sessions};
use crate::clock::Clock;

/// How often [`spawn`] sweeps.
pub const EVERY: Duration = Duration::from_secs(10 * 60);

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub throttle_buckets: u64,
}

/// One sweep, as of the clock's now; `session_idle`: the idle timeout.
pub async fn sweep(db: &DatabaseConnection, clock: &Clock, session_idle: i64) -> Result<Swept> {
    let now = clock.now();
    Ok(Swept {
        sessions: sessions::delete_expired(db, now, session_idle).await?,
        throttle_buckets: guessing::forget_stale(db, now).await?,
    })
}

/// Sweeps every `every` until aborted.
pub fn spawn(db: DatabaseConnection, clock: Clock, session_idle: i64, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sweep(&db, &clock, session_idle).await {
                Ok(swept) if swept != Swept::default() => tracing::debug!(?swept, "swept"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "housekeeping: the sweep failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
