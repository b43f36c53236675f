//! Logging in: the password step, then (when the account has 2FA) the code
//! step; or both at once, the code appended to the password (User Panel).

use app::api::ActiveFactor;
use app::domain::{Password, SecondFactor, SecurityEventKind as Event, split_appended_code};
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set, TransactionSession, TransactionTrait};
use secrecy::SecretString;

use super::audit::Trail;
use super::guessing::{self, Attempt};
use super::mfa::{self, Verified};
use super::sessions::{self, Session, SessionToken, Stage};
use super::totp::Totp;
use super::{PasswordHasher, Result, ServiceError, accounts};
use crate::clock::UnixTime;
use crate::entity::account;

/// Wrong codes one pending login may take before the password is asked again.
pub const CODE_TRIES_PER_LOGIN: i32 = 5;

/// A new session, and whether it still waits for its code.
#[derive(Debug)]
pub struct LoggedIn {
    pub token: SessionToken,
    pub stage: Stage,
    /// What the code step will ask for.
    pub factor: ActiveFactor,
    pub account_id: i32,
}

impl LoggedIn {
    /// The factor the code step takes, when one comes next.
    pub fn code_step(&self) -> Option<ActiveFactor> {
        (self.stage == Stage::PendingMfa).then_some(self.factor)
    }
}

/// The password step. A wrong password and an unknown user are the same
/// error and cost the same time (a dummy hash is verified for the latter).
/// `mail_on`: whether this server sends mail, without which e-mailed codes
/// are not asked for.
pub async fn password_step(
    db: &(impl ConnectionTrait + TransactionTrait),
    hasher: &PasswordHasher,
    attempt: &Attempt<'_>,
    password: &Password,
    mail_on: bool,
    now: UnixTime,
    trail: &Trail,
) -> Result<LoggedIn> {
    let account = accounts::find_by_username(db, attempt.username).await?;
    let account = check_password(db, hasher, attempt, account, password.expose(), now, trail).await?;
    let factor = mfa::active_factor(&account, mail_on);
    let stage = match factor {
        ActiveFactor::None => Stage::Full,
        ActiveFactor::Email | ActiveFactor::App => Stage::PendingMfa,
    };
    let token = sessions::create(db, account.id, stage, false, now, trail).await?;
    let account_id = account.id;
    if stage == Stage::Full {
        logged_in(db, account, now, trail).await?;
    }
    Ok(LoggedIn {
        token,
        stage,
        factor,
        account_id,
    })
}

/// The code step of a pending login. On success the pending session becomes
/// a full one with a new token; after [`CODE_TRIES_PER_LOGIN`] wrong codes
/// the pending login ends. One transaction: a success's writes (the claimed
/// code, the session, the event) land together, and a refusal's count and
/// event are kept.
pub async fn code_step(
    db: &(impl ConnectionTrait + TransactionTrait),
    totp: &Totp,
    pending: &Session,
    factor: &SecondFactor,
    now: UnixTime,
    trail: &Trail,
) -> Result<(SessionToken, Verified)> {
    let txn = db.begin().await?;
    // `Err`: roll back. `Ok(outcome)`: commit, then answer `outcome`.
    let checked: Result<Result<(SessionToken, Verified)>> = async {
        let account = accounts::get(&txn, pending.account_id).await?;
        match mfa::verify(&txn, totp, &account, factor, now, trail).await {
            Ok(verified) => {
                let token = sessions::promote(&txn, pending, verified.is_recovery_code(), now)
                    .await?
                    // Finished or ended by another request meanwhile: this
                    // one's claim does not count either.
                    .ok_or(ServiceError::NoPendingLogin)?;
                logged_in(&txn, account, now, trail).await?;
                Ok(Ok((token, verified)))
            }
            Err(wrong @ (ServiceError::InvalidCode | ServiceError::SupersededCode)) => {
                if sessions::count_code_failure(&txn, pending).await? >= CODE_TRIES_PER_LOGIN {
                    sessions::delete(&txn, &pending.token).await?;
                    trail.record(&txn, Event::SecondStepFailed, &account, now).await?;
                    return Ok(Err(ServiceError::LoginExpired));
                }
                Ok(Err(wrong))
            }
            Err(failed @ ServiceError::Database(_)) => Err(failed),
            Err(other) => Ok(Err(other)),
        }
    }
    .await;
    let outcome = checked?; // rolled back as `txn` drops
    txn.commit().await?;
    outcome
}

