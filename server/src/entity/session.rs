use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub account_id: i32,
    pub stage: String,
    pub code_failures: i32,
    pub via_recovery_code: bool,
    pub created_at: i64,
    pub expires_at: i64,
    /// The last request it made (written at most once a minute).
    pub last_seen_at: i64,
    /// Where it logged in from, for its owner's list.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
