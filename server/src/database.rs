//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// Connects and runs pending migrations. For a SQLite file, its directory is
/// created first, and the pool has one connection: SQLite has one writer, and
/// Tessera's requests queue for it here, in order, rather than in SQLite's
/// busy handler, which sleeps and retries.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    if let Some(dir) = sqlite_file(url)
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if is_sqlite(url) { 1 } else { 10 })
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            // Readers do not block the writer. NORMAL: a commit is not synced
            // until the next checkpoint (see ARCHITECTURE.md, "SQLite").
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
        });
    let db = Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    Migrator::up(&db, None).await.context("running migrations")?;
    Ok(db)
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The file a `sqlite:` URL points at, unless it is in memory.
fn sqlite_file(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| Path::new(path))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/tessera.db?mode=rwc"),
            Some(Path::new("data/tessera.db"))
        );
        assert_eq!(sqlite_file("sqlite:/tmp/x.db"), Some(Path::new("/tmp/x.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u:p@localhost/db"), None);
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://tessera:secret@127.0.0.1:5432/t"),
            "postgres://tessera:***@127.0.0.1:5432/t"
        );
        assert_eq!(redact("sqlite://data/tessera.db"), "sqlite://data/tessera.db");
    }
}
