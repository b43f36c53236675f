//! The second step of a login, as state: the control panel asks for the code
//! on its own page, webmail in a pop-up; both send it the same way.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::domain::{OtpCode, RecoveryCode};

/// What was typed, which kind of code it is meant to be, and the messages.
#[derive(Clone, Copy)]
pub struct CodeEntry {
    /// A recovery code instead of the app's code.
    pub use_recovery: RwSignal<bool>,
    pub code: RwSignal<String>,
    /// The answer of the server, shown for the whole form.
    pub error: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
    /// The check on submit, until the field changes again.
    submitted_error: RwSignal<Option<String>>,
    on_done: Callback<()>,
    on_restart: Callback<Option<String>>,
}

impl CodeEntry {
    /// `on_done` runs once logged in; `on_restart` when only the password can
    /// start again (cancelled, too many wrong codes, expired), with the reason.
    pub fn new(error: RwSignal<Option<String>>, on_done: Callback<()>, on_restart: Callback<Option<String>>) -> Self {
        let entry = Self {
            use_recovery: RwSignal::new(false),
            code: RwSignal::new(String::new()),
            error,
            busy: RwSignal::new(false),
            submitted_error: RwSignal::new(None),
            on_done,
            on_restart,
        };
        Effect::new(move |_| {
            entry.code.track();
            entry.submitted_error.set(None);
        });
        entry
    }

    /// The field's message: immediate while typing an app code ("12a"), the
    /// full check after a submit.
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
        if self.submitted_error.get_untracked().is_some() || self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            match client::login_mfa(value).await {
                Ok(_) => self.on_done.run(()),
                // The pending login is gone: only the password can start a new one.
                Err(e) if matches!(e.code.as_str(), "login_expired" | "no_pending_login") => {
                    self.on_restart.run(Some(e.message));
                }
                Err(e) => {
                    self.code.set(String::new());
                    self.error.set(Some(e.message));
                }
            }
            self.busy.set(false);
        });
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
}
