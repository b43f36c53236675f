//! `/setup#TOKEN`: where a set-up link e-mailed by a customer leads. The
//! login's user sets up the authenticator app on their own phone: the
//! login's password, the QR code (or "Open in authenticator app"), the first
//! code, the recovery codes. No session: the link and the password are the
//! proof.

use leptos::prelude::*;

use super::not_me::fragment_token;
use crate::components::{Brand, EnableState, EnableSteps, MfaTarget, use_hydrated};

/// The set-up page of a link.
#[component]
pub fn SetupLinkPage() -> impl IntoView {
    let hydrated = use_hydrated();
    let token = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let cancelled = RwSignal::new(false);
    // The fragment exists in the browser only.
    Effect::new(move |_| token.set(fragment_token()));
    let steps = EnableState::new();
    let close = Callback::new(move |enabled: bool| {
        if enabled {
            done.set(true);
        } else {
            cancelled.set(true);
        }
    });
    view! {
        <main class="page narrow">
            <header><Brand /></header>
            <h1>"Set up two-factor authentication"</h1>
            <section class="card">
                {move || match (hydrated.get(), token.get(), done.get(), cancelled.get()) {
                    (false, ..) => view! { <p class="muted">"Loading…"</p> }.into_any(),
                    (true, None, ..) => view! {
                        <p class="error-note" role="alert">
                            "This link is incomplete. Open the link from the e-mail again, or copy all of it."
                        </p>
                    }.into_any(),
                    (true, Some(_), true, _) => view! {
                        <p role="status"><strong>"Done: two-factor authentication is active for your login."</strong></p>
                        <p>"From now on, logging in asks for the 6-digit code from your app after the password."</p>
                        <a class="button-link" href="/">"Log in"</a>
                    }.into_any(),
                    (true, Some(_), false, true) => view! {
                        <p>"Nothing was changed. The link still works for the time the e-mail says."</p>
                        <button type="button" on:click=move |_| cancelled.set(false)>"Start again"</button>
                    }.into_any(),
                    (true, Some(token), false, false) => view! {
                        <EnableSteps target=MfaTarget::Link { token } steps close />
                    }.into_any(),
                }}
            </section>
        </main>
    }
    .into_any()
}
