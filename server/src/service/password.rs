//! Password hashing with argon2id on a fixed pool of threads, one per core,
//! each reusing one 19 MiB block of memory and running at a lower priority
//! than the async runtime.
//!
//! Why so: a login flood must cost neither memory nor responsiveness. With a
//! fresh 19 MiB allocation per hash on whichever blocking thread ran it, the
//! allocator kept a block per thread and arena (the server grew by 300–500 MiB
//! under 200 concurrent logins and stayed there). With the pool it holds
//! `cores × 19 MiB`, allocated on each thread's first hash. At nice 10 the
//! hashing threads still fill idle cores, but `/healthz` and the code step
//! preempt them. Logins beyond the pool wait up to [`QUEUE_WAIT`] in FIFO
//! order, then get [`ServiceError::Busy`] (503).

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::{ServiceError, random_bytes};

/// OWASP's argon2id recommendation (ASVS 5.0 appendix C): m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
/// Blocks of 1 KiB that `MEMORY_KIB` makes with one lane.
const BLOCKS: usize = MEMORY_KIB as usize;
const SALT_BYTES: usize = 16;
const OUTPUT_BYTES: usize = 32;

/// How long a login waits for a hashing thread before it is answered 503.
const QUEUE_WAIT: Duration = Duration::from_secs(1);

/// Added to the hashing threads' nice value: under CFS a nice-10 thread gets
/// about a tenth of a core that a nice-0 thread wants, and all of an idle one.
#[cfg(target_os = "linux")]
const NICENESS: i32 = 10;

/// Argon2id with Tessera's parameters.
pub fn argon2() -> Result<Argon2<'static>, ServiceError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(OUTPUT_BYTES))
        .map_err(|e| ServiceError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and verifies passwords; cheap to clone. The threads end when the
/// last clone is dropped.
#[derive(Clone)]
pub struct PasswordHasher {
    /// One permit per thread: a job is sent only with one, so none queues
    /// inside the pool, and waiting is FIFO and bounded.
    slots: Arc<Semaphore>,
    jobs: Sender<Job>,
    /// Verified against when the username is unknown, so that a wrong
    /// username costs the same time as a wrong password.
    dummy_hash: Arc<str>,
}

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

impl PasswordHasher {
    /// The pool: one thread per core.
    pub fn new() -> Result<Self, ServiceError> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&queue))
                .map_err(|e| ServiceError::internal(format!("starting a hashing thread: {e}")))?;
        }
        let mut memory = Memory::default();
        let unguessable = random_bytes::<32>()?;
        let dummy_hash = hash_with(&mut memory, &unguessable)?.into();
        Ok(Self {
            slots: Arc::new(Semaphore::new(threads)),
            jobs,
            dummy_hash,
        })
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, ServiceError> {
        self.run(move |memory| hash_with(memory, password.expose_secret().as_bytes()))
            .await
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown user)
    /// it does the same work and answers `false`.
    pub async fn verify(&self, stored: Option<String>, password: SecretString) -> Result<bool, ServiceError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run(move |memory| verify_with(memory, &hash, password.expose_secret().as_bytes()))
            .await?;
        Ok(known && matches)
    }

    /// Runs `work` on a hashing thread once one is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let permit: OwnedSemaphorePermit = tokio::time::timeout(QUEUE_WAIT, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| ServiceError::Busy)?
            .map_err(|_| ServiceError::Busy)?;
        let (answer, answered) = oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |memory| {
            let result = span.in_scope(|| work(memory));
            // The thread is free again before the answer is read.
            drop(permit);
            let _ = answer.send(result);
        });
        self.jobs
            .send(job)
            .map_err(|_| ServiceError::internal("the hashing threads have stopped"))?;
        answered
            .await
            .map_err(|_| ServiceError::internal("a hashing thread stopped mid-job"))?
    }
}

