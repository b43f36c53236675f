//! SeaORM entities: a mirror of the `migrations` crate, nothing more.
//! Rules live in `service`, wire types in `app::api`.

pub mod account;
pub mod app_password;
pub mod app_password_address;
pub mod notice;
pub mod password_throttle;
pub mod recovery_code;
pub mod security_event;
pub mod session;
