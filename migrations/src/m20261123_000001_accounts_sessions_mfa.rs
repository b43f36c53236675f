//! Accounts with their TOTP state, server-side sessions and recovery codes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_auto(Accounts::Id))
                    .col(string_len(Accounts::Kind, 16))
                    .col(string_len_uniq(Accounts::Username, 254))
                    .col(integer_null(Accounts::OwnerId))
                    .col(string(Accounts::PasswordHash))
                    // Base32; the active secret, and one awaiting its first code.
                    .col(string_len_null(Accounts::TotpSecret, 64))
                    .col(string_len_null(Accounts::TotpPendingSecret, 64))
                    // The last time step accepted: replay protection (RFC 6238 5.2).
                    .col(big_integer_null(Accounts::TotpLastStep))
                    // Wrong second-factor codes in a row, and the delay they earned.
                    .col(integer(Accounts::MfaFailures).default(0))
                    .col(big_integer_null(Accounts::MfaLockedUntil))
                    .col(big_integer(Accounts::CreatedAt))
                    .col(big_integer_null(Accounts::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_accounts_owner")
                            .from(Accounts::Table, Accounts::OwnerId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    // SHA-256 of the cookie's token, hex: a leaked table opens no session.
                    .col(string_len(Sessions::TokenHash, 64).primary_key())
                    .col(integer(Sessions::AccountId))
                    // `pending_mfa` (password checked, code not yet) or `full`.
                    .col(string_len(Sessions::Stage, 16))
                    .col(integer(Sessions::CodeFailures).default(0))
                    .col(big_integer(Sessions::CreatedAt))
                    .col(big_integer(Sessions::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_account")
                            .from(Sessions::Table, Sessions::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_account")
                    .table(Sessions::Table)
                    .col(Sessions::AccountId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(pk_auto(RecoveryCodes::Id))
                    .col(integer(RecoveryCodes::AccountId))
                    // SHA-256 of the canonical code, hex; the codes themselves are never stored.
                    .col(string_len(RecoveryCodes::CodeHash, 64))
                    .col(big_integer_null(RecoveryCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_codes_account")
                            .from(RecoveryCodes::Table, RecoveryCodes::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_recovery_codes_account_code")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::AccountId)
                    .col(RecoveryCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Kind,
    Username,
    OwnerId,
    PasswordHash,
    TotpSecret,
    TotpPendingSecret,
    TotpLastStep,
    MfaFailures,
    MfaLockedUntil,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    AccountId,
    Stage,
    CodeFailures,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    AccountId,
    CodeHash,
    UsedAt,
}
