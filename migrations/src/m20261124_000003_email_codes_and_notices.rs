//! E-mailed one-time codes (the default second factor for customers), the
//! contact address they and the security notices go to, and the notices'
//! outbox with the single-use "This wasn't me" link each carries.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            // Where codes and notices go. A mailbox's is never its own address.
            string_len_null(Accounts::Email, 254),
            // E-mail codes are this login's second factor whenever the app is not.
            boolean(Accounts::EmailCodes).default(false).to_owned(),
            // The live e-mailed code: its SHA-256 only, when it stops being
            // valid, when the last one was sent (the re-send limit) and the
            // wrong tries it has taken.
            string_len_null(Accounts::EmailCodeHash, 64),
            big_integer_null(Accounts::EmailCodeExpiresAt),
            big_integer_null(Accounts::EmailCodeSentAt),
            integer(Accounts::EmailCodeFailures).default(0).to_owned(),
            // Set by a "This wasn't me" report, for the owner and the admins to see.
            big_integer_null(Accounts::FlaggedAt),
            // When the last notice of each repeating kind (throttling, a failed
            // second step) was queued: at most one of each per 15 minutes, and
            // a compare-and-set on these decides which of concurrent attempts
            // queues it.
            big_integer_null(Accounts::ThrottledNoticeAt),
            big_integer_null(Accounts::SecondStepNoticeAt),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(Accounts::Table).add_column(&mut column).to_owned())
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(pk_auto(Notices::Id))
                    .col(integer(Notices::AccountId))
                    .col(string_len(Notices::Recipient, 254))
                    // `mfa_enabled`, `recovery_code_used`, ... (service::notices::Notice).
                    .col(string_len(Notices::Kind, 32))
                    // What the mail says beyond its kind (who, from where, codes left), JSON.
                    .col(text(Notices::Details))
                    .col(big_integer(Notices::CreatedAt))
                    // Delivery: the worker claims a row by moving `next_attempt_at`
                    // (compare-and-set), and marks it sent once.
                    .col(integer(Notices::Attempts).default(0))
                    .col(big_integer(Notices::NextAttemptAt))
                    .col(big_integer_null(Notices::SentAt))
                    .col(string_len_null(Notices::LastError, 512))
                    // The "This wasn't me" link: its token until the mail is sent
                    // (then only the hash stays), and when it was used.
                    .col(string_len_null(Notices::LinkToken, 64))
                    .col(string_len_uniq(Notices::LinkTokenHash, 64))
                    .col(big_integer_null(Notices::LinkUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notices_account")
                            .from(Notices::Table, Notices::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker's question: what is due and not sent?
        manager
            .create_index(
                Index::create()
                    .name("idx_notices_due")
                    .table(Notices::Table)
                    .col(Notices::SentAt)
                    .col(Notices::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notices_account")
                    .table(Notices::Table)
                    .col(Notices::AccountId)
                    .col(Notices::Kind)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notices::Table).to_owned())
            .await?;
        for column in [
            Accounts::SecondStepNoticeAt,
            Accounts::ThrottledNoticeAt,
            Accounts::FlaggedAt,
            Accounts::EmailCodeFailures,
            Accounts::EmailCodeSentAt,
            Accounts::EmailCodeExpiresAt,
            Accounts::EmailCodeHash,
            Accounts::EmailCodes,
            Accounts::Email,
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
    Id,
    Email,
    EmailCodes,
    EmailCodeHash,
    EmailCodeExpiresAt,
    EmailCodeSentAt,
    EmailCodeFailures,
    FlaggedAt,
    ThrottledNoticeAt,
    SecondStepNoticeAt,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    AccountId,
    Recipient,
    Kind,
    Details,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    SentAt,
    LastError,
    LinkToken,
    LinkTokenHash,
    LinkUsedAt,
}
