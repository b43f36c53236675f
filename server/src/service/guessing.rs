//! Online password guessing, slowed down without locking the owner out.
//!
//! Every password check (the login forms, the User Panel's one-field login,
//! a mail client's own password) counts against buckets kept in the
//! database, so several instances and restarts share them:
//!
//! - **The username typed**, whether such a login exists or not, so a
//!   refusal tells nothing: [`Limits::free_failures`] (10) wrong passwords in a row cost
//!   nothing, each one after doubles a delay from 1 s to 15 minutes, and
//!   after [`HOLD_AFTER`] in a row (the cap of NIST SP 800-63B 5.2.2) the
//!   bucket holds for a day. A right password ends the run.
//! - **A browser that logged in to that login before**, instead of the
//!   username: it carries a device cookie (OWASP's scheme: a nonce, signed
//!   with the server's key for that username) and is throttled on its own
//!   failures only, so whoever guesses from elsewhere cannot lock the owner
//!   out.
//! - **The client's address** (an IPv6 /64), across usernames, against
//!   password spraying: [`Limits::address_budget`] (30) failures an hour, then the same
//!   doubling delay. A browser with a device cookie is not counted here.
//!
//! An attempt is counted before the password is checked (compare-and-set,
//! as the code step counts codes), so a burst of concurrent guesses lines
//! up behind the delay instead of all passing it; a right password gives
//! the attempt back. A bucket that is held refuses before any hash is
//! computed, so guessing also stops costing CPU.

use std::net::IpAddr;

use app::domain::Username;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use subtle::ConstantTimeEq as _;

use super::keys::Keys;
use super::{Result, ServiceError, random_bytes, sha256_hex};
use crate::clock::UnixTime;
use crate::entity::password_throttle as throttle;

/// How many wrong passwords are free: `tessera serve --password-free-failures
/// N --password-address-budget N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wrong passwords in a row, per username or device, that cost nothing.
    pub free_failures: i32,
    /// Wrong passwords per address and [`ADDRESS_WINDOW`] before delays start.
    pub address_budget: i32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            free_failures: 10,
            address_budget: 30,
        }
    }
}

/// Wrong passwords in a row after which a bucket holds for [`HOLD_SECS`].
pub const HOLD_AFTER: i32 = 100;
pub const HOLD_SECS: i64 = 24 * 60 * 60;
/// The longest delay before the hold.
const MAX_DELAY_SECS: i64 = 15 * 60;
pub const ADDRESS_WINDOW: i64 = 60 * 60;
/// Buckets untouched this long are removed by the worker.
pub const FORGET_AFTER: i64 = 2 * HOLD_SECS;
/// How long a device cookie lasts; each login renews it.
pub const DEVICE_COOKIE_DAYS: i64 = 180;

/// The wait a run of `failures` wrong passwords in a row imposes, `free`
/// of them free: then doubling, and a day's hold from [`HOLD_AFTER`].
pub fn delay_after(failures: i32, free: i32) -> i64 {
    if failures <= free {
        return 0;
    }
    if failures >= HOLD_AFTER {
        return HOLD_SECS;
    }
    doubling(failures - free)
}

/// 1 s for the first failure beyond the free ones, doubling to 15 minutes.
fn doubling(beyond: i32) -> i64 {
    let doublings = u32::try_from(beyond - 1).unwrap_or(0).min(20);
    (1_i64 << doublings).min(MAX_DELAY_SECS)
}

/// A browser's proof that it logged in to one login before: the nonce of
/// its device cookie, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice(String);

/// The device cookie of `username`'s login: its name (one per login, so a
/// browser may know several) and how its value is made and checked.
pub struct DeviceCookie;

impl DeviceCookie {
    /// `tessera_device_` and a digest of the username: one cookie per login.
    pub fn name(username: &Username) -> String {
        let digest = sha256_hex(&[b"tessera-device-cookie:", username.as_str().as_bytes()]);
        format!("tessera_device_{}", &digest[..16])
    }

    /// A new value: a random nonce, and its keyed hash for `username`.
    pub fn issue(keys: &Keys, username: &Username) -> Result<String> {
        let nonce = hex::encode(random_bytes::<16>()?);
        Ok(format!("{nonce}.{}", keys.keyed_hash(&device_digest(username, &nonce))))
    }

    /// The device a cookie value proves, if it was issued for `username`
    /// under one of the keys.
    pub fn check(keys: &Keys, username: &Username, value: &str) -> Option<KnownDevice> {
        let (nonce, signature) = value.split_once('.')?;
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let signed = keys
            .keyed_hash_candidates(&device_digest(username, nonce))
            .iter()
            .any(|candidate| bool::from(candidate.as_bytes().ct_eq(signature.as_bytes())));
        signed.then(|| KnownDevice(nonce.to_ascii_lowercase()))
    }
}

