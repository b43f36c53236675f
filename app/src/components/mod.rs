//! Building blocks the pages share.

mod app_passwords;
mod code_entry;
mod field;
mod mailbox_login;
mod managed_login;
mod mfa_dialogs;
mod modal;
mod recovery_codes;
mod security_events;
mod session;

pub use app_passwords::{AppPasswords, AppPasswordsOf, AppPasswordsToggle};
pub use code_entry::CodeEntry;
pub use field::{ErrorNote, Field};
pub use mailbox_login::{MailboxLogin, MailboxLoginFields};
pub use managed_login::{FlagBadge, FlagDismissed, Login, SwitchOffDialog, TopBar};
pub use mfa_dialogs::{EnableDialog, MfaTarget, OwnMfaDialog, OwnMfaDialogs};
pub use modal::Modal;
pub use recovery_codes::RecoveryCodesReveal;
pub use security_events::SecurityEvents;
pub use session::{redirect_when_logged_out, signed_in};

use leptos::prelude::*;

/// True once the page is hydrated: until then forms stay disabled, so nothing
/// typed is submitted by the browser's default form handling.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
