//! Three columns on `accounts`:
//! - the hash of the e-mailed code a newer one replaced, so that typing the
//!   code of an older mail is answered "use the latest e-mail" rather than
//!   "wrong". It opens nothing: only the newest code is ever claimed;
//! - a set-up link a customer e-mailed to one of its logins: its SHA-256
//!   (unique, so a link finds its login by one indexed lookup) and when it
//!   stops working. One live link per login; a new one replaces it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        for column in [
            string_len_null(Accounts::EmailCodePreviousHash, 64),
            string_len_null(Accounts::SetupLinkHash, 64),
            big_integer_null(Accounts::SetupLinkExpiresAt),
        ] {
            manager
                .alter_table(Table::alter().table(Accounts::Table).add_column(column).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_accounts_setup_link_hash")
                    .table(Accounts::Table)
                    .col(Accounts::SetupLinkHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_accounts_setup_link_hash")
                    .table(Accounts::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Accounts::SetupLinkExpiresAt,
            Accounts::SetupLinkHash,
            Accounts::EmailCodePreviousHash,
        ] {
            manager
                .alter_table(Table::alter().table(Accounts::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    EmailCodePreviousHash,
    SetupLinkHash,
    SetupLinkExpiresAt,
}
