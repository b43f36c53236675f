//! Counters against online password guessing, in the database so that
//! several instances and restarts share them: one row per bucket (a
//! username, typed whether it exists or not; a browser that logged in
//! before, by its device cookie; a client address), and when the last
//! "someone is trying your password" notice was queued.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PasswordThrottles::Table)
                    // `account:c10001`, `device:<nonce>`, `address:192.0.2.7`.
                    .col(string_len(PasswordThrottles::Bucket, 300).primary_key())
                    // Failures in a row (a bucket's window, for addresses).
                    .col(integer(PasswordThrottles::Failures).default(0))
                    .col(big_integer(PasswordThrottles::WindowStart))
                    .col(big_integer_null(PasswordThrottles::LockedUntil))
                    // The worker removes buckets nobody has touched for a while.
                    .col(big_integer(PasswordThrottles::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_password_throttles_updated_at")
                    .table(PasswordThrottles::Table)
                    .col(PasswordThrottles::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(big_integer_null(Accounts::PasswordNoticeAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::PasswordNoticeAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PasswordThrottles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PasswordThrottles {
    Table,
    Bucket,
    Failures,
    WindowStart,
    LockedUntil,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    PasswordNoticeAt,
}
