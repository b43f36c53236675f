//! `/this-wasnt-me#TOKEN`: where the link in every security notice leads.
//! The token stays in the fragment, so it never reaches a server log or a
//! Referer header; the page sends it only when its user confirms, so a mail
//! scanner that opens links does not end anyone's sessions.

use leptos::prelude::*;

use crate::client;
use crate::components::{Brand, Submission, use_hydrated};

/// What the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Waiting for the confirmation.
    Asking,
    Sending,
    /// Reported: every session of this login has ended.
    Done(String),
    Failed(String),
}

#[component]
pub fn NotMePage() -> impl IntoView {
    let hydrated = use_hydrated();
    let token = RwSignal::new(None::<String>);
    let state = RwSignal::new(State::Asking);
    // The fragment exists in the browser only.
    Effect::new(move |_| token.set(fragment_token()));

    let report = Submission::new(
        |token: &String| client::not_me(token.clone()),
        move |answer| {
            state.set(match answer {
                Ok(done) => State::Done(done.username),
                Err(e) => State::Failed(e.message),
            })
        },
    );
    let confirm = move |_| {
        let Some(value) = token.get_untracked() else {
            return;
        };
        state.set(State::Sending);
        report.dispatch(value);
    };

    view! {
        <main class="page narrow">
            <header><Brand /></header>
            <h1>"This wasn't me"</h1>
            {move || match state.get() {
                State::Done(username) => view! {
                    <section class="card" role="status">
                        <p><strong>{format!("Done. Every session of {username} has ended, and your provider has been told.")}</strong></p>
                        <p>"Log in again and change your password: whoever made the change may know it."</p>
                        <a class="button-link" href="/">"Log in"</a>
                    </section>
                }.into_any(),
                State::Failed(message) => view! {
                    <section class="card">
                        <p class="error-note" role="alert">{message}</p>
                        <p>"If someone else is using your login, contact your provider's support."</p>
                    </section>
                }.into_any(),
                State::Asking | State::Sending => view! {
                    <section class="card">
                        <p>"You got a security notice about a change you did not make. Confirm, and Tessera will:"</p>
                        <ul>
                            <li>"end every session of that login, on every device;"</li>
                            <li>"stop any unfinished set-up of two-factor authentication and void any code sent by e-mail;"</li>
                            <li>"flag the login for your provider's administrators and the customer it belongs to."</li>
                        </ul>
                        {move || (hydrated.get() && token.get().is_none()).then(|| view! {
                            <p class="error-note" role="alert">
                                "This link is incomplete. Open the link from the e-mail again, or copy all of it."
                            </p>
                        })}
                        <button type="button" class="danger" on:click=confirm
                            disabled=move || token.get().is_none() || state.get() == State::Sending>
                            "End all sessions and report"
                        </button>
                    </section>
                }.into_any(),
            }}
        </main>
    }
}

/// The token after `#`, if the address has one.
pub(super) fn fragment_token() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let hash = web_sys::window()?.location().hash().ok()?;
        let token = hash.trim_start_matches('#').trim();
        (!token.is_empty()).then(|| token.to_owned())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}
