//! The second factor: TOTP enrolment, recovery codes, and the one check every
//! code goes through (login, disable, regenerate), with replay protection and
//! throttling.

use app::api::{ActiveFactor, MfaStatus, TotpStatus};
use app::domain::{OtpCode, RecoveryCode, SecondFactor, SecurityEventKind as Event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use secrecy::SecretString;

use super::accounts::{Authority, Managed};
use super::audit::Trail;
use super::keys::Keys;
use super::sessions::{self, SessionToken};
use super::totp::{Totp, TotpPolicy, TotpSecret, is_fresh, qr_svg};
use super::{PasswordHasher, Result, ServiceError, random_bytes, sha256_hex};
use super::{app_passwords, email_codes};
use crate::clock::UnixTime;
use crate::entity::{account, recovery_code};

/// Recovery codes per set.
pub const RECOVERY_CODES: usize = 10;

/// Wrong codes in a row that cost nothing; each one after doubles the delay.
const FREE_FAILURES: i32 = 3;
/// The longest delay a run of wrong codes earns.
const MAX_DELAY_SECS: i64 = 15 * 60;

/// Seconds the next attempt must wait after `failures` wrong codes in a row:
/// none for the first three, then 1 s, 2 s, 4 s, ... up to 15 minutes.
pub fn delay_after(failures: i32) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = std::cmp::min(u32::try_from(failures - FREE_FAILURES).unwrap_or(u32::MAX), 20);
    std::cmp::min(1_i64 << doublings, MAX_DELAY_SECS)
}

/// A TOTP secret waiting for its first code, as shown to the user.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// What a successful second-factor check used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    Totp,
    EmailCode,
    RecoveryCode { left: u64 },
}

impl Verified {
    pub const fn is_recovery_code(self) -> bool {
        matches!(self, Self::RecoveryCode { .. })
    }
}

/// The second factor `account` logs in with now; e-mailed codes only where
/// this server can send mail.
pub fn active_factor(account: &account::Model, mail_on: bool) -> ActiveFactor {
    if account.totp_secret.is_some() {
        ActiveFactor::App
    } else if email_codes::offered(account, mail_on) {
        ActiveFactor::Email
    } else {
        ActiveFactor::None
    }
}

pub fn status(policy: &TotpPolicy, account: &account::Model, recovery_codes_left: u64, mail_on: bool) -> MfaStatus {
    MfaStatus {
        active: active_factor(account, mail_on),
        totp: TotpStatus {
            enabled: account.totp_secret.is_some(),
            period: policy.period,
        },
        contact_email: account.email.clone(),
        email_codes: account.email_codes && account.email.is_some() && mail_on,
        email_code_valid_for: email_codes::VALID_FOR.unsigned_abs(),
        recovery_codes_left: u32::try_from(recovery_codes_left).unwrap_or(u32::MAX),
    }
}

pub async fn recovery_codes_left(db: &impl ConnectionTrait, account_id: i32) -> Result<u64> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

/// Step one of enrolment: a new secret for `account`, held as pending.
/// Nothing changes for the account until [`activate`] sees a code made from
/// it. `password` is the one of whoever sets it up: the login itself, or the
/// customer it belongs to.
pub async fn setup(
    db: &impl ConnectionTrait,
    hasher: &PasswordHasher,
    totp: &Totp,
    confirming: &account::Model,
    account: &account::Model,
    password: SecretString,
) -> Result<TotpSetup> {
    confirm_password(hasher, confirming, password).await?;
    if account.totp_secret.is_some() {
        return Err(ServiceError::TotpAlreadyEnabled);
    }
    hold_new_secret(db, totp, account).await
}

