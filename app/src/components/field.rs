use leptos::prelude::*;

/// A labelled input bound to a signal, with its error message beneath it.
///
/// What someone typed before the WebAssembly arrived is kept: the page is
/// server-rendered, so on a slow phone the inputs take typing for seconds
/// before hydration, which would reset them to the (empty) signal.
#[component]
pub fn Field(
    /// The element id, also used for the label and the error message.
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(into, default = None)] hint: Option<&'static str>,
    /// Shown under the input while `Some`.
    #[prop(into, optional)]
    error: Signal<Option<String>>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    #[cfg(feature = "hydrate")]
    {
        if let Some(typed) = browser::typed_before_hydration(id) {
            value.set(typed);
        }
        // The `autofocus` attribute only works when the page loads; a field
        // shown later (the next step, a dialog) takes the focus itself.
        if autofocus {
            Effect::new(move |_| {
                if let Some(input) = input.get() {
                    let _ = input.focus();
                }
            });
        }
    }
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                node_ref=input
                id=id
                name=id
                type=input_type
                autocomplete=autocomplete
                inputmode=inputmode
                autofocus=autofocus
                autocapitalize="off"
                spellcheck="false"
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                // The server renders what the form was posted with (the
                // username after a refused password), `bind:value` alone not.
                value=value.get_untracked()
                bind:value=value
            />
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A form-level error, announced to screen readers, and scrolled into sight
/// when it appears (in a phone's sheet it would open under the buttons).
#[component]
pub fn ErrorNote(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    let note = NodeRef::<leptos::html::P>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(note) = note.get() {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            note.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
    move || {
        message
            .get()
            .map(|m| view! { <p class="error-note" role="alert" node_ref=note>{m}</p> })
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::HtmlInputElement;

    /// While hydrating: what the server-rendered input `id` holds now.
    pub fn typed_before_hydration(id: &str) -> Option<String> {
        let hydrating = Owner::current_shared_context().is_some_and(|context| context.during_hydration());
        if !hydrating {
            return None;
        }
        let input = document().get_element_by_id(id)?.dyn_into::<HtmlInputElement>().ok()?;
        Some(input.value()).filter(|typed| !typed.is_empty())
    }
}
