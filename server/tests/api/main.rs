//! Tessera's HTTP API, tested from the outside: every test spawns the real
//! application on a free port with a hand-set clock and talks JSON to it, once
//! on SQLite and once on PostgreSQL (`TESSERA_TEST_POSTGRES_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod mail_sink;
mod mail_stack;

mod admin_reset;
mod app_passwords;
mod authorization;
mod bad_input;
mod browser_bundle;
mod combined_login;
mod command_line;
mod email_codes;
mod health_and_docs;
mod hierarchy;
mod login;
mod mail_clients;
mod mfa_lifecycle;
mod moving_phones;
mod notices;
mod password_change;
mod password_guessing;
mod posted_forms;
mod replay_and_concurrency;
mod secrets_at_rest;
mod security_headers;
mod security_log;
mod sessions;
mod setup_links;
mod throttling;
