//! One-row UPDATEs per second through Tessera's own pool (`database::connect`:
//! one connection for SQLite, ten for PostgreSQL), from 32 tasks at once: the
//! ceiling a request of N statements is measured against (xtask/bench.sh).
//! Usage: `statement_rate DATABASE_URL [SECONDS]` (default 5). Adds a table
//! `bench_rate` to that database: point it at a throw-away one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tessera_server::database;

const TASKS: i64 = 32;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().context("DATABASE_URL")?;
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse()).context("SECONDS")?;
    let db = database::connect(&url).await?;
    let backend = db.get_database_backend();
    db.execute_unprepared("CREATE TABLE IF NOT EXISTS bench_rate (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .await?;
    db.execute_unprepared("DELETE FROM bench_rate").await?;
    for id in 0..TASKS {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO bench_rate (id, n) VALUES ($1, 0)",
            [id.into()],
        ))
        .await?;
    }

    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|id| tokio::spawn(update_until(db.clone(), id, Arc::clone(&done), Arc::clone(&stop))))
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    println!(
        "{:.0}",
        done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn update_until(
    db: DatabaseConnection,
    id: i64,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let update = Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE bench_rate SET n = n + 1 WHERE id = $1",
        [id.into()],
    );
    while !stop.load(Ordering::Relaxed) {
        db.execute_raw(update.clone()).await?;
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}
