//! `/packages`: Package Management, where a customer sees its package and
//! mailbox logins and switches their 2FA on and off.

use leptos::prelude::*;

/// Placeholder until the page is built.
#[component]
pub fn PackagesPage() -> impl IntoView {
    view! { <main class="page"><h1>"PackagesPage"</h1></main> }
}