/// A hashing thread: takes jobs until every [`PasswordHasher`] is dropped.
fn work(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    let mut memory = Memory::default();
    loop {
        // One thread waits in `recv`, the others for the lock: the same queue.
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value is per thread: this one only.
    let thread = rustix::thread::gettid();
    let current = rustix::process::getpriority_process(Some(thread)).unwrap_or(0);
    if let Err(e) = rustix::process::setpriority_process(Some(thread), current + NICENESS) {
        tracing::warn!(error = %e, "could not lower a hashing thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// A hashing thread's argon2 memory, allocated on first use and kept. A hash
/// with a larger `m` than Tessera's (an imported one) gets its own, freed after.
#[derive(Default)]
struct Memory(Vec<Block>);

impl Memory {
    fn hash_into(&mut self, argon2: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
        let blocks = argon2.params().block_count();
        if blocks > BLOCKS {
            return argon2.hash_password_into(password, salt, out);
        }
        if self.0.len() < BLOCKS {
            self.0 = vec![Block::default(); BLOCKS];
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut self.0[..blocks])
    }
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
fn hash_with(memory: &mut Memory, password: &[u8]) -> Result<String, ServiceError> {
    let fail = |e: &dyn std::fmt::Display| ServiceError::internal(format!("argon2: {e}"));
    let argon2 = argon2()?;
    let salt = random_bytes::<SALT_BYTES>()?;
    let mut out = [0u8; OUTPUT_BYTES];
    memory
        .hash_into(&argon2, password, &salt, &mut out)
        .map_err(|e| fail(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(|e| fail(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| fail(&e))?),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored` (any argon2 variant and
/// parameters). A string that is no argon2 hash matches nothing.
fn verify_with(memory: &mut Memory, stored: &str, password: &[u8]) -> Result<bool, ServiceError> {
    let Some((argon2, salt, expected)) = parse(stored) else {
        tracing::error!("a stored password hash is not an argon2 PHC string");
        return Ok(false);
    };
    let mut out = vec![0u8; expected.len()];
    match memory.hash_into(&argon2, password, &salt, &mut out) {
        Ok(()) => Ok(bool::from(out.ct_eq(expected.as_bytes()))),
        Err(e) => Err(ServiceError::internal(format!("argon2: {e}"))),
    }
}

fn parse(stored: &str) -> Option<(Argon2<'static>, Salt, Output)> {
    let hash = PasswordHash::new(stored).ok()?;
    let algorithm = Algorithm::try_from(hash.algorithm.as_str()).ok()?;
    let version = match hash.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&hash).ok()?;
    Some((Argon2::new(algorithm, version, params), hash.salt?, hash.hash?))
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher as _;

    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() -> Result<(), ServiceError> {
        let hasher = PasswordHasher::new()?;
        let hash = hasher.hash(secret("T9D3K!px")).await?;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify(Some(hash.clone()), secret("T9D3K!px")).await?);
        assert!(!hasher.verify(Some(hash), secret("T9D3K!pX")).await?);
        Ok(())
    }

    #[test]
    fn the_pool_memory_fits_tesseras_parameters() -> Result<(), ServiceError> {
        assert_eq!(argon2()?.params().block_count(), BLOCKS);
        Ok(())
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() -> Result<(), ServiceError> {
        let hasher = PasswordHasher::new()?;
        assert!(!hasher.verify(None, secret("anything")).await?);
        Ok(())
    }

    /// Hashes made elsewhere (another argon2 variant, other parameters, a
    /// larger `m` than the pool's memory) verify as the argon2 crate does.
    #[tokio::test]
    async fn hashes_with_other_parameters_verify() -> Result<(), ServiceError> {
        let hasher = PasswordHasher::new()?;
        for (algorithm, m, t) in [
            (Algorithm::Argon2id, 65_536, 1),
            (Algorithm::Argon2i, 4_096, 3),
            (Algorithm::Argon2d, 19_456, 2),
        ] {
            let params = Params::new(m, t, 1, None).map_err(|e| ServiceError::internal(e.to_string()))?;
            let made = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"imported-1")
                .map_err(|e| ServiceError::internal(e.to_string()))?
                .to_string();
            assert!(hasher.verify(Some(made.clone()), secret("imported-1")).await?, "{made}");
            assert!(!hasher.verify(Some(made), secret("imported-2")).await?);
        }
        Ok(())
    }

    #[tokio::test]
    async fn what_is_no_argon2_hash_matches_nothing() -> Result<(), ServiceError> {
        let hasher = PasswordHasher::new()?;
        for stored in [
            "",
            "plain-text",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        ] {
            assert!(!hasher.verify(Some(stored.to_owned()), secret("plain-text")).await?);
        }
        Ok(())
    }

    /// More logins than threads all get their answer, in turn.
    #[tokio::test]
    async fn logins_beyond_the_pool_wait_their_turn() -> Result<(), ServiceError> {
        let hasher = PasswordHasher::new()?;
        let hash = hasher.hash(secret("T9D3K!px")).await?;
        let checks: Vec<_> = (0..8)
            .map(|_| {
                let hasher = hasher.clone();
                let hash = hash.clone();
                tokio::spawn(async move { hasher.verify(Some(hash), secret("T9D3K!px")).await })
            })
            .collect();
        for check in checks {
            assert!(check.await.map_err(|e| ServiceError::internal(e.to_string()))??);
        }
        Ok(())
    }
}
