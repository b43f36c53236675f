//! Tessera's schema. Migrations are the source of truth; the server's SeaORM
//! entities mirror them, and a migration never imports today's entities.
//!
//! Times are Unix seconds in BIGINT columns: the same on SQLite and PostgreSQL,
//! and trivially compared with the `now` the service layer is given.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts_sessions_mfa;
mod m20261123_000002_security_events;
mod m20261124_000003_email_codes_and_notices;
mod m20261202_000004_app_passwords;
mod m20261202_000005_superseded_codes_and_setup_links;
mod m20261202_000006_recovery_code_sessions;
mod m20261204_000007_sealed_secrets;
mod m20261204_000008_password_throttles;
mod m20261204_000009_session_activity;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts_sessions_mfa::Migration),
            Box::new(m20261123_000002_security_events::Migration),
            Box::new(m20261124_000003_email_codes_and_notices::Migration),
            Box::new(m20261202_000004_app_passwords::Migration),
            Box::new(m20261202_000005_superseded_codes_and_setup_links::Migration),
            Box::new(m20261202_000006_recovery_code_sessions::Migration),
            Box::new(m20261204_000007_sealed_secrets::Migration),
            Box::new(m20261204_000008_password_throttles::Migration),
            Box::new(m20261204_000009_session_activity::Migration),
        ]
    }
}
