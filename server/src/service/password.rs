//! Password hashing with argon2id, off the async threads and with bounded
//! concurrency: each hash in flight holds 19 MiB, so a login flood must queue
//! (briefly) instead of piling up memory or starving the runtime.

use std::sync::Arc;
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::ServiceError;

/// OWASP's argon2id recommendation (ASVS 5.0 appendix C): m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// How long a login waits for a hashing slot before it is answered 503.
const QUEUE_WAIT: Duration = Duration::from_secs(3);

/// Hashes and verifies passwords; cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    slots: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that a wrong
    /// username costs the same time as a wrong password.
    dummy_hash: Arc<str>,
}

fn argon2() -> Result<Argon2<'static>, ServiceError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| ServiceError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &[u8]) -> Result<String, ServiceError> {
    let hash = argon2()?
        .hash_password(password)
        .map_err(|e| ServiceError::internal(format!("argon2: {e}")))?;
    Ok(hash.to_string())
}

impl PasswordHasher {
    /// One hashing slot per core.
    pub fn new() -> Result<Self, ServiceError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let mut unguessable = [0u8; 32];
        getrandom::fill(&mut unguessable).map_err(|e| ServiceError::internal(format!("getrandom: {e}")))?;
        Ok(Self {
            slots: Arc::new(Semaphore::new(cores)),
            dummy_hash: hash_now(&unguessable)?.into(),
        })
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, ServiceError> {
        self.run(move || hash_now(password.expose_secret().as_bytes())).await
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown user)
    /// it does the same work and answers `false`.
    pub async fn verify(&self, stored: Option<String>, password: SecretString) -> Result<bool, ServiceError> {
        let (hash, known) = match stored {
            Some(hash) => (hash, true),
            None => (self.dummy_hash.to_string(), false),
        };
        let matches = self
            .run(move || {
                Ok(argon2()?
                    .verify_password(password.expose_secret().as_bytes(), hash.as_str())
                    .is_ok())
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let permit = tokio::time::timeout(QUEUE_WAIT, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| ServiceError::Busy)?
            .map_err(|_| ServiceError::Busy)?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        })
        .await
        .map_err(|e| ServiceError::internal(format!("password hashing task: {e}")))?
    }
}

#[cfg(test)]
mod tests {
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

    #[tokio::test]
    async fn an_unknown_user_never_verifies() -> Result<(), ServiceError> {
        let hasher = PasswordHasher::new()?;
        assert!(!hasher.verify(None, secret("anything")).await?);
        Ok(())
    }
}