/// The User Panel's one-step login: with 2FA on, the code follows the
/// password in the same field (see [`split_appended_code`]); with 2FA off the
/// whole input is the password, digits at its end included.
///
/// Errors are [`ServiceError::InvalidCredentials`] (wrong password or unknown
/// user), [`ServiceError::InvalidCode`] (the password was right, the code
/// missing, wrong or used) and [`ServiceError::TooManyAttempts`]; callers
/// show the first two alike. The code goes through [`mfa::verify`], so
/// throttling, replay protection and recovery codes work as in two steps.
/// A login that gets its codes by e-mail cannot log in here (there is no
/// step to send one): [`ServiceError::EmailCodeLogin`], once the password
/// was right.
#[allow(clippy::too_many_arguments)]
pub async fn combined_step(
    db: &(impl ConnectionTrait + TransactionTrait),
    hasher: &PasswordHasher,
    totp: &Totp,
    attempt: &Attempt<'_>,
    password_and_code: &str,
    mail_on: bool,
    now: UnixTime,
    trail: &Trail,
) -> Result<(SessionToken, Option<Verified>)> {
    let account = accounts::find_by_username(db, attempt.username).await?;
    let split = account
        .as_ref()
        .filter(|a| a.totp_secret.is_some())
        .map(|_| split_appended_code(password_and_code));
    let (password, factor) = match split {
        // 2FA on and a code at the end: the rest is the password.
        Some(Some((password, factor))) => (password, Some(factor)),
        // 2FA off, or no such login: all of it is the password. 2FA on and no
        // code: still one hash to check, so the answer takes as long as any
        // other; a right password makes it a missing code.
        _ => (password_and_code, None),
    };
    Password::parse(password).map_err(|_| ServiceError::InvalidCredentials)?;
    let account = check_password(db, hasher, attempt, account, password, now, trail).await?;
    if mfa::active_factor(&account, mail_on) == ActiveFactor::Email {
        return Err(ServiceError::EmailCodeLogin);
    }
    let verified = match (account.totp_secret.is_some(), factor) {
        (false, _) => None,
        (true, Some(factor)) => Some(mfa::verify(db, totp, &account, &factor, now, trail).await?),
        (true, None) => {
            trail.record(db, Event::CodeFailed, &account, now).await?;
            return Err(ServiceError::InvalidCode);
        }
    };
    let recovered = verified.is_some_and(Verified::is_recovery_code);
    let token = sessions::create(db, account.id, Stage::Full, recovered, now, trail).await?;
    logged_in(db, account, now, trail).await?;
    Ok((token, verified))
}

/// The password check both logins share, behind the guessing throttle
/// ([`guessing::take`]); failures are logged under the name that was typed,
/// and beyond the free ones as `password_throttled` (mailed at most once a
/// quarter of an hour).
async fn check_password(
    db: &(impl ConnectionTrait + TransactionTrait),
    hasher: &PasswordHasher,
    attempt: &Attempt<'_>,
    account: Option<account::Model>,
    password: &str,
    now: UnixTime,
    trail: &Trail,
) -> Result<account::Model> {
    let taken = guessing::take(db, attempt, now).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let right = match hasher.verify(stored, SecretString::from(password.to_owned())).await {
        Ok(right) => right,
        Err(busy) => {
            // Nothing was checked: nothing is held against anyone.
            guessing::give_back(db, &taken).await?;
            return Err(busy);
        }
    };
    match account {
        Some(account) if right => {
            guessing::succeeded(db, &taken).await?;
            Ok(account)
        }
        account => {
            let username = attempt.username.as_str();
            trail
                .record_name(db, Event::LoginFailed, username, account.as_ref(), now)
                .await?;
            if let Some(account) = &account
                && taken.beyond_free()
            {
                trail.record(db, Event::PasswordThrottled, account, now).await?;
            }
            Err(ServiceError::InvalidCredentials)
        }
    }
}

async fn logged_in(
    db: &(impl ConnectionTrait + TransactionTrait),
    account: account::Model,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    trail.record(db, Event::LoginSucceeded, &account, now).await?;
    let mut active = account.into_active_model();
    active.last_login_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}
