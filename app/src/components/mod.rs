//! Building blocks the pages share.

mod field;
mod mfa_dialogs;
mod modal;
mod recovery_codes;
mod security_events;

pub use field::{ErrorNote, Field};
pub use mfa_dialogs::{DisableDialog, EnableDialog, MfaTarget, RegenerateDialog};
pub use modal::Modal;
pub use recovery_codes::RecoveryCodesReveal;
pub use security_events::SecurityEvents;

use leptos::prelude::*;

/// True once the page is hydrated: until then forms stay disabled, so nothing
/// typed is submitted by the browser's default form handling.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