/// A new secret for `account`, held as pending while its app is still the
/// one `account` was read with, and how to show it.
async fn hold_new_secret(db: &impl ConnectionTrait, totp: &Totp, account: &account::Model) -> Result<TotpSetup> {
    let secret = TotpSecret::generate().map_err(|e| ServiceError::internal(format!("getrandom: {e}")))?;
    let otpauth_uri = totp
        .policy
        .otpauth_uri(&secret, &account.username)
        .map_err(|e| ServiceError::internal(format!("otpauth uri: {e}")))?;
    let qr_svg = qr_svg(&otpauth_uri).map_err(|e| ServiceError::internal(format!("qr code: {e}")))?;
    // Only while the app is as checked: a reset, a disable or another
    // enrolment in between wins, and this secret is never held.
    let app_as_checked = match &account.totp_secret {
        Some(current) => account::Column::TotpSecret.eq(current.as_str()),
        None => account::Column::TotpSecret.is_null(),
    };
    let held = account::Entity::update_many()
        .col_expr(
            account::Column::TotpPendingSecret,
            Expr::value(totp.keys.seal_totp(account.id, &secret)?),
        )
        .filter(account::Column::Id.eq(account.id))
        .filter(app_as_checked)
        .exec(db)
        .await?;
    if held.rows_affected != 1 {
        return Err(if account.totp_secret.is_some() {
            ServiceError::TotpNotEnabled
        } else {
            ServiceError::TotpAlreadyEnabled
        });
    }
    Ok(TotpSetup {
        secret: secret.to_base32(),
        otpauth_uri,
        qr_svg,
    })
}

/// Step two: the first code proves the app has the secret; 2FA turns on and
/// the first set of recovery codes is returned, to be shown once. Every
/// session of the login but `keep` (the one that set it up, if it is the
/// login's own) ends: whoever logged in before 2FA must now show a code.
#[allow(clippy::too_many_arguments)]
pub async fn activate(
    db: &DatabaseConnection,
    totp: &Totp,
    account: &account::Model,
    keep: Option<&SessionToken>,
    code: &OtpCode,
    now: UnixTime,
    trail: &Trail,
) -> Result<Vec<RecoveryCode>> {
    if account.totp_secret.is_some() {
        return Err(ServiceError::TotpAlreadyEnabled);
    }
    let (pending, step) = check_pending_code(db, totp, account, code, now, trail).await?;

    let txn = db.begin().await?;
    // Conditional on the pending secret still being the one checked, so two
    // concurrent activations cannot both hand out recovery codes.
    let switched = adopt_pending_secret(account.id, pending, step)
        // From now on the app's codes count, not the e-mailed ones.
        .col_expr(account::Column::EmailCodeHash, Expr::value(Option::<String>::None))
        .col_expr(account::Column::EmailCodeExpiresAt, Expr::value(Option::<i64>::None))
        .filter(account::Column::TotpSecret.is_null())
        .exec(&txn)
        .await?;
    if switched.rows_affected != 1 {
        return Err(ServiceError::NoPendingSetup);
    }
    let codes = replace_recovery_codes(&txn, &totp.keys, account.id).await?;
    sessions::end_others(&txn, account.id, keep).await?;
    // A new app: no session needs the offer to move the old one.
    sessions::forget_recovery_code_logins(&txn, account.id).await?;
    trail.record(&txn, Event::MfaEnabled, account, now).await?;
    txn.commit().await?;
    Ok(codes)
}

/// The pending secret of `account` and the step of `code` made from it:
/// the check both enrolment and a move to a new phone end with.
async fn check_pending_code<'a>(
    db: &DatabaseConnection,
    totp: &Totp,
    account: &'a account::Model,
    code: &OtpCode,
    now: UnixTime,
    trail: &Trail,
) -> Result<(&'a str, i64)> {
    let pending = account
        .totp_pending_secret
        .as_deref()
        .ok_or(ServiceError::NoPendingSetup)?;
    let secret = totp.keys.open_totp(account.id, pending)?;
    let step = async {
        take_attempt(db, account, now).await?;
        totp.policy
            .matching_step(&secret, code, now)
            .ok_or(ServiceError::InvalidCode)
    };
    // A wrong code here is the user's typo while scanning, not a guess at a
    // login: the log says so.
    let step = noting_failures(db, trail, account, now, Event::SetupCodeFailed, step.await).await?;
    Ok((pending, step))
}

