use leptos::prelude::*;

/// A modal dialog over the page (`role="dialog"`), titled and labelled.
#[component]
pub fn Modal(
    /// The id of the heading, for `aria-labelledby`.
    id: &'static str,
    title: &'static str,
    children: Children,
) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <div class="modal-backdrop">
            <div class="modal" id=id role="dialog" aria-modal="true" aria-labelledby=labelled_by>
                <h2 id=heading>{title}</h2>
                {children()}
            </div>
        </div>
    }
}
