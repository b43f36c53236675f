//! Copying to the clipboard and downloading a text file: a secret key, an app
//! password, recovery codes.

use leptos::prelude::*;

/// A button that puts `text` on the clipboard, and says whether it worked.
#[component]
pub fn CopyButton(
    text: String,
    #[prop(default = "Copy")] label: &'static str,
    /// What to say when the browser refuses ("… select the key and copy it by hand.").
    failed: &'static str,
) -> impl IntoView {
    let (note, set_note) = signal(None::<&'static str>);
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            let done = browser::copy_to_clipboard(&text).await;
            set_note.set(Some(if done { "Copied to the clipboard." } else { failed }));
        });
    };
    view! {
        <button type="button" class="secondary" on:click=copy>{label}</button>
        <span class="hint copy-note" role="status">{move || note.get()}</span>
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

    /// The page's host, `panel.example.net`.
    pub fn site_host() -> String {
        web_sys::window()
            .and_then(|w| w.location().host().ok())
            .unwrap_or_default()
    }

    pub fn download_text(file_name: &str, text: &str) -> bool {
        (|| -> Option<()> {
            let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("text/plain;charset=utf-8");
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

    pub fn site_host() -> String {
        String::new()
    }

    pub fn download_text(_file_name: &str, _text: &str) -> bool {
        false
    }
}
