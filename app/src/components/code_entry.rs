//! The second step of a login, as state: the control panel asks for the code
//! on its own page, webmail in a pop-up; both send it the same way. The code
//! comes from the authenticator app (or is a recovery code), or was e-mailed.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::clock;
use super::{Countdown, Submission};
use crate::api::{ErrorCode, LoginResponse, MfaMethod};
use crate::client::{self, ClientError};
use crate::domain::{OtpCode, RecoveryCode, format_duration};

/// What was typed, which kind of code it is meant to be, and the messages.
#[derive(Clone, Copy)]
pub struct CodeEntry {
    /// The code is e-mailed on request; there is no app and no recovery code.
    pub by_email: bool,
    /// A recovery code instead of the app's code.
    pub use_recovery: RwSignal<bool>,
    pub code: RwSignal<String>,
    /// The answer of the server, shown for the whole form.
    pub error: RwSignal<Option<String>>,
    /// Sends a checked code.
    verify: Submission<String, Result<LoginResponse, ClientError>>,
    /// Where the e-mailed code stands.
    pub sent: RwSignal<Sent>,
    /// Seconds before the server sends another code.
    resend_in: Countdown,
    /// The check on submit, until the field changes again.
    submitted_error: RwSignal<Option<String>>,
    on_restart: Callback<Option<String>>,
}

impl CodeEntry {
    /// `methods` are the login response's; `on_done` runs once logged in;
    /// `on_restart` when only the password can start again (cancelled, too
    /// many wrong codes, expired), with the reason. A login by e-mailed code
    /// asks for its first code at once, unless `code_sent`: the browser
    /// posted the form itself and the server sent it (another would void it).
    pub fn new(
        methods: &[MfaMethod],
        error: RwSignal<Option<String>>,
        code_sent: bool,
        on_done: Callback<()>,
        on_restart: Callback<Option<String>>,
    ) -> Self {
        let code = RwSignal::new(String::new());
        let entry = Self {
            by_email: methods.contains(&MfaMethod::Email) && !methods.contains(&MfaMethod::Totp),
            use_recovery: RwSignal::new(false),
            code,
            error,
            verify: Submission::new(
                |code: &String| client::login_mfa(code.clone()),
                move |answer| match answer {
                    Ok(_) => on_done.run(()),
                    Err(e) if e.code.ends_login() => on_restart.run(Some(e.message)),
                    Err(e) => {
                        code.set(String::new());
                        error.set(Some(e.message));
                    }
                },
            ),
            sent: RwSignal::new(if code_sent { Sent::Earlier } else { Sent::Not }),
            resend_in: Countdown::new(),
            submitted_error: RwSignal::new(None),
            on_restart,
        };
        Effect::new(move |_| {
            entry.code.track();
            entry.submitted_error.set(None);
        });
        if entry.by_email && !code_sent {
            // Effects run in the browser only, once here: the first code.
            Effect::new(move |_| entry.send_code());
        }
        entry
    }