fn device_digest(username: &Username, nonce: &str) -> String {
    sha256_hex(&[b"tessera-device:", username.as_str().as_bytes(), b":", nonce.as_bytes()])
}

/// One password attempt: who it is for, from which device and address.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub username: &'a Username,
    /// `Some`: a browser that logged in to this login before.
    pub device: Option<&'a KnownDevice>,
    /// The client's address, as the security log has it.
    pub address: Option<&'a str>,
    pub limits: Limits,
}

/// The buckets one attempt counts against, and what it found there.
pub struct Taken {
    buckets: Vec<(String, Rule)>,
    limits: Limits,
    /// Failures in a row of the username's (or the device's) bucket, this
    /// attempt included.
    pub failures: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Failures in a row; a right password ends them.
    Run,
    /// Failures per window; a right password gives its attempt back.
    Budget,
}

impl Rule {
    fn delay_after(self, failures: i32, limits: Limits) -> i64 {
        match self {
            Self::Run => delay_after(failures, limits.free_failures),
            // An address is shared (an office, a carrier's NAT): no day-long hold.
            Self::Budget if failures <= limits.address_budget => 0,
            Self::Budget => doubling(failures - limits.address_budget),
        }
    }
}

impl Taken {
    /// Whether this attempt's failure is beyond the free ones: worth a
    /// `password_throttled` event, and its notice.
    pub fn beyond_free(&self) -> bool {
        self.failures > self.limits.free_failures
    }
}

