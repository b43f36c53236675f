//! What in the database is sealed or keyed under which key ([`super::keys`]):
//! the start-up check that the key file is the right one, the conversion of
//! the plain secrets and digests an older version stored, and the re-sealing
//! a rotation does.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::bail;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement, TransactionTrait,
};

use super::keys::{KeyId, Keys, PREFIX, Ring};
use super::totp::TotpSecret;
use super::{Result, ServiceError};
use crate::entity::{account, app_password, recovery_code};

/// Rows changed per transaction.
const BATCH: u64 = 500;

/// How many stored values one key (or none) protects, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub totp_secrets: u64,
    pub recovery_codes: u64,
    pub app_passwords: u64,
    pub email_codes: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.totp_secrets + self.recovery_codes + self.app_passwords + self.email_codes
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = [
            (self.totp_secrets, "TOTP secret"),
            (self.recovery_codes, "recovery code"),
            (self.app_passwords, "app password"),
            (self.email_codes, "e-mailed code"),
        ];
        let named: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}{}", if *n == 1 { "" } else { "s" }))
            .collect();
        match named.is_empty() {
            true => f.write_str("nothing"),
            false => f.write_str(&named.join(", ")),
        }
    }
}

/// What the database holds under each key, and in the clear (`plain`: left
/// by a version before keys).
#[derive(Debug, Clone, Default)]
pub struct Usage {
    pub by_key: BTreeMap<KeyId, Counts>,
    pub plain: Counts,
}

impl Usage {
    /// The keys in use that `ring` does not hold.
    pub fn missing_from(&self, ring: &Ring) -> BTreeMap<KeyId, Counts> {
        self.by_key
            .iter()
            .filter(|(id, _)| !ring.holds(**id))
            .map(|(id, counts)| (*id, *counts))
            .collect()
    }
}

/// Which of a [`Counts`] a column adds to.
type Counter = fn(&mut Counts) -> &mut u64;

/// The columns that hold sealed values or keyed hashes (table, column, which
/// rows: a used recovery code is never looked up again).
const COLUMNS: [(&str, &str, &str, Counter); 6] = [
    ("accounts", "totp_secret", "", |c| &mut c.totp_secrets),
    ("accounts", "totp_pending_secret", "", |c| &mut c.totp_secrets),
    ("recovery_codes", "code_hash", "AND used_at IS NULL", |c| {
        &mut c.recovery_codes
    }),
    ("app_passwords", "secret_hash", "", |c| &mut c.app_passwords),
    ("accounts", "email_code_hash", "", |c| &mut c.email_codes),
    ("accounts", "email_code_previous_hash", "", |c| &mut c.email_codes),
];

/// Counts every sealed value and keyed hash by the key it names.
pub async fn usage(db: &impl ConnectionTrait) -> Result<Usage> {
    let mut usage = Usage::default();
    for (table, column, only, counter) in COLUMNS {
        let sql = format!(
            "SELECT CASE WHEN {column} LIKE '{PREFIX}%' THEN substr({column}, 1, 12) ELSE '' END AS tag, \
             COUNT(*) AS n FROM {table} WHERE {column} IS NOT NULL {only} GROUP BY 1"
        );
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?;
        for row in rows {
            let tag: String = row.try_get("", "tag")?;
            let n: i64 = row.try_get("", "n")?;
            let counts = match KeyId::of_stored(&tag) {
                Some(id) => usage.by_key.entry(id).or_default(),
                None => &mut usage.plain,
            };
            *counter(counts) += n.unsigned_abs();
        }
    }
    Ok(usage)
}

/// Seals under `ring`'s current key every TOTP secret that is not: those an
/// older version stored in the clear, and those under an older key. In
/// batches, each row changed only if it is still what was read, so a server
/// at work meanwhile (an enrolment, a reset) wins and nothing is lost; run
/// again, it carries on where it stopped. Answers how many it sealed.
pub async fn reseal_totp_secrets(db: &DatabaseConnection, ring: &Ring, mut progress: impl FnMut(u64)) -> Result<u64> {
    let current = format!("{PREFIX}{}:", ring.current_id());
    let (mut after, mut sealed) = (0, 0);
    loop {
        let rows: Vec<(i32, Option<String>, Option<String>)> = account::Entity::find()
            .select_only()
            .column(account::Column::Id)
            .column(account::Column::TotpSecret)
            .column(account::Column::TotpPendingSecret)
            .filter(account::Column::Id.gt(after))
            .filter(
                Condition::any()
                    .add(not_tagged(account::Column::TotpSecret, &current))
                    .add(not_tagged(account::Column::TotpPendingSecret, &current)),
            )
            .order_by_asc(account::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&(last, _, _)) = rows.last() else {
            return Ok(sealed);
        };
        let txn = db.begin().await?;
        for (id, active, pending) in rows {
            for (column, stored) in [
                (account::Column::TotpSecret, active),
                (account::Column::TotpPendingSecret, pending),
            ] {
                let Some(stored) = stored.filter(|s| !s.starts_with(&current)) else {
                    continue;
                };
                let resealed = ring.seal_totp(id, &open_any(ring, id, &stored)?)?;
                let done = account::Entity::update_many()
                    .col_expr(column, Expr::value(resealed))
                    .filter(account::Column::Id.eq(id))
                    .filter(column.eq(stored))
                    .exec(&txn)
                    .await?;
                sealed += done.rows_affected;
            }
        }
        txn.commit().await?;
        after = last;
        progress(sealed);
    }
}

