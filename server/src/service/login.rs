//! Logging in: the password step, then (when the account has 2FA) the code step.

use app::domain::{Password, SecondFactor, Username};
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};
use secrecy::SecretString;

use super::mfa::{self, Verified};
use super::sessions::{self, Session, SessionToken, Stage};
use super::totp::TotpPolicy;
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
}

/// The password step. A wrong password and an unknown user are the same
/// error and cost the same time (a dummy hash is verified for the latter).
pub async fn password_step(
    db: &impl ConnectionTrait,
    hasher: &PasswordHasher,
    username: &Username,
    password: &Password,
    now: UnixTime,
) -> Result<LoggedIn> {
    let account = accounts::find_by_username(db, username).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let right = hasher
        .verify(stored, SecretString::from(password.expose().to_owned()))
        .await?;
    let Some(account) = account.filter(|_| right) else {
        tracing::info!(target: "security", username = %username, "login failed: invalid credentials");
        return Err(ServiceError::InvalidCredentials);
    };
    sessions::delete_expired(db, now).await?;
    let stage = if account.totp_secret.is_some() {
        Stage::PendingMfa
    } else {
        Stage::Full
    };
    let token = sessions::create(db, account.id, stage, now).await?;
    if stage == Stage::Full {
        touch_last_login(db, account, now).await?;
    }
    Ok(LoggedIn { token, stage })
}

/// The code step of a pending login. On success the pending session is
/// replaced by a full one with a new token; after [`CODE_TRIES_PER_LOGIN`]
/// wrong codes the pending login ends.
pub async fn code_step(
    db: &impl ConnectionTrait,
    policy: &TotpPolicy,
    pending: &Session,
    factor: &SecondFactor,
    now: UnixTime,
) -> Result<(SessionToken, Verified)> {
    let account = accounts::get(db, pending.account_id).await?;
    match mfa::verify(db, policy, &account, factor, now).await {
        Ok(verified) => {
            sessions::delete(db, &pending.token).await?;
            let token = sessions::create(db, account.id, Stage::Full, now).await?;
            touch_last_login(db, account, now).await?;
            Ok((token, verified))
        }
        Err(ServiceError::InvalidCode) => {
            tracing::info!(target: "security", account_id = pending.account_id, "second factor failed");
            if sessions::count_code_failure(db, pending).await? >= CODE_TRIES_PER_LOGIN {
                sessions::delete(db, &pending.token).await?;
                return Err(ServiceError::LoginExpired);
            }
            Err(ServiceError::InvalidCode)
        }
        Err(other) => Err(other),
    }
}

async fn touch_last_login(db: &impl ConnectionTrait, account: account::Model, now: UnixTime) -> Result<()> {
    let mut active = account.into_active_model();
    active.last_login_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}
