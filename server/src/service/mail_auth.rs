//! Mail logins: Tessera as the authority nginx's mail proxy (and ActiveSync
//! gateways) ask whether an IMAP, POP3 or SMTP login may proceed.
//!
//! - A mailbox with a second factor (app or e-mailed codes) logs in with an
//!   app password only; its own password is not even checked (no argon2, no
//!   oracle for guessing it), and the refusal says where to make one.
//! - An app password works for its protocols, until revoked or expired.
//! - A mailbox without 2FA logs in with its password (one argon2 check),
//!   unless app passwords are required for all.
//! - Other kinds of login never log in here.
//! - Failures per user and client address earn a growing wait and then a
//!   refusal for a while ([`FailureLog`]); the user's other clients, from
//!   other addresses, are not locked out. A mailbox's own password is also
//!   behind the web login's throttle ([`super::guessing`]), which counts in
//!   the database for every instance.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};

use app::domain::{AccountKind, AppPasswordSecret, MailProtocol, SecurityEventKind as Event, Username};
use sea_orm::{ConnectionTrait, TransactionTrait};
use secrecy::SecretString;

use super::app_passwords::{self, protocols_of};
use super::audit::Trail;
use super::guessing::{self, Attempt, Limits};
use super::keys::Keys;
use super::{PasswordHasher, Result, ServiceError, accounts};
use crate::clock::UnixTime;
use crate::entity::account;

/// What `tessera serve --mail-auth-secret-file …` configures.
#[derive(Debug, Clone)]
pub struct MailAuthSettings {
    /// The secret the proxy sends in [`SECRET_HEADER`].
    pub secret: SecretString,
    /// The addresses the proxy (or gateway) calls from; nobody else may ask.
    pub proxies: Vec<IpAddr>,
    /// Where each protocol's logins go on to.
    pub backends: Backends,
    /// The password nginx gives the IMAP and POP3 backend instead of the
    /// user's, which Dovecot accepts from the proxy only.
    pub backend_password: Option<SecretString>,
    /// A Dovecot master user: nginx then logs in as `user*master`.
    pub master_user: Option<String>,
    /// App passwords for every mailbox, with 2FA or without.
    pub require_app_passwords: bool,
}

/// The header that carries the proxy's secret.
pub const SECRET_HEADER: &str = "x-tessera-mail-secret";

/// The mail servers behind the proxy, per protocol.
#[derive(Debug, Clone, Default)]
pub struct Backends {
    pub imap: Option<SocketAddr>,
    pub pop3: Option<SocketAddr>,
    pub smtp: Option<SocketAddr>,
}

impl Backends {
    pub fn of(&self, protocol: MailProtocol) -> Option<SocketAddr> {
        match protocol {
            MailProtocol::Imap => self.imap,
            MailProtocol::Pop3 => self.pop3,
            MailProtocol::Smtp => self.smtp,
            MailProtocol::Activesync => None,
        }
    }
}

/// One login attempt, as the proxy reports it.
#[derive(Debug, Clone, Copy)]
pub struct MailLogin<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub protocol: MailProtocol,
    /// The mail client's address.
    pub client_ip: IpAddr,
}

/// A login let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub username: String,
    /// The app password's name; `None`: the mailbox's own password.
    pub app_password: Option<String>,
}

/// A login refused, and how long the proxy should hold the client before
/// it says so (nginx's `Auth-Wait`; without one it drops SMTP clients
/// before they see the reason).
#[derive(Debug)]
pub struct Refused {
    pub error: ServiceError,
    pub wait: u64,
}

/// Whether `account` has a second factor, which keeps its own password out
/// of mail clients. E-mailed codes count even while mail is off: that the
/// web login then falls back to the password is no reason to open IMAP too.
pub fn has_second_factor(account: &account::Model) -> bool {
    account.totp_secret.is_some() || (account.email_codes && account.email.is_some())
}

/// Why a login was refused: a guess (a wrong password for a mailbox, which
/// counts towards the block) or anything else (which does not).
enum Denied {
    Guess(ServiceError),
    Other(ServiceError),
}

impl From<ServiceError> for Denied {
    fn from(error: ServiceError) -> Self {
        Self::Other(error)
    }
}