/// A stored TOTP secret, sealed or (left by an older version) in base32.
fn open_any(ring: &Ring, account_id: i32, stored: &str) -> Result<TotpSecret> {
    if stored.starts_with(PREFIX) {
        return ring
            .open_totp(account_id, stored)
            .map_err(|e| ServiceError::internal(format!("account {account_id}: its TOTP secret {e}")));
    }
    TotpSecret::from_base32(stored)
        .ok_or_else(|| ServiceError::internal(format!("account {account_id}: its TOTP secret is not base32")))
}

/// Keys the plain SHA-256 digests an older version stored (recovery codes,
/// app passwords): each becomes [`Ring::keyed_hash`] of itself, which is what
/// the rules compute now. E-mailed codes live 15 minutes: one in the clear is
/// voided instead, and its user asks for another. Answers how many changed.
pub async fn key_plain_digests(db: &DatabaseConnection, ring: &Ring) -> Result<u64> {
    use {app_password as app, recovery_code as recovery};
    let recovery = key_plain::<recovery::Entity>(db, ring, recovery::Column::Id, recovery::Column::CodeHash).await?;
    let app = key_plain::<app::Entity>(db, ring, app::Column::Id, app::Column::SecretHash).await?;
    let voided = void_email_codes(db, |column| not_tagged(column, PREFIX)).await?;
    Ok(recovery + app + voided)
}

