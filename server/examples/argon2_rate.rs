//! Raw argon2id verifies per second with Tessera's parameters, in-process,
//! one thread per core: the ceiling password logins are measured against
//! (xtask/bench.sh). Usage: `argon2_rate [SECONDS]` (default 5).

use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use argon2::{PasswordHasher as _, PasswordVerifier as _};
use tessera_server::service::password;

fn main() -> anyhow::Result<()> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .map_or(Ok(5.0), |s| s.parse())
        .context("SECONDS")?;
    let argon2 = password::argon2()?;
    let hash = argon2
        .hash_password(b"bench-password-1")
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let verified: u64 = thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        // A wrong password costs what a right one does.
                        let _ = argon2.verify_password(b"wrong-password-1", &hash);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    println!("{:.1}", verified as f64 / start.elapsed().as_secs_f64());
    Ok(())
}
