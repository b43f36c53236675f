//! A modal dialog: the browser's own `<dialog>`, opened with `showModal()`.
//! The browser then makes the page behind inert; this component adds what it
//! does not: the first field takes the focus (again whenever a step replaces
//! the focused one), Tab and Shift+Tab go round inside rather than out to the
//! browser's bar, Escape runs the dialog's Cancel, and closing gives the focus
//! back to the button that opened it.

use leptos::prelude::*;

/// A modal dialog over the page, titled and labelled.
#[component]
pub fn Modal(
    /// The id of the dialog; its heading is `{id}-title`.
    id: &'static str,
    #[prop(into)] title: String,
    /// What Escape does: the same as the dialog's Cancel button.
    on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    #[cfg(feature = "hydrate")]
    browser::open(dialog);
    let cancel = move |ev: leptos::ev::Event| {
        // The dialog stays open until the page removes it, so what is shown
        // and what the signals say cannot part.
        ev.prevent_default();
        on_cancel.run(());
    };
    let keep_tab_inside = move |ev: leptos::ev::KeyboardEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(dialog) = dialog.get_untracked() {
            browser::wrap_tab(&dialog, &ev);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        // Rendered by the server only when the page opens with it (webmail's
        // code pop-up after a posted password): shown at once, made modal
        // while hydrating.
        <dialog class="modal" id=id aria-labelledby=labelled_by node_ref=dialog on:cancel=cancel
            open=cfg!(feature = "ssr")
            on:keydown=keep_tab_inside>
            <h2 id=heading>{title}</h2>
            {children()}
        </dialog>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{Element, HtmlDialogElement, HtmlElement, MutationObserver, MutationObserverInit};

    /// What can take the focus in a dialog, first the fields one types in. A
    /// field marked `autofocus` wins over both. Not a checkbox: the one under
    /// the recovery codes would scroll the codes out of sight.
    const FIELDS: &str = "[autofocus], input:not([disabled]):not([type=checkbox]):not([type=radio]), \
                          select:not([disabled]), textarea:not([disabled])";
    const CONTROLS: &str = "button:not([disabled]), a[href]";
    /// What Tab stops at.
    const TABBABLE: &str = "input:not([disabled]), select:not([disabled]), textarea:not([disabled]), \
                            button:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

    /// Opens the dialog once it is in the document, keeps the focus inside,
    /// and on cleanup closes it and hands the focus back.
    pub fn open(dialog: NodeRef<leptos::html::Dialog>) {
        let opener = SendWrapper::new(document().active_element());
        let watcher = StoredValue::new_local(None::<Watcher>);
        Effect::new(move |_| {
            let Some(dialog) = dialog.get() else { return };
            if !dialog.matches(":modal").unwrap_or(false) {
                // The server's `open` shows it, but not modal: no inert page.
                dialog.close();
                let _ = dialog.show_modal();
            }
            focus_first(&dialog);
            watcher.set_value(Watcher::start(&dialog));
        });
        on_cleanup(move || {
            if let Some(dialog) = dialog.get_untracked() {
                dialog.close();
            }
            if let Some(Some(watcher)) = watcher.try_update_value(Option::take) {
                watcher.stop();
            }
            give_back(opener.take());
        });
    }

    /// Tab on the last control goes to the first, Shift+Tab on the first to
    /// the last (the WAI-ARIA dialog pattern).
    pub fn wrap_tab(dialog: &HtmlDialogElement, ev: &web_sys::KeyboardEvent) {
        if ev.key() != "Tab" {
            return;
        }
        let Ok(controls) = dialog.query_selector_all(TABBABLE) else {
            return;
        };
        let controls: Vec<HtmlElement> = (0..controls.length())
            .filter_map(|i| controls.item(i)?.dyn_into::<HtmlElement>().ok())
            // Rendered ones: `offsetParent` is null inside anything hidden.
            .filter(|control| control.offset_parent().is_some())
            .collect();
        let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
            return;
        };
        let active = document().active_element();
        let at = |control: &HtmlElement| active.as_ref().is_some_and(|a| a.is_same_node(Some(control)));
        let outside = !active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
        let next = if ev.shift_key() {
            (outside || at(first)).then_some(last)
        } else {
            (outside || at(last)).then_some(first)
        };
        let Some(next) = next else { return };
        ev.prevent_default();
        let _ = next.focus();
    }

    /// Focuses the dialog's first field, or else its first button, unless the
    /// focus is already inside.
    fn focus_first(dialog: &HtmlDialogElement) {
        let inside = document()
            .active_element()
            .is_some_and(|active| dialog.contains(Some(&active)) && !active.is_same_node(Some(dialog)));
        if inside {
            return;
        }
        let target = [FIELDS, CONTROLS]
            .into_iter()
            .find_map(|selector| dialog.query_selector(selector).ok().flatten());
        if let Some(element) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = element.focus();
        }
    }

    /// Watches the dialog's content: when a step replaces the focused element,
    /// the focus would fall out to the page, so the new step's first field
    /// takes it.
    struct Watcher {
        observer: MutationObserver,
        _callback: Closure<dyn FnMut()>,
    }

    impl Watcher {
        fn start(dialog: &HtmlDialogElement) -> Option<Self> {
            let watched: HtmlDialogElement = dialog.clone();
            let callback = Closure::<dyn FnMut()>::new(move || {
                // After this frame's effects, so a field's own autofocus goes first.
                let watched = watched.clone();
                request_animation_frame(move || {
                    if watched.open() {
                        focus_first(&watched);
                    }
                });
            });
            let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
            let options = MutationObserverInit::new();
            options.set_child_list(true);
            options.set_subtree(true);
            observer.observe_with_options(dialog, &options).ok()?;
            Some(Self {
                observer,
                _callback: callback,
            })
        }

        fn stop(self) {
            self.observer.disconnect();
        }
    }

    /// Focus back on the element that opened the dialog. The page may render
    /// it anew soon after (a list loaded again after the change), more than
    /// once: while the focus has not moved on, the element with its id gets
    /// it back.
    fn give_back(opener: Option<Element>) {
        let Some(opener) = opener else { return };
        focus(&opener);
        let id = opener.id();
        if !id.is_empty() {
            follow(id, FOLLOW_FRAMES);
        }
    }

    /// About five seconds of animation frames: a slow phone's refetch.
    const FOLLOW_FRAMES: u32 = 300;

    fn follow(id: String, frames: u32) {
        request_animation_frame(move || {
            let document = document();
            let active = document.active_element();
            let lost = active
                .as_ref()
                .is_none_or(|a| document.body().is_some_and(|body| a.is_same_node(Some(&body))));
            if !lost && active.is_none_or(|a| a.id() != id) {
                return; // the focus moved on
            }
            if lost && let Some(element) = document.get_element_by_id(&id) {
                focus(&element);
            }
            if frames > 0 {
                follow(id, frames - 1);
            }
        });
    }

    fn focus(element: &Element) {
        if let Some(element) = element.dyn_ref::<HtmlElement>() {
            let _ = element.focus();
        }
    }
}