async fn key_plain<E: EntityTrait>(
    db: &DatabaseConnection,
    ring: &Ring,
    id: E::Column,
    hash: E::Column,
) -> Result<u64> {
    let (mut after, mut keyed) = (0, 0);
    loop {
        let rows: Vec<(i32, String)> = E::find()
            .select_only()
            .column(id)
            .column(hash)
            .filter(id.gt(after))
            .filter(not_tagged(hash, PREFIX))
            .order_by_asc(id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some((last, _)) = rows.last().cloned() else {
            return Ok(keyed);
        };
        let txn = db.begin().await?;
        for (row, digest) in rows {
            let done = E::update_many()
                .col_expr(hash, Expr::value(ring.keyed_hash(&digest)))
                .filter(id.eq(row))
                .filter(hash.eq(digest))
                .exec(&txn)
                .await?;
            keyed += done.rows_affected;
        }
        txn.commit().await?;
        after = last;
    }
}

/// `column` holds a value that does not start with `tag`.
fn not_tagged(column: impl ColumnTrait, tag: &str) -> Condition {
    Condition::all()
        .add(column.is_not_null())
        .add(column.not_like(format!("{tag}%")))
}

/// Voids every e-mailed code (the live one and the one it replaced) whose
/// hash `which` picks.
async fn void_email_codes(db: &impl ConnectionTrait, which: impl Fn(account::Column) -> Condition) -> Result<u64> {
    let voided = account::Entity::update_many()
        .col_expr(account::Column::EmailCodeHash, Expr::value(Option::<String>::None))
        .col_expr(
            account::Column::EmailCodePreviousHash,
            Expr::value(Option::<String>::None),
        )
        .filter(
            Condition::any()
                .add(which(account::Column::EmailCodeHash))
                .add(which(account::Column::EmailCodePreviousHash)),
        )
        .exec(db)
        .await?;
    Ok(voided.rows_affected)
}

/// Voids the e-mailed codes keyed under anything but the current key, so a
/// rotation can retire the old one; their users ask for a new code.
pub async fn void_email_codes_under_old_keys(db: &impl ConnectionTrait, ring: &Ring) -> Result<u64> {
    let current = format!("{PREFIX}{}:", ring.current_id());
    void_email_codes(db, |column| not_tagged(column, &current)).await
}

/// The server's keys from `file`, checked against the database before
/// anything is served: made (mode 0600) on the first start, when the
/// database holds nothing sealed; refused when the database holds values
/// under a key the file lacks, since serving would lock those logins out;
/// then whatever an older version stored in the clear is sealed and keyed.
pub async fn open_keys(db: &DatabaseConnection, file: &Path) -> anyhow::Result<Keys> {
    let usage = usage(db).await?;
    if !file.exists() {
        if !usage.by_key.is_empty() {
            bail!(
                "--secret-key-file {} does not exist, but the database holds {}: start with the key file \
                 they were sealed with (restore it from the backup); a new key would open none of them",
                file.display(),
                describe(&usage.by_key)
            );
        }
        if Ring::create(file)? {
            tracing::info!(file = %file.display(), "created a new secret key (keep it, and back it up apart from the database)");
        }
    }
    let keys = Keys::load(file)?;
    let ring = keys.current();
    refuse_missing(file, &ring, &usage)?;
    if usage.plain.total() > 0 {
        let totp = reseal_totp_secrets(db, &ring, |_| ()).await?;
        let digests = key_plain_digests(db, &ring).await?;
        tracing::info!(
            totp_secrets = totp,
            digests,
            "sealed the secrets an older version stored in the clear"
        );
    }
    Ok(keys)
}

fn describe(by_key: &BTreeMap<KeyId, Counts>) -> String {
    let parts: Vec<String> = by_key
        .iter()
        .map(|(id, counts)| format!("{counts} under key {id}"))
        .collect();
    parts.join("; ")
}

/// What a [`rotate`] did.
#[derive(Debug)]
pub struct Rotation {
    /// The key it made; `None`: it finished a rotation that had stopped.
    pub new_key: Option<KeyId>,
    pub current: KeyId,
    pub resealed: u64,
    pub voided_email_codes: u64,
    /// Older keys nothing needs any more, removed from the file.
    pub retired: Vec<KeyId>,
    /// Older keys kept for the keyed hashes made under them.
    pub kept: Vec<(KeyId, Counts)>,
}

/// `tessera keys rotate`: a new current key in `file` (the old ones stay,
/// to open what they sealed), every TOTP secret re-sealed under it in
/// batches, e-mailed codes under old keys voided, and the old keys nothing
/// needs any more removed. Keyed hashes cannot be re-keyed without their
/// codes: a key stays while recovery codes or app passwords use it (an app
/// password moves to the current key when next used). Stopped half way and
/// run again, it finishes that rotation instead of starting another. A
/// server running beside it reads the file again when it changes.
pub async fn rotate(db: &DatabaseConnection, file: &Path, progress: impl FnMut(u64)) -> anyhow::Result<Rotation> {
    let ring = Keys::load(file)?.current();
    let before = usage(db).await?;
    refuse_missing(file, &ring, &before)?;
    let unfinished = before.plain.totp_secrets > 0
        || before
            .by_key
            .iter()
            .any(|(id, counts)| *id != ring.current_id() && counts.totp_secrets > 0);
    let (ring, new_key) = match unfinished {
        true => (ring, None),
        false => {
            let rotated = ring.with_new_key()?;
            rotated.write(file)?;
            let id = rotated.current_id();
            (std::sync::Arc::new(rotated), Some(id))
        }
    };
    let resealed = reseal_totp_secrets(db, &ring, progress).await?;
    let voided_email_codes = void_email_codes_under_old_keys(db, &ring).await?;
    let after = usage(db).await?;
    let (kept, retired): (Vec<KeyId>, Vec<KeyId>) = ring
        .ids()
        .skip(1)
        .partition(|id| after.by_key.get(id).is_some_and(|c| c.total() > 0));
    if !retired.is_empty() {
        ring.retain(|id| kept.contains(&id)).write(file)?;
    }
    Ok(Rotation {
        new_key,
        current: ring.current_id(),
        resealed,
        voided_email_codes,
        retired,
        kept: kept.into_iter().map(|id| (id, after.by_key[&id])).collect(),
    })
}

fn refuse_missing(file: &Path, ring: &Ring, usage: &Usage) -> anyhow::Result<()> {
    let missing = usage.missing_from(ring);
    if !missing.is_empty() {
        bail!(
            "--secret-key-file {} is not this database's: it holds key {}, but the database holds {}",
            file.display(),
            ring.ids().map(|id| id.to_string()).collect::<Vec<_>>().join(", "),
            describe(&missing)
        );
    }
    Ok(())
}
