//! Building blocks the pages share.

mod app_passwords;
mod change_password;
mod clock;
mod code_entry;
mod copy_button;
mod countdown;
mod field;
mod idle_warning;
mod mailbox_login;
mod managed_login;
mod mfa_dialogs;
mod mfa_section;
mod modal;
mod recovery_codes;
mod security_events;
mod session;
mod sessions;

pub use app_passwords::{AppPasswords, AppPasswordsOf, AppPasswordsToggle};
pub use change_password::ChangePassword;
pub use code_entry::{CodeEntry, ResendButton};
pub use copy_button::CopyButton;
pub use countdown::Countdown;
pub use field::{ErrorNote, Field};
pub use idle_warning::IdleWarning;
pub use mailbox_login::{MailboxLogin, MailboxLoginFields};
pub use managed_login::{FlagBadge, FlagDismissed, Login, SwitchOffDialog, TopBar};
pub use mfa_dialogs::{EnableDialog, EnableState, EnableSteps, MfaTarget, OwnMfaDialog, OwnMfaDialogs};
pub use mfa_section::{MfaSection, Surface};
pub use modal::Modal;
pub use recovery_codes::RecoveryCodesReveal;
pub use security_events::{MyEvents, SecurityEvents};
pub use session::{redirect_when_logged_out, signed_in, use_next_page, use_posted_login, use_to_login};
pub use sessions::MySessions;

use leptos::prelude::*;

/// The control panel's name and mark, at the top of its pages.
#[component]
pub fn Brand() -> impl IntoView {
    view! { <span class="brand"><span class="logo" aria-hidden="true">"▦"</span>"Tessera"</span> }
}

/// True once the page is hydrated: the login forms say so as `data-live`.
/// Until then the browser posts them itself (what is typed meanwhile is
/// kept, see [`Field`]).
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// A form's submission, on `Action::new_local`: `send` runs once per
/// [`Submission::dispatch`], never while an answer is still awaited (which
/// disables the button). `on_answer` gets each answer as it arrives, even
/// when the dialog that sent it has closed meanwhile: a page's callbacks
/// still run, so a change the server made is never lost on screen.
pub struct Submission<I: 'static, O: 'static> {
    action: Action<I, O>,
    pending: Memo<bool>,
    answer: MappedSignal<Option<O>>,
}

impl<I, O> Clone for Submission<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for Submission<I, O> {}

impl<I, O> Submission<I, O>
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    /// Forms check their input with the shared rules before dispatching.
    pub fn new<Fu>(send: impl Fn(&I) -> Fu + 'static, on_answer: impl Fn(O) + 'static) -> Self
    where
        Fu: Future<Output = O> + 'static,
    {
        let on_answer = std::rc::Rc::new(on_answer);
        let action = Action::new_local(move |input: &I| {
            let (sent, on_answer) = (send(input), on_answer.clone());
            async move {
                let answer = sent.await;
                untrack(|| on_answer(answer.clone()));
                answer
            }
        });
        Self {
            action,
            pending: action.pending(),
            answer: action.value(),
        }
    }

    /// Sends `input`, unless an answer is still awaited.
    pub fn dispatch(self, input: I) {
        if !self.pending.get_untracked() {
            self.action.dispatch(input);
        }
    }

    /// Whether an answer is awaited.
    pub fn pending(self) -> Memo<bool> {
        self.pending
    }

    /// The last answer, `None` before the first.
    pub fn answer(self) -> MappedSignal<Option<O>> {
        self.answer
    }
}
