//! The security log: one row per event, kept when the login it names is gone.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SecurityEvents::Table)
                    .col(pk_auto(SecurityEvents::Id))
                    .col(big_integer(SecurityEvents::At))
                    // `login_failed`, `mfa_reset_by_admin`, ... (app::domain::SecurityEventKind).
                    .col(string_len(SecurityEvents::Event, 32))
                    // The login concerned, and its name at the time (for a failed
                    // login, the name typed, whether or not such a login exists).
                    .col(integer_null(SecurityEvents::AccountId))
                    .col(string_len_null(SecurityEvents::AccountUsername, 254))
                    // Who acted when it was not the login itself: its customer,
                    // an administrator, or the command line.
                    .col(integer_null(SecurityEvents::ActorId))
                    .col(string_len_null(SecurityEvents::Actor, 254))
                    .col(string_len_null(SecurityEvents::Ip, 45))
                    .col(string_len_null(SecurityEvents::UserAgent, 512))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_security_events_account")
                            .from(SecurityEvents::Table, SecurityEvents::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_security_events_actor")
                            .from(SecurityEvents::Table, SecurityEvents::ActorId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The ways the log is read: a login's own events, the events under a name,
        // one kind of event; newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_security_events_account")
                    .table(SecurityEvents::Table)
                    .col(SecurityEvents::AccountId)
                    .col(SecurityEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_security_events_username")
                    .table(SecurityEvents::Table)
                    .col(SecurityEvents::AccountUsername)
                    .col(SecurityEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_security_events_event")
                    .table(SecurityEvents::Table)
                    .col(SecurityEvents::Event)
                    .col(SecurityEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SecurityEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Id,
    At,
    Event,
    AccountId,
    AccountUsername,
    ActorId,
    Actor,
    Ip,
    UserAgent,
}
