//! When a login's last notice of each repeating kind (throttling, a failed
//! second step) was queued: the outbox sends at most one of each per 15
//! minutes, and a compare-and-set on these columns decides which of several
//! concurrent attempts queues it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for mut column in [
            big_integer_null(Accounts::ThrottledNoticeAt),
            big_integer_null(Accounts::SecondStepNoticeAt),
        ] {
            manager
                .alter_table(Table::alter().table(Accounts::Table).add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Accounts::SecondStepNoticeAt, Accounts::ThrottledNoticeAt] {
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
    ThrottledNoticeAt,
    SecondStepNoticeAt,
}
