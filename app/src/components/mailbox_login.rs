//! The login form of the two mailbox surfaces, webmail and the User Panel:
//! an e-mail address and a password, checked with the shared rules.

use leptos::prelude::*;

use super::{ErrorNote, Field};
use crate::api::PostedLogin;
use crate::domain::{Password, Username};

/// What the form holds and says.
#[derive(Clone, Copy)]
pub struct MailboxLogin {
    pub email: RwSignal<String>,
    pub password: RwSignal<String>,
    /// The answer of the server, shown for the whole form.
    pub error: RwSignal<Option<String>>,
    /// The address is checked from the first submit on, then while typing,
    /// so a half-typed address is not called wrong early.
    email_checked: RwSignal<bool>,
    password_error: RwSignal<Option<String>>,
}

impl MailboxLogin {
    /// The form as the server sent the browser back to it, if it did:
    /// the address kept, and `refused` wording an `invalid_credentials`.
    pub fn new(posted: &PostedLogin, refused: &'static str) -> Self {
        let error = match posted.error {
            Some(crate::api::ErrorCode::InvalidCredentials) => Some(refused),
            _ => posted.message(),
        };
        Self {
            email: RwSignal::new(posted.username.clone().unwrap_or_default()),
            password: RwSignal::new(String::new()),
            error: RwSignal::new(error.map(str::to_owned)),
            email_checked: RwSignal::new(false),
            password_error: RwSignal::new(None),
        }
    }

    /// The e-mail field's message, by [`Username::parse_email`]: the rule the
    /// server applies to mailbox logins.
    fn email_error(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            if !self.email_checked.get() {
                return None;
            }
            Username::parse_email(&self.email.get())
                .err()
                .map(|e| e.message.to_owned())
        })
    }

    /// On submit: both fields checked; when both pass, what to send.
    pub fn take(self) -> Option<(Username, Password)> {
        self.email_checked.set(true);
        let address = Username::parse_email(&self.email.get_untracked());
        let password = Password::parse(&self.password.get_untracked());
        self.password_error
            .set(password.as_ref().err().map(|e| e.message.to_owned()));
        let (Ok(address), Ok(password)) = (address, password) else {
            return None;
        };
        self.error.set(None);
        Some((address, password))
    }
}

/// The form's fields, its message and its button (disabled while `busy`
/// sending; before the page is live the browser posts the form itself).
#[component]
pub fn MailboxLoginFields(
    form: MailboxLogin,
    #[prop(into)] busy: Signal<bool>,
    #[prop(optional)] password_hint: Option<&'static str>,
) -> impl IntoView {
    view! {
        <Field id="email" label="E-mail address" value=form.email input_type="email" inputmode="email"
            autocomplete="username" error=form.email_error() />
        <Field id="password" label="Password" value=form.password input_type="password"
            hint=password_hint autocomplete="current-password" error=form.password_error />
        <ErrorNote message=form.error />
        <button type="submit" disabled=move || busy.get()>"Log in"</button>
    }
}
