use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_password_addresses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_password_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ip: String,
    pub first_used_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
