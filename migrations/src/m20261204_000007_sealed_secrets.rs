//! Room for sealed secrets and keyed hashes (`v1:<key id>:...`, see the
//! server's `service::keys`): a sealed TOTP secret is 92 characters, a keyed
//! hash 76, where the plain values were 32 and 64.
//!
//! Only PostgreSQL enforces a `varchar` length; SQLite stores what it is
//! given, so there is nothing to change there. The values themselves are
//! sealed by the server at start, which alone holds the key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const WIDENED: [(&str, &str, u32, u32); 6] = [
    ("accounts", "totp_secret", 64, 128),
    ("accounts", "totp_pending_secret", 64, 128),
    ("accounts", "email_code_hash", 64, 96),
    ("accounts", "email_code_previous_hash", 64, 96),
    ("recovery_codes", "code_hash", 64, 96),
    ("app_passwords", "secret_hash", 64, 96),
];

async fn set_lengths(manager: &SchemaManager<'_>, pick: fn(u32, u32) -> u32) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for (table, column, before, after) in WIDENED {
        let length = pick(before, after);
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length})"
            ))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_lengths(manager, |_, after| after).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_lengths(manager, |before, _| before).await
    }
}
