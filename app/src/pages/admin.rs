//! `/admin`: the admin console: every login with its 2FA state, switching
//! 2FA off, and the security log.

use leptos::prelude::*;

/// Placeholder until the page is built.
#[component]
pub fn AdminPage() -> impl IntoView {
    view! { <main class="page"><h1>"AdminPage"</h1></main> }
}