/// The UPDATE that makes the checked pending secret the login's, its code's
/// step the last one used; a right code ends a run of wrong ones. It finds
/// nothing once the pending secret has changed.
fn adopt_pending_secret(account_id: i32, pending: &str, step: i64) -> sea_orm::UpdateMany<account::Entity> {
    account::Entity::update_many()
        .col_expr(account::Column::TotpSecret, Expr::value(pending))
        .col_expr(account::Column::TotpPendingSecret, Expr::value(Option::<String>::None))
        .col_expr(account::Column::TotpLastStep, Expr::value(step))
        .col_expr(account::Column::MfaFailures, Expr::value(0))
        .col_expr(account::Column::MfaLockedUntil, Expr::value(Option::<i64>::None))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::TotpPendingSecret.eq(pending))
}

/// Moving the app to a new phone, step one: the password and a current code
/// (from the old app, or a recovery code when the old phone is gone), then a
/// new secret held as pending. The old app keeps working until
/// [`finish_move`] sees a code from the new one.
pub async fn start_move(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    totp: &Totp,
    account: &account::Model,
    proof: &Proof,
    now: UnixTime,
    trail: &Trail,
) -> Result<TotpSetup> {
    check_proof(db, hasher, totp, account, proof, now, trail).await?;
    hold_new_secret(db, totp, account).await
}

/// Step two: a code from the new app makes its secret the login's; the old
/// app's codes stop working, every session but `keep` ends, the recovery
/// codes stay.
pub async fn finish_move(
    db: &DatabaseConnection,
    totp: &Totp,
    account: &account::Model,
    keep: &SessionToken,
    code: &OtpCode,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    let old = account.totp_secret.as_deref().ok_or(ServiceError::TotpNotEnabled)?;
    let (pending, step) = check_pending_code(db, totp, account, code, now, trail).await?;
    let txn = db.begin().await?;
    // Conditional on both secrets being the ones checked: a reset or another
    // move in between wins, and this one finds nothing to finish.
    let moved = adopt_pending_secret(account.id, pending, step)
        .filter(account::Column::TotpSecret.eq(old))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(ServiceError::NoPendingSetup);
    }
    // The lost phone may still hold a session: only this one stays.
    sessions::delete_all_others(&txn, account.id, keep).await?;
    sessions::forget_recovery_code_logins(&txn, account.id).await?;
    trail.record(&txn, Event::AppMoved, account, now).await?;
    txn.commit().await?;
    Ok(())
}

/// What a change to an active second factor needs: the password and a
/// current code (an app code or a recovery code).
pub struct Proof {
    pub password: SecretString,
    pub factor: SecondFactor,
}

async fn check_proof(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    totp: &Totp,
    account: &account::Model,
    proof: &Proof,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    confirm_password(hasher, account, proof.password.clone()).await?;
    if account.totp_secret.is_none() {
        return Err(ServiceError::TotpNotEnabled);
    }
    verify(db, totp, account, &proof.factor, now, trail).await?;
    Ok(())
}

/// Re-authentication for a change that is not to the second factor itself
/// (a new app password): the password, and a current second factor
/// whenever the login has one, as for disabling 2FA. The code may be an
/// app code, a recovery code or an e-mailed one, whichever the login uses.
#[allow(clippy::too_many_arguments)]
pub async fn reauthenticate(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    totp: &Totp,
    account: &account::Model,
    password: SecretString,
    code: Option<&SecondFactor>,
    mail_on: bool,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    confirm_password(hasher, account, password).await?;
    if active_factor(account, mail_on) == ActiveFactor::None {
        return Ok(());
    }
    let factor = code.ok_or(ServiceError::SecondFactorRequired)?;
    verify(db, totp, account, factor, now, trail).await?;
    Ok(())
}

