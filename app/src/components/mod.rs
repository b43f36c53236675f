//! Building blocks the pages share.

mod app_passwords;
mod clock;
mod code_entry;
mod copy_button;
mod countdown;
mod field;
mod mailbox_login;
mod managed_login;
mod mfa_dialogs;
mod mfa_section;
mod modal;
mod recovery_codes;
mod security_events;
mod session;

pub use app_passwords::{AppPasswords, AppPasswordsOf, AppPasswordsToggle};
pub use code_entry::{CodeEntry, ResendButton};
pub use copy_button::CopyButton;
pub use countdown::Countdown;
pub use field::{ErrorNote, Field};
pub use mailbox_login::{MailboxLogin, MailboxLoginFields};
pub use managed_login::{FlagBadge, FlagDismissed, Login, SwitchOffDialog, TopBar};
pub use mfa_dialogs::{EnableDialog, EnableState, EnableSteps, MfaTarget, OwnMfaDialog, OwnMfaDialogs};
pub use mfa_section::{MfaSection, Surface};
pub use modal::Modal;
pub use recovery_codes::RecoveryCodesReveal;
pub use security_events::{MyEvents, SecurityEvents};
pub use session::{redirect_when_logged_out, signed_in, use_next_page, use_to_login};

use leptos::prelude::*;

/// The control panel's name and mark, at the top of its pages.
#[component]
pub fn Brand() -> impl IntoView {
    view! { <span class="brand"><span class="logo" aria-hidden="true">"▦"</span>"Tessera"</span> }
}

/// True once the page is hydrated: until then a form's button stays disabled,
/// so nothing typed is submitted by the browser's default form handling
/// (what is typed meanwhile is kept, see [`Field`]).
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// A form's submission: `send` runs once per dispatch (`pending()` while it
/// does, which disables the button), and `on_answer` gets each answer once,
/// untracked. Forms check their input with the shared rules first.
pub fn submission<I, O, Fu>(send: impl Fn(&I) -> Fu + 'static, on_answer: impl Fn(O) + 'static) -> Action<I, O>
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
    Fu: Future<Output = O> + 'static,
{
    let action = Action::new_local(send);
    Effect::new(move |_| {
        if let Some(answer) = action.value().get() {
            untrack(|| on_answer(answer));
        }
    });
    action
}

/// A login button's text: it says why it cannot be pressed yet.
pub fn login_label(hydrated: bool) -> &'static str {
    if hydrated { "Log in" } else { "Loading…" }
}
