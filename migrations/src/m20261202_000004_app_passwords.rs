//! App passwords: the secrets mail clients log in with once a mailbox has
//! 2FA, each for some protocols and until revoked or expired; the client
//! addresses each has been used from (a new one is a notice); and a detail
//! column for the security log, which names the app password an event is about.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppPasswords::Table)
                    .col(pk_auto(AppPasswords::Id))
                    .col(integer(AppPasswords::AccountId))
                    .col(string_len(AppPasswords::Name, 64))
                    // `imap,smtp` (app::domain::MailProtocols).
                    .col(string_len(AppPasswords::Protocols, 64))
                    // SHA-256 of the secret: 120 random bits need no slow hash,
                    // and the mail proxy asks on every connection. Unique, so a
                    // login is one indexed lookup.
                    .col(string_len_uniq(AppPasswords::SecretHash, 64))
                    .col(big_integer(AppPasswords::CreatedAt))
                    .col(big_integer_null(AppPasswords::ExpiresAt))
                    // The last use, written at most once a minute.
                    .col(big_integer_null(AppPasswords::LastUsedAt))
                    .col(string_len_null(AppPasswords::LastUsedProtocol, 16))
                    .col(string_len_null(AppPasswords::LastUsedIp, 45))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_app_passwords_account")
                            .from(AppPasswords::Table, AppPasswords::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Names are unique per login (they tell the list and the notices apart).
        manager
            .create_index(
                Index::create()
                    .name("idx_app_passwords_account_name")
                    .table(AppPasswords::Table)
                    .col(AppPasswords::AccountId)
                    .col(AppPasswords::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppPasswordAddresses::Table)
                    .col(integer(AppPasswordAddresses::AppPasswordId))
                    .col(string_len(AppPasswordAddresses::Ip, 45))
                    .col(big_integer(AppPasswordAddresses::FirstUsedAt))
                    .primary_key(
                        Index::create()
                            .col(AppPasswordAddresses::AppPasswordId)
                            .col(AppPasswordAddresses::Ip),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_app_password_addresses_app_password")
                            .from(AppPasswordAddresses::Table, AppPasswordAddresses::AppPasswordId)
                            .to(AppPasswords::Table, AppPasswords::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SecurityEvents::Table)
                    .add_column(string_len_null(SecurityEvents::Detail, 128))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SecurityEvents::Table)
                    .drop_column(SecurityEvents::Detail)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AppPasswordAddresses::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AppPasswords::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppPasswords {
    Table,
    Id,
    AccountId,
    Name,
    Protocols,
    SecretHash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    LastUsedProtocol,
    LastUsedIp,
}

#[derive(DeriveIden)]
enum AppPasswordAddresses {
    Table,
    AppPasswordId,
    Ip,
    FirstUsedAt,
}

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Detail,
}