/// Turns TOTP off; every other session of the login ends.
#[allow(clippy::too_many_arguments)]
pub async fn disable(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    totp: &Totp,
    account: &account::Model,
    keep: &SessionToken,
    proof: &Proof,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    check_proof(db, hasher, totp, account, proof, now, trail).await?;
    let txn = db.begin().await?;
    clear_second_factor(&txn, account.id).await?;
    sessions::delete_all_others(&txn, account.id, keep).await?;
    trail.record(&txn, Event::MfaDisabled, account, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Switches another login's 2FA off: its customer or an administrator, with
/// their own password. Pending enrolment, secret and recovery codes go, and
/// so do the login's sessions and app passwords.
pub async fn reset(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    actor: &account::Model,
    target: &Managed,
    password: SecretString,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    confirm_password(hasher, actor, password).await?;
    let event = match target.authority {
        Authority::Admin => Event::MfaResetByAdmin,
        Authority::Owner => Event::MfaResetByOwner,
    };
    reset_unchecked(db, &target.account, event, now, trail).await
}

/// [`reset`] for an operator at the command line, who has no password to give.
pub async fn reset_by_operator(db: &DatabaseConnection, account: &account::Model, now: UnixTime) -> Result<()> {
    reset_unchecked(db, account, Event::MfaResetByAdmin, now, &Trail::command_line()).await
}

async fn reset_unchecked(
    db: &DatabaseConnection,
    account: &account::Model,
    event: Event,
    now: UnixTime,
    trail: &Trail,
) -> Result<()> {
    if account.totp_secret.is_none() && account.totp_pending_secret.is_none() {
        return Err(ServiceError::TotpNotEnabled);
    }
    let txn = db.begin().await?;
    clear_second_factor(&txn, account.id).await?;
    reset_failures(&txn, account.id).await?;
    // Whoever has the login now logs in again, and finds 2FA off.
    sessions::delete_all_for(&txn, account.id).await?;
    // Whoever took the login over may have made one for themselves.
    let revoked = app_passwords::delete_all_for(&txn, account.id).await?;
    trail
        .record_detailed(&txn, event, account, app_passwords::revoked_too(revoked), now)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A new set of recovery codes; the old set stops working.
pub async fn regenerate_recovery_codes(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    totp: &Totp,
    account: &account::Model,
    proof: &Proof,
    now: UnixTime,
    trail: &Trail,
) -> Result<Vec<RecoveryCode>> {
    check_proof(db, hasher, totp, account, proof, now, trail).await?;
    let txn = db.begin().await?;
    let codes = replace_recovery_codes(&txn, &totp.keys, account.id).await?;
    trail
        .record(&txn, Event::RecoveryCodesRegenerated, account, now)
        .await?;
    txn.commit().await?;
    Ok(codes)
}

/// The one check every second-factor code goes through.
///
/// - Throttled accounts are refused before the code is looked at.
/// - A login without an app has its 6-digit codes checked against the one it
///   was e-mailed ([`email_codes::claim`]).
/// - An app code must match the current step ±skew *and* be later than the
///   last step used; claiming the step is one conditional UPDATE, so of two
///   concurrent requests with one code exactly one wins.
/// - A recovery code is claimed the same way: `used_at IS NULL` in the UPDATE,
///   in one transaction with its event and notice.
/// - Every attempt is counted (compare-and-set) before the code is looked up,
///   so concurrent guesses cannot outrun the delay; a right code resets it.
///   A right code from the app, checked in memory, skips the count: its claim
///   resets it in the same UPDATE, which a lock (set by earlier wrong codes)
///   stops as it would stop the count.
/// - Wrong codes, refused attempts and used recovery codes go to the log.
pub async fn verify(
    db: &(impl ConnectionTrait + TransactionTrait),
    totp: &Totp,
    account: &account::Model,
    factor: &SecondFactor,
    now: UnixTime,
    trail: &Trail,
) -> Result<Verified> {
    let verified = check_factor(db, totp, account, factor, now, trail).await;
    noting_failures(db, trail, account, now, Event::CodeFailed, verified).await
}

/// Logs a wrong code (as `wrong`) or a refused attempt, and passes the
/// result on.
async fn noting_failures<T>(
    db: &(impl ConnectionTrait + TransactionTrait),
    trail: &Trail,
    account: &account::Model,
    now: UnixTime,
    wrong: Event,
    result: Result<T>,
) -> Result<T> {
    let event = match &result {
        Err(ServiceError::InvalidCode | ServiceError::SupersededCode) => wrong,
        Err(ServiceError::TooManyAttempts { .. }) => Event::Throttled,
        _ => return result,
    };
    trail.record(db, event, account, now).await?;
    result
}

/// A right code from the app while the account is not locked passes in one
/// statement; every other attempt is counted first ([`take_attempt`]).
async fn check_factor(
    db: &(impl ConnectionTrait + TransactionTrait),
    totp: &Totp,
    account: &account::Model,
    factor: &SecondFactor,
    now: UnixTime,
    trail: &Trail,
) -> Result<Verified> {
    if let SecondFactor::Totp(code) = factor
        && claim_totp_step(db, totp, account, code, now, false).await?
    {
        return Ok(Verified::Totp);
    }
    take_attempt(db, account, now).await?;
    let verified = match factor {
        SecondFactor::Totp(code) if account.totp_secret.is_some() => {
            claim_totp_step(db, totp, account, code, now, true)
                .await?
                .then_some(Verified::Totp)
        }
        SecondFactor::Totp(code) => match email_codes::claim(db, &totp.keys, account.id, code, now).await? {
            email_codes::Claim::Used => Some(Verified::EmailCode),
            email_codes::Claim::Superseded => return Err(ServiceError::SupersededCode),
            email_codes::Claim::Wrong => None,
        },
        SecondFactor::Recovery(code) => {
            // The claim, its event and its notice: all or none.
            let txn = db.begin().await?;
            let claimed = claim_recovery_code(&txn, &totp.keys, account.id, code, now).await?;
            if claimed {
                trail.record(&txn, Event::RecoveryCodeUsed, account, now).await?;
            }
            txn.commit().await?;
            match claimed {
                true => Some(Verified::RecoveryCode {
                    left: recovery_codes_left(db, account.id).await?,
                }),
                false => None,
            }
        }
    };
    match verified {
        Some(v) => {
            reset_failures(db, account.id).await?;
            Ok(v)
        }
        None => Err(ServiceError::InvalidCode),
    }
}

/// Claims the step of a right and fresh code from the app (once only: RFC
/// 6238 section 5.2). `counted`: [`take_attempt`] counted it first. If not,
/// the common case in one statement: the claim also clears the count of
/// wrong codes, and only while the account is not locked; anything else (a
/// wrong code, a lock, a step another request claimed first) takes the
/// counted way, which says why.
async fn claim_totp_step(
    db: &impl ConnectionTrait,
    totp: &Totp,
    account: &account::Model,
    code: &OtpCode,
    now: UnixTime,
    counted: bool,
) -> Result<bool> {
    let Some((secret, step)) = fresh_step(totp, account, code, now)? else {
        return Ok(false);
    };
    let mut claim = claim_step(account.id, secret, step);
    if !counted {
        claim = claim
            .col_expr(account::Column::MfaFailures, Expr::value(0))
            .col_expr(account::Column::MfaLockedUntil, Expr::value(Option::<i64>::None))
            .filter(
                Condition::any()
                    .add(account::Column::MfaLockedUntil.is_null())
                    .add(account::Column::MfaLockedUntil.lte(now)),
            );
    }
    Ok(claim.exec(db).await?.rows_affected == 1)
}

/// The account's secret and the step `code` is from, if the code is right
/// and its step later than the last one used (as `account` was read).
fn fresh_step<'a>(
    totp: &Totp,
    account: &'a account::Model,
    code: &OtpCode,
    now: UnixTime,
) -> Result<Option<(&'a str, i64)>> {
    let Some(sealed) = account.totp_secret.as_deref() else {
        return Ok(None);
    };
    let secret = totp.keys.open_totp(account.id, sealed)?;
    Ok(totp
        .policy
        .matching_step(&secret, code, now)
        .filter(|&step| is_fresh(account.totp_last_step, step))
        .map(|step| (sealed, step)))
}

/// Sets the last used step to `step` if it is still later than the stored
/// one and the secret has not changed meanwhile.
fn claim_step(account_id: i32, secret: &str, step: i64) -> sea_orm::UpdateMany<account::Entity> {
    account::Entity::update_many()
        .col_expr(account::Column::TotpLastStep, Expr::value(step))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::TotpSecret.eq(secret))
        .filter(
            Condition::any()
                .add(account::Column::TotpLastStep.is_null())
                .add(account::Column::TotpLastStep.lt(step)),
        )
}

/// A recovery code's digest, salted with its account; stored keyed ([`Keys::keyed_hash`]).
fn recovery_code_digest(account_id: i32, code: &RecoveryCode) -> String {
    sha256_hex(&[
        b"tessera-recovery-code:",
        account_id.to_string().as_bytes(),
        b":",
        code.canonical().as_bytes(),
    ])
}

async fn claim_recovery_code(
    db: &impl ConnectionTrait,
    keys: &Keys,
    account_id: i32,
    code: &RecoveryCode,
    now: UnixTime,
) -> Result<bool> {
    let claimed = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(
            recovery_code::Column::CodeHash.is_in(keys.keyed_hash_candidates(&recovery_code_digest(account_id, code))),
        )
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Ten fresh codes, stored hashed; the old ones deleted. Run in a transaction.
async fn replace_recovery_codes(db: &impl ConnectionTrait, keys: &Keys, account_id: i32) -> Result<Vec<RecoveryCode>> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let code = RecoveryCode::from_indices(random_bytes()?);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let rows = codes.iter().map(|code| recovery_code::ActiveModel {
        account_id: Set(account_id),
        code_hash: Set(keys.keyed_hash(&recovery_code_digest(account_id, code))),
        used_at: Set(None),
        ..Default::default()
    });
    recovery_code::Entity::insert_many(rows).exec(db).await?;
    Ok(codes)
}

/// Removes the secret, any pending enrolment and the recovery codes.
pub(crate) async fn clear_second_factor(db: &impl ConnectionTrait, account_id: i32) -> Result<()> {
    account::Entity::update_many()
        .col_expr(account::Column::TotpSecret, Expr::value(Option::<String>::None))
        .col_expr(account::Column::TotpPendingSecret, Expr::value(Option::<String>::None))
        .col_expr(account::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

pub(crate) async fn confirm_password(
    hasher: &PasswordHasher,
    account: &account::Model,
    password: SecretString,
) -> Result<()> {
    match hasher.verify(Some(account.password_hash.clone()), password).await? {
        true => Ok(()),
        false => Err(ServiceError::InvalidPassword),
    }
}

fn check_throttle(account: &account::Model, now: UnixTime) -> Result<()> {
    match account.mfa_locked_until {
        Some(until) if until > now => Err(ServiceError::TooManyAttempts {
            retry_after: u64::try_from(until - now).unwrap_or(1),
        }),
        _ => Ok(()),
    }
}

/// Takes one attempt at a code for the account: refused while it is locked,
/// otherwise counted as a wrong code *before* the code is looked at (a right
/// code resets the count afterwards). The count is compare-and-set against
/// `account` as the caller read it (read again only when another attempt came
/// first), so concurrent attempts line up: the lock the third one sets stops
/// the fourth.
async fn take_attempt(db: &impl ConnectionTrait, account: &account::Model, now: UnixTime) -> Result<()> {
    let mut current = std::borrow::Cow::Borrowed(account);
    loop {
        check_throttle(&current, now)?;
        let failures = current.mfa_failures.saturating_add(1);
        let delay = delay_after(failures);
        let locked_until = if delay > 0 {
            Some(now + delay)
        } else {
            current.mfa_locked_until
        };
        let taken = account::Entity::update_many()
            .col_expr(account::Column::MfaFailures, Expr::value(failures))
            .col_expr(account::Column::MfaLockedUntil, Expr::value(locked_until))
            .filter(account::Column::Id.eq(account.id))
            .filter(account::Column::MfaFailures.eq(current.mfa_failures))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(());
        }
        current = std::borrow::Cow::Owned(super::accounts::get(db, account.id).await?);
    }
}

async fn reset_failures(db: &impl ConnectionTrait, account_id: i32) -> Result<()> {
    account::Entity::update_many()
        .col_expr(account::Column::MfaFailures, Expr::value(0))
        .col_expr(account::Column::MfaLockedUntil, Expr::value(Option::<i64>::None))
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_three_wrong_codes_cost_nothing_then_the_delay_doubles() {
        let delays: Vec<i64> = (0..=8).map(delay_after).collect();
        assert_eq!(delays, [0, 0, 0, 1, 2, 4, 8, 16, 32]);
    }

    #[test]
    fn the_delay_stops_growing_at_fifteen_minutes() {
        assert_eq!(delay_after(13), 900);
        assert_eq!(delay_after(1_000), 900);
        assert_eq!(delay_after(i32::MAX), 900);
    }
}
