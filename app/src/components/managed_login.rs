//! Acting on another login: a customer on its package and mailbox logins
//! (Package Management), an administrator on any (admin console).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::AccountSummary;
use crate::client;
use crate::components::{Brand, ErrorNote, Field, Modal, Submission, Surface};
use crate::domain::Password;

/// A login the dialogs act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub id: i32,
    pub username: String,
}

impl From<&AccountSummary> for Login {
    fn from(a: &AccountSummary) -> Self {
        Self {
            id: a.id,
            username: a.username.clone(),
        }
    }
}

/// The brand, the way back to My Account, and logging out.
#[component]
pub fn TopBar() -> impl IntoView {
    let navigate = use_navigate();
    let log_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let _ = client::logout().await;
            navigate("/", Default::default());
        });
    };
    view! {
        <header class="topbar">
            <Brand />
            <nav class="topnav">
                <a href="/account">"My Account"</a>
                <button type="button" class="secondary" on:click=log_out>"Log out"</button>
            </nav>
        </header>
    }
}

/// "Deactivate two-factor authentication for X?": the caller's own password
/// confirms it (a customer's for its logins, an administrator's for any).
/// `close` gets the login's username once 2FA is off, `None` on cancel.
#[component]
pub fn SwitchOffDialog(login: Login, password_label: &'static str, close: Callback<Option<String>>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let password_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let Login { id, username } = login;
    let surface = Surface::current();
    let question = format!("{} for {username}?", surface.disable());
    let switch_off = Submission::new(
        move |password: &String| client::account_mfa_disable(id, password.clone()),
        move |answer| match answer {
            Ok(()) => close.run(Some(username.clone())),
            Err(e) => {
                password.set(String::new());
                error.set(Some(e.message));
            }
        },
    );
    let busy = switch_off.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = password.get_untracked();
        password_error.set(Password::parse(&value).err().map(|e| e.message.to_owned()));
        if password_error.get_untracked().is_none() && !busy.get_untracked() {
            error.set(None);
            switch_off.dispatch(value);
        }
    };
    view! {
        <Modal id="switch-off-mfa" title=surface.disable() on_cancel=Callback::new(move |()| close.run(None))>
            <form on:submit=submit novalidate>
                <p class="question"><strong>{question}</strong></p>
                <p>
                    "Its authenticator app will no longer be asked for: the password alone opens this login \
                     (or the password and a code by e-mail, where the login has e-mailed codes), and its \
                     recovery codes stop working. It can be set up again later."
                </p>
                <Field id="switch-off-password" label=password_label value=password input_type="password"
                    autocomplete="current-password" error=password_error autofocus=true />
                <ErrorNote message=error />
                <div class="actions">
                    <button type="submit" class="danger" disabled=move || busy.get()>{surface.disable()}</button>
                    <button type="button" class="secondary" on:click=move |_| close.run(None)>"Cancel"</button>
                </div>
            </form>
        </Modal>
    }
}

/// What a page does once a report was dismissed: say so, and load its list
/// again. Provided as context by the pages that list managed logins.
#[derive(Clone, Copy)]
pub struct FlagDismissed(pub Callback<String>);

/// "Reported 'This wasn't me'" on a login, and the way to dismiss it once
/// looked into (its customer or an administrator).
#[component]
pub fn FlagBadge(login: Login, flagged_at: i64) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let dismissed = use_context::<FlagDismissed>();
    let id = login.id;
    let dismiss = Submission::new(
        move |(): &()| client::dismiss_flag(id),
        move |answer| match answer {
            Ok(()) => {
                if let Some(FlagDismissed(then)) = dismissed {
                    then.run(login.username.clone());
                }
            }
            Err(e) => error.set(Some(e.message)),
        },
    );
    let busy = dismiss.pending();
    view! {
        <span class="flag">
            <span class="badge flagged" title="Its user opened the link in a security notice">
                "Reported \u{201c}This wasn't me\u{201d} "{crate::domain::format_utc(flagged_at)}
            </span>
            <button type="button" class="secondary" disabled=move || busy.get()
                on:click=move |_| {
                    dismiss.dispatch(());
                }>
                "Dismiss report"
            </button>
            <ErrorNote message=error />
        </span>
    }
}