    /// The field's message: immediate while typing a 6-digit code ("12a"),
    /// the full check after a submit.
    pub fn field_error(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.submitted_error.get().or_else(|| {
                (!self.use_recovery.get())
                    .then(|| {
                        OtpCode::check_partial(&self.code.get())
                            .err()
                            .map(|e| e.message.to_owned())
                    })
                    .flatten()
            })
        })
    }

    /// Checks the code with the shared rules, then sends it once. A wrong
    /// code clears the field and stays on the step.
    pub fn submit(self) {
        let value = self.code.get_untracked();
        let checked = if self.use_recovery.get_untracked() {
            RecoveryCode::parse(&value).map(|_| ())
        } else {
            OtpCode::parse(&value).map(|_| ())
        };
        self.submitted_error.set(checked.err().map(|e| e.message.to_owned()));
        if self.submitted_error.get_untracked().is_none() && !self.verify.pending().get_untracked() {
            self.error.set(None);
            self.verify.dispatch(value);
        }
    }

    /// A code is on its way to the server.
    pub fn busy(self) -> bool {
        self.verify.pending().get()
    }

    /// Asks for a code by e-mail; a new one voids the one before. The button
    /// counts down the seconds the server asks to wait, and is enabled again
    /// at once when the mail server did not take the mail.
    pub fn send_code(self) {
        // Untracked: the effect that asks for the first code must not run
        // again (and send another) whenever the countdown moves.
        if !untrack(move || self.may_resend()) {
            return;
        }
        self.error.set(None);
        let before = self.sent.get_untracked();
        self.sent.set(Sent::Sending);
        spawn_local(async move {
            match client::send_email_code().await {
                Ok(sent) => {
                    self.sent.set(Sent::To {
                        to: sent.sent_to,
                        at: clock::now_hh_mm(),
                        valid_for: sent.valid_for,
                    });
                    self.code.set(String::new());
                    self.resend_in.start(sent.resend_after);
                }
                Err(e) if e.code.ends_login() => self.on_restart.run(Some(e.message)),
                // The code of a mail less than a minute old still works.
                Err(e) if e.code == ErrorCode::ResendTooSoon => {
                    self.sent.set(match before {
                        Sent::Not | Sent::Sending => Sent::Earlier,
                        other => other,
                    });
                    self.error.set(Some(e.message));
                    self.resend_in.start(e.retry_after.unwrap_or(60));
                }
                Err(e) => {
                    self.sent.set(before);
                    self.error.set(Some(e.message));
                }
            }
        });
    }

    /// Neither a code is on its way nor the wait the server asked for running.
    fn may_resend(self) -> bool {
        self.sent.get() != Sent::Sending && self.resend_in.left() == 0
    }

    /// The re-send button's words, with the seconds left.
    fn resend_label(self) -> String {
        match self.resend_in.left() {
            0 => "Send a new code".to_owned(),
            left => format!("Send a new code ({left} s)"),
        }
    }

    /// Ends the half-done login on the server too. Should that call fail, the
    /// pending session is harmless: the next password replaces it.
    pub fn cancel(self) {
        spawn_local(async move {
            let _ = client::logout().await;
            self.on_restart.run(None);
        });
    }

    /// Between the app's code and a recovery code.
    pub fn toggle(self) {
        self.use_recovery.update(|r| *r = !*r);
        self.code.set(String::new());
        self.submitted_error.set(None);
        self.error.set(None);
    }

    /// The toggle's wording.
    pub fn toggle_label(self) -> &'static str {
        if self.use_recovery.get() {
            "Use the code from your app instead"
        } else {
            "Use a recovery code instead"
        }
    }

    /// Where the e-mailed code went, in a sentence.
    pub fn sent_note(self) -> String {
        match self.sent.get() {
            Sent::To { to, at, valid_for } => format!(
                "We sent a 6-digit code to {to} at {at}. It is valid for {}.",
                format_duration(valid_for)
            ),
            Sent::Sending => "Sending a 6-digit code to your e-mail address…".to_owned(),
            Sent::Earlier => "We e-mailed you a 6-digit code a moment ago: use the latest one.".to_owned(),
            Sent::Not => "No code has been sent yet: ask for one below.".to_owned(),
        }
    }
}

/// Where the e-mailed code of a login stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Not,
    Sending,
    To {
        /// The address, mostly hidden.
        to: String,
        /// When, on the browser's clock: `14:02`.
        at: String,
        /// Seconds.
        valid_for: u64,
    },
    /// Sent before this step was shown: an earlier login asked for one less
    /// than a minute ago, or the server sent it for a form the browser posted.
    Earlier,
}

/// "Send a new code", disabled while one is on its way and for the seconds
/// the server asks to wait, which it counts down.
#[component]
pub fn ResendButton(entry: CodeEntry) -> impl IntoView {
    view! {
        <button type="button" class="link" disabled=move || !entry.may_resend() on:click=move |_| entry.send_code()>
            {move || entry.resend_label()}
        </button>
    }
}