fn address_bucket(address: &str) -> Option<String> {
    let ip: IpAddr = address.parse().ok()?;
    Some(match ip.to_canonical() {
        IpAddr::V4(v4) => format!("address:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    })
}

impl Attempt<'_> {
    fn buckets(&self) -> Vec<(String, Rule)> {
        match self.device {
            Some(device) => vec![(format!("device:{}", device.0), Rule::Run)],
            None => std::iter::once((format!("account:{}", self.username.as_str()), Rule::Run))
                .chain(self.address.and_then(address_bucket).map(|b| (b, Rule::Budget)))
                .collect(),
        }
    }
}

/// Takes the attempt: refused ([`ServiceError::PasswordThrottled`]) while
/// any of its buckets is held, otherwise counted in each. The caller checks
/// the password next, and reports a right one with [`succeeded`].
pub async fn take(db: &impl ConnectionTrait, attempt: &Attempt<'_>, now: UnixTime) -> Result<Taken> {
    let buckets = attempt.buckets();
    let rows = throttle::Entity::find()
        .filter(throttle::Column::Bucket.is_in(buckets.iter().map(|(b, _)| b.clone())))
        .all(db)
        .await?;
    let held = rows
        .iter()
        .filter_map(|row| row.locked_until.filter(|&until| until > now))
        .max();
    if let Some(until) = held {
        return Err(ServiceError::PasswordThrottled {
            retry_after: u64::try_from(until - now).unwrap_or(1),
        });
    }
    let mut failures = 0;
    for (bucket, rule) in &buckets {
        let row = rows.iter().find(|r| &r.bucket == bucket);
        let counted = count(db, bucket, *rule, attempt.limits, row, now).await?;
        if *rule == Rule::Run {
            failures = counted;
        }
    }
    Ok(Taken {
        buckets,
        limits: attempt.limits,
        failures,
    })
}

/// The password was right: the run ends, the address gets its attempt back.
pub async fn succeeded(db: &impl ConnectionTrait, taken: &Taken) -> Result<()> {
    use sea_orm::sea_query::ExprTrait as _;
    for (bucket, rule) in &taken.buckets {
        let update = throttle::Entity::update_many().filter(throttle::Column::Bucket.eq(bucket.as_str()));
        let update = match rule {
            Rule::Run => update
                .col_expr(throttle::Column::Failures, Expr::value(0))
                .col_expr(throttle::Column::LockedUntil, Expr::value(Option::<i64>::None)),
            Rule::Budget => update
                .col_expr(throttle::Column::Failures, Expr::col(throttle::Column::Failures).sub(1))
                .filter(throttle::Column::Failures.gt(0)),
        };
        update.exec(db).await?;
    }
    Ok(())
}

/// Nothing was checked after all (the server was too busy): the attempt is
/// given back to every bucket.
pub async fn give_back(db: &impl ConnectionTrait, taken: &Taken) -> Result<()> {
    use sea_orm::sea_query::ExprTrait as _;
    for (bucket, _) in &taken.buckets {
        throttle::Entity::update_many()
            .col_expr(throttle::Column::Failures, Expr::col(throttle::Column::Failures).sub(1))
            .filter(throttle::Column::Bucket.eq(bucket.as_str()))
            .filter(throttle::Column::Failures.gt(0))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Counts one attempt in `bucket` (read as `row`), compare-and-set on its
/// count, and sets the delay the count earns; answers the count.
async fn count(
    db: &impl ConnectionTrait,
    bucket: &str,
    rule: Rule,
    limits: Limits,
    row: Option<&throttle::Model>,
    now: UnixTime,
) -> Result<i32> {
    let mut row = row.cloned();
    loop {
        let Some(current) = row else {
            let inserted = throttle::Entity::insert(throttle::ActiveModel {
                bucket: Set(bucket.to_owned()),
                failures: Set(1),
                window_start: Set(now),
                locked_until: Set(locked_until(rule, limits, 1, now)),
                updated_at: Set(now),
            })
            .on_conflict(OnConflict::column(throttle::Column::Bucket).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
            if inserted == 1 {
                return Ok(1);
            }
            row = throttle::Entity::find_by_id(bucket).one(db).await?;
            continue;
        };
        // An address's budget is per window; a run lasts until a right password.
        let (failures, window_start) = match rule {
            Rule::Budget if current.window_start + ADDRESS_WINDOW <= now => (1, now),
            _ => (current.failures.saturating_add(1), current.window_start),
        };
        let counted = throttle::Entity::update_many()
            .col_expr(throttle::Column::Failures, Expr::value(failures))
            .col_expr(throttle::Column::WindowStart, Expr::value(window_start))
            .col_expr(
                throttle::Column::LockedUntil,
                Expr::value(locked_until(rule, limits, failures, now).or(current.locked_until)),
            )
            .col_expr(throttle::Column::UpdatedAt, Expr::value(now))
            .filter(throttle::Column::Bucket.eq(bucket))
            .filter(throttle::Column::Failures.eq(current.failures))
            .filter(throttle::Column::WindowStart.eq(current.window_start))
            .exec(db)
            .await?;
        if counted.rows_affected == 1 {
            return Ok(failures);
        }
        row = throttle::Entity::find_by_id(bucket).one(db).await?;
        if let Some(until) = row.as_ref().and_then(|r| r.locked_until).filter(|&until| until > now) {
            // Another attempt came first and earned a delay this one must wait.
            return Err(ServiceError::PasswordThrottled {
                retry_after: u64::try_from(until - now).unwrap_or(1),
            });
        }
    }
}

fn locked_until(rule: Rule, limits: Limits, failures: i32, now: UnixTime) -> Option<i64> {
    let delay = rule.delay_after(failures, limits);
    (delay > 0).then_some(now + delay)
}

/// Removes buckets untouched for [`FORGET_AFTER`] (the worker's sweep).
pub async fn forget_stale(db: &impl ConnectionTrait, now: UnixTime) -> Result<u64> {
    let done = throttle::Entity::delete_many()
        .filter(throttle::Column::UpdatedAt.lte(now - FORGET_AFTER))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_wrong_passwords_are_free_then_the_delay_doubles_to_fifteen_minutes_then_a_day() {
        let free = Limits::default().free_failures;
        let delays: Vec<i64> = (9..=15).map(|n| delay_after(n, free)).collect();
        assert_eq!(delays, [0, 0, 1, 2, 4, 8, 16]);
        assert_eq!(delay_after(20, free), 512);
        assert_eq!(delay_after(21, free), MAX_DELAY_SECS);
        assert_eq!(delay_after(99, free), MAX_DELAY_SECS);
        assert_eq!(delay_after(HOLD_AFTER, free), HOLD_SECS);
        assert_eq!(delay_after(i32::MAX, free), HOLD_SECS);
    }

    #[test]
    fn an_address_is_never_held_for_a_day() {
        let limits = Limits::default();
        assert_eq!(Rule::Budget.delay_after(limits.address_budget, limits), 0);
        assert_eq!(Rule::Budget.delay_after(limits.address_budget + 1, limits), 1);
        assert_eq!(Rule::Budget.delay_after(500, limits), MAX_DELAY_SECS);
        let lifted = Limits {
            address_budget: 100_000,
            ..limits
        };
        assert_eq!(
            Rule::Budget.delay_after(HOLD_AFTER, lifted),
            0,
            "a budget above 100 holds nothing at 100"
        );
    }

    #[test]
    fn addresses_are_counted_per_ipv4_address_and_ipv6_slash_64() {
        assert_eq!(address_bucket("192.0.2.7").as_deref(), Some("address:192.0.2.7"));
        assert_eq!(address_bucket("::ffff:192.0.2.7").as_deref(), Some("address:192.0.2.7"));
        assert_eq!(
            address_bucket("2001:db8:1:2:aaaa::1"),
            address_bucket("2001:db8:1:2:bbbb::2"),
        );
        assert_eq!(
            address_bucket("2001:db8:1:2::1").as_deref(),
            Some("address:2001:db8:1:2::/64")
        );
        assert_eq!(address_bucket("not an address"), None);
    }
}
