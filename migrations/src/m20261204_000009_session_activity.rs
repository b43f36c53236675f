//! What a session's owner sees in its list, and what the idle timeout
//! reads: when it was last used, and from which address and browser it
//! logged in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            big_integer(Sessions::LastSeenAt).default(0).to_owned(),
            string_len_null(Sessions::Ip, 45),
            string_len_null(Sessions::UserAgent, 512),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(Sessions::Table).add_column(&mut column).to_owned())
                .await?;
        }
        // Sessions open across the upgrade were last seen when they began.
        manager
            .get_connection()
            .execute_unprepared("UPDATE sessions SET last_seen_at = created_at")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Sessions::LastSeenAt, Sessions::Ip, Sessions::UserAgent] {
            manager
                .alter_table(Table::alter().table(Sessions::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    LastSeenAt,
    Ip,
    UserAgent,
}
