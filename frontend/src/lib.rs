//! The browser entry point: hydrates the page the server rendered.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the hydration script Leptos puts in the page. Every page is a
/// lazy route (its code in its own chunks), so hydration waits for the
/// page's chunks first.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
