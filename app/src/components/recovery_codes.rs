use leptos::prelude::*;

/// Recovery codes, shown this once: copy, download, and a confirmation that
/// they are saved before the dialog can close.
#[component]
pub fn RecoveryCodesReveal(
    codes: Vec<String>,
    #[prop(into)] on_done: Callback<()>,
    /// The finishing button; webmail's help pages call it "Save".
    #[prop(default = "Done")]
    done_label: &'static str,
    /// Whose codes these are, when not the user's own (a customer setting up
    /// one of its logins passes them on to that login's user).
    #[prop(default = None)]
    owner: Option<String>,
) -> impl IntoView {
    let saved = RwSignal::new(false);
    let (note, set_note) = signal(None::<&'static str>);
    let text = codes.join("\n");
    let copy = {
        let text = text.clone();
        move |_| {
            let text = text.clone();
            leptos::task::spawn_local(async move {
                let done = browser::copy_to_clipboard(&text).await;
                set_note.set(Some(if done {
                    "Copied to the clipboard."
                } else {
                    "Copying failed: select the codes and copy them by hand."
                }));
            });
        }
    };
    let download = move |_| {
        if !browser::download_text("tessera-recovery-codes.txt", &text) {
            set_note.set(Some("The download failed: copy the codes instead."));
        }
    };
    view! {
        <p>
            {match owner {
                None => "Save these recovery codes somewhere safe. If you lose your phone, each code lets you log in once. "
                    .to_owned(),
                Some(owner) => format!(
                    "These are the recovery codes of {owner}: hand them to its user to keep somewhere safe. \
                     If the phone is lost, each code lets that login in once. "
                ),
            }}
            <strong>"They will not be shown again."</strong>
        </p>
        <ul class="recovery-codes" aria-label="Recovery codes">
            {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
        </ul>
        <div class="actions">
            <button type="button" class="secondary" on:click=copy>"Copy"</button>
            <button type="button" class="secondary" on:click=download>"Download"</button>
        </div>
        {move || note.get().map(|n| view! { <p class="hint" role="status">{n}</p> })}
        <label class="checkbox">
            <input type="checkbox" bind:checked=saved />
            "I have saved these codes"
        </label>
        <div class="actions">
            <button type="button" disabled=move || !saved.get() on:click=move |_| on_done.run(())>
                {done_label}
            </button>
        </div>
    }
}

#[cfg(feature = "hydrate")]
pub(super) mod browser {
    use wasm_bindgen::JsCast as _;

    /// Whether the clipboard accepted the text (the browser may refuse).
    pub async fn copy_to_clipboard(text: &str) -> bool {
        let Some(window) = web_sys::window() else { return false };
        let promise = window.navigator().clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }

    pub fn download_text(file_name: &str, text: &str) -> bool {
        (|| -> Option<()> {
            let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("text/plain");
            let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
            let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
            let document = web_sys::window()?.document()?;
            let link: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
            link.set_href(&url);
            link.set_download(file_name);
            link.click();
            web_sys::Url::revoke_object_url(&url).ok()
        })()
        .is_some()
    }
}

#[cfg(not(feature = "hydrate"))]
pub(super) mod browser {
    pub async fn copy_to_clipboard(_text: &str) -> bool {
        false
    }

    pub fn download_text(_file_name: &str, _text: &str) -> bool {
        false
    }
}
