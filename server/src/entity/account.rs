use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: String,
    #[sea_orm(unique)]
    pub username: String,
    pub owner_id: Option<i32>,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub mfa_failures: i32,
    pub mfa_locked_until: Option<i64>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub email: Option<String>,
    pub email_codes: bool,
    pub email_code_hash: Option<String>,
    /// The hash of the code the newest one replaced: recognised, never claimed.
    pub email_code_previous_hash: Option<String>,
    /// SHA-256 of the set-up link a customer e-mailed to this login.
    pub setup_link_hash: Option<String>,
    pub setup_link_expires_at: Option<i64>,
    pub email_code_expires_at: Option<i64>,
    pub email_code_sent_at: Option<i64>,
    pub email_code_failures: i32,
    pub flagged_at: Option<i64>,
    /// When the last `throttled` notice was queued (the 15-minute quiet window).
    pub throttled_notice_at: Option<i64>,
    /// When the last `second_step_failed` notice was queued.
    pub second_step_notice_at: Option<i64>,
    /// When the last `password_throttled` notice was queued.
    pub password_notice_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