/// Decides a mail login. See the module's rules.
#[allow(clippy::too_many_arguments)]
pub async fn authenticate(
    db: &(impl ConnectionTrait + TransactionTrait),
    hasher: &PasswordHasher,
    keys: &Keys,
    failures: &FailureLog,
    require_app_passwords: bool,
    limits: Limits,
    login: MailLogin<'_>,
    now: UnixTime,
    trail: &Trail,
) -> std::result::Result<Granted, Refused> {
    // Not a name any login can have: nothing to look up, nothing to count.
    let Ok(username) = Username::parse(login.username) else {
        return Err(Refused {
            error: ServiceError::InvalidCredentials,
            wait: FIRST_WAIT,
        });
    };
    let key = (username.as_str().to_owned(), login.client_ip.to_canonical());
    // Counted before anything is checked, as the code step counts codes:
    // concurrent guesses line up behind the block instead of all passing it.
    let wait = match failures.take(&key, now) {
        Ok(wait) => wait,
        Err(retry_after) => {
            return Err(Refused {
                error: ServiceError::TooManyLoginFailures { retry_after },
                wait: MAX_WAIT,
            });
        }
    };
    match decide(
        db,
        hasher,
        keys,
        require_app_passwords,
        limits,
        &username,
        login,
        now,
        trail,
    )
    .await
    {
        Ok(granted) => {
            failures.forget(&key);
            Ok(granted)
        }
        Err(Denied::Guess(error)) => Err(Refused { error, wait }),
        // Nothing was guessed (no such mailbox; a mail app still set up with
        // the mailbox's password; an app password for another protocol): the
        // attempt is given back, and the client only slowed down as it retries.
        Err(Denied::Other(error)) => {
            failures.give_back(&key);
            Err(Refused {
                error,
                wait: FIRST_WAIT,
            })
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    db: &(impl ConnectionTrait + TransactionTrait),
    hasher: &PasswordHasher,
    keys: &Keys,
    require_app_passwords: bool,
    limits: Limits,
    username: &Username,
    login: MailLogin<'_>,
    now: UnixTime,
    trail: &Trail,
) -> std::result::Result<Granted, Denied> {
    let app_password = AppPasswordSecret::parse(login.password);
    if let Some(secret) = &app_password
        && let Some(found) = app_passwords::find(db, keys, username, secret).await?
    {
        if found.password.expires_at.is_some_and(|at| at <= now) {
            return Err(ServiceError::AppPasswordExpired.into());
        }
        if !protocols_of(&found.password)?.contains(login.protocol) {
            return Err(ServiceError::AppPasswordNotForProtocol(login.protocol).into());
        }
        let ip = login.client_ip.to_canonical().to_string();
        // The login stands even if its bookkeeping fails (a revocation
        // racing it, say): it was right when it was checked.
        if let Err(e) = app_passwords::note_use(db, &found, login.protocol, Some(&ip), now, trail).await {
            tracing::warn!(error = %e, app_password = found.password.id, "recording an app password's use failed");
        }
        return Ok(Granted {
            username: found.account.username,
            app_password: Some(found.password.name),
        });
    }
    // Mail addresses are public: an unknown one costs no hash (and tells no
    // more than the address being there or not, which mail itself tells).
    let account = accounts::find_by_username(db, username)
        .await?
        .filter(|a| a.kind == AccountKind::Mailbox.as_str())
        .ok_or(ServiceError::InvalidCredentials)?;
    let two_factor = has_second_factor(&account);
    if two_factor || require_app_passwords {
        // An app password mistyped or revoked is a wrong password; the
        // mailbox's own password is refused unread.
        return Err(match app_password {
            Some(_) => Denied::Guess(ServiceError::InvalidCredentials),
            None => Denied::Other(ServiceError::AppPasswordRequired { two_factor }),
        });
    }
    // The web login's throttle too: a mail client guessing the password
    // slows the web's guessers and the other way round (app passwords,
    // checked above, are not slowed: nothing guesses 120 bits).
    let address = login.client_ip.to_canonical().to_string();
    let attempt = Attempt {
        username,
        device: None,
        address: Some(&address),
        limits,
    };
    let taken = guessing::take(db, &attempt, now).await.map_err(Denied::Other)?;
    let right = hasher
        .verify(
            Some(account.password_hash.clone()),
            SecretString::from(login.password.to_owned()),
        )
        .await;
    let right = match right {
        Ok(right) => right,
        Err(busy) => {
            guessing::give_back(db, &taken).await?;
            return Err(busy.into());
        }
    };
    if !right {
        if taken.beyond_free() {
            trail.record(db, Event::PasswordThrottled, &account, now).await?;
        }
        return Err(Denied::Guess(ServiceError::InvalidCredentials));
    }
    guessing::succeeded(db, &taken).await?;
    Ok(Granted {
        username: account.username,
        app_password: None,
    })
}

/// Wrong passwords that cost one second each.
const FREE_FAILURES: u32 = 3;
/// Wrong passwords from one address for one user before it is refused.
pub const BLOCK_AFTER: u32 = 10;
/// How long a block lasts, and how long failures are remembered.
pub const BLOCK_SECS: i64 = 15 * 60;
/// The first wait, and the longest.
const FIRST_WAIT: u64 = 1;
const MAX_WAIT: u64 = 30;
/// Pairs remembered at most; beyond, those older than a block are dropped.
const MAX_TRACKED: usize = 100_000;

/// The wait after `failures` wrong passwords in a row: 1 s for the first
/// three, then doubling up to 30 s.
pub fn wait_after(failures: u32) -> u64 {
    if failures <= FREE_FAILURES {
        return FIRST_WAIT;
    }
    std::cmp::min(1_u64 << (failures - FREE_FAILURES).min(16), MAX_WAIT)
}

/// Recent wrong passwords per (user, client address), in memory: cheap
/// enough to ask on every connection, forgotten after [`BLOCK_SECS`]. Each
/// process keeps its own, so two Tessera behind one proxy allow twice the
/// tries.
#[derive(Debug, Default)]
pub struct FailureLog {
    entries: Mutex<HashMap<(String, IpAddr), Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: UnixTime,
}

/// Seconds `failures` keep their pair refused, if they do.
fn blocked(failures: &Failures, now: UnixTime) -> Option<u64> {
    let until = failures.last + BLOCK_SECS;
    (failures.count >= BLOCK_AFTER && until > now).then(|| u64::try_from(until - now).unwrap_or(1))
}

impl FailureLog {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<(String, IpAddr), Failures>) -> T) -> T {
        // A panic elsewhere while holding the lock leaves counts, not broken state.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut entries)
    }

    /// Seconds this pair is still refused, if it is.
    pub fn blocked(&self, key: &(String, IpAddr), now: UnixTime) -> Option<u64> {
        self.with(|entries| blocked(entries.get(key)?, now))
    }

    /// Counts an attempt as a wrong password before it is checked; answers
    /// the wait it earns, or (blocked) the seconds the pair is refused.
    pub fn take(&self, key: &(String, IpAddr), now: UnixTime) -> Result<u64, u64> {
        self.with(|entries| {
            if let Some(retry_after) = entries.get(key).and_then(|f| blocked(f, now)) {
                return Err(retry_after);
            }
            if entries.len() >= MAX_TRACKED && !entries.contains_key(key) {
                // Only live blocks are worth keeping from a flood; 100,000 of
                // those would take a million checked guesses in 15 minutes.
                entries.retain(|_, f| blocked(f, now).is_some());
            }
            let failures = entries.entry(key.clone()).or_insert(Failures { count: 0, last: now });
            if failures.last <= now - BLOCK_SECS {
                failures.count = 0;
            }
            failures.count = failures.count.saturating_add(1);
            failures.last = now;
            Ok(wait_after(failures.count))
        })
    }

    /// Takes back an attempt [`Self::take`] counted that guessed nothing.
    pub fn give_back(&self, key: &(String, IpAddr)) {
        self.with(|entries| {
            if let Some(failures) = entries.get_mut(key) {
                failures.count = failures.count.saturating_sub(1);
                if failures.count == 0 {
                    entries.remove(key);
                }
            }
        });
    }

    /// A right password ends the run.
    pub fn forget(&self, key: &(String, IpAddr)) {
        self.with(|entries| entries.remove(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_from_one_second_to_thirty() {
        let waits: Vec<u64> = (1..=10).map(wait_after).collect();
        assert_eq!(waits, [1, 1, 1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(wait_after(u32::MAX), 30);
    }

    #[test]
    fn ten_failures_block_one_pair_for_fifteen_minutes_and_no_other() {
        let log = FailureLog::default();
        let client: IpAddr = "203.0.113.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let other: IpAddr = "198.51.100.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let key = ("info@example.com".to_owned(), client);
        for n in 1..BLOCK_AFTER {
            assert!(log.take(&key, 1_000 + i64::from(n)).is_ok());
            assert_eq!(log.blocked(&key, 1_000 + i64::from(n)), None, "after {n}");
        }
        assert_eq!(log.take(&key, 1_010), Ok(30));
        assert_eq!(
            log.take(&key, 1_011),
            Err(899),
            "the eleventh is refused before it is checked"
        );
        assert_eq!(log.blocked(&key, 1_010), Some(900));
        assert_eq!(log.blocked(&key, 1_909), Some(1));
        assert_eq!(log.blocked(&key, 1_910), None);
        assert_eq!(log.blocked(&("info@example.com".to_owned(), other), 1_010), None);
        assert_eq!(log.blocked(&("sales@example.com".to_owned(), client), 1_010), None);
        // Remembered no longer than a block: the next run starts afresh.
        assert_eq!(log.take(&key, 1_910), Ok(1));
        assert_eq!(log.blocked(&key, 1_910), None);
    }

    #[test]
    fn a_right_password_ends_the_run() {
        let log = FailureLog::default();
        let key = ("info@example.com".to_owned(), IpAddr::from([127, 0, 0, 1]));
        for _ in 0..5 {
            assert!(log.take(&key, 50).is_ok());
        }
        log.forget(&key);
        assert_eq!(log.take(&key, 51), Ok(1));
    }

    #[test]
    fn an_attempt_given_back_leaves_no_trace() {
        let log = FailureLog::default();
        let key = ("info@example.com".to_owned(), IpAddr::from([127, 0, 0, 1]));
        assert_eq!(log.take(&key, 50), Ok(1));
        log.give_back(&key);
        assert!(log.with(|entries| entries.is_empty()));
    }
}
