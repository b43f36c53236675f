//! "Change password" in My Account, on every surface: the current password,
//! a current code when the login has 2FA, the new password twice.

use leptos::prelude::*;

use super::{ErrorNote, Field, Modal};
use crate::api::{ActiveFactor, ChangePasswordRequest};
use crate::client;
use crate::domain::NewPassword;

/// The button, and the dialog it opens.
#[component]
pub fn ChangePassword(
    /// What the login's second step asks for: the dialog asks for it too.
    factor: ActiveFactor,
    /// Called after a change (the page shows the event).
    #[prop(optional)]
    on_changed: Option<Callback<()>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| open.set(true)>"Change password"</button>
        </div>
        <Show when=move || open.get()>
            <ChangePasswordDialog factor close=Callback::new(move |changed: bool| {
                open.set(false);
                if changed && let Some(on_changed) = on_changed {
                    on_changed.run(());
                }
            }) />
        </Show>
    }
}

#[component]
fn ChangePasswordDialog(factor: ActiveFactor, close: Callback<bool>) -> impl IntoView {
    let (current, code, new, again) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let new_error = RwSignal::new(None::<String>);
    let again_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<String>);
    let send = Action::new_local(|request: &ChangePasswordRequest| client::change_password(request.clone()));
    let email_code = Action::new_local(|(): &()| client::send_confirmation_code());
    let done = Signal::derive(move || matches!(send.value().get(), Some(Ok(()))));
    Effect::new(move |_| {
        if let Some(Err(e)) = send.value().get() {
            error.set(Some(e.message));
        }
    });
    Effect::new(move |_| match email_code.value().get() {
        Some(Ok(mail)) => sent.set(Some(format!("A code is on its way to {}.", mail.sent_to))),
        Some(Err(e)) => error.set(Some(e.message)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let checked = NewPassword::parse(&new.get_untracked());
        new_error.set(checked.as_ref().err().map(|e| e.message.to_owned()));
        let same = new.get_untracked() == again.get_untracked();
        again_error.set((!same).then(|| "The two new passwords are not the same.".to_owned()));
        if checked.is_err() || !same || send.pending().get_untracked() {
            return;
        }
        error.set(None);
        send.dispatch(ChangePasswordRequest {
            current_password: current.get_untracked(),
            code: Some(code.get_untracked()).filter(|c| !c.trim().is_empty()),
            new_password: new.get_untracked(),
        });
    };
    let code_label = match factor {
        ActiveFactor::App => Some("Code from your app (or a recovery code)"),
        ActiveFactor::Email => Some("Code from the e-mail"),
        ActiveFactor::None => None,
    };
    view! {
        <Modal id="change-password" title="Change password" on_cancel=Callback::new(move |()| close.run(done.get_untracked()))>
            <Show
                when=move || done.get()
                fallback=move || view! {
                    <form on:submit=submit novalidate>
                        <Field id="change-current" label="Current password" value=current input_type="password"
                            autocomplete="current-password" autofocus=true />
                        {code_label.map(|label| view! {
                            <Field id="change-code" label=label value=code autocomplete="one-time-code" />
                        })}
                        {(factor == ActiveFactor::Email).then(|| view! {
                            <div class="actions">
                                <button type="button" class="secondary" disabled=move || email_code.pending().get()
                                    on:click=move |_| { email_code.dispatch(()); }>
                                    "E-mail me a code"
                                </button>
                            </div>
                            {move || sent.get().map(|note| view! { <p class="muted" role="status">{note}</p> })}
                        })}
                        <Field id="change-new" label="New password" value=new input_type="password"
                            autocomplete="new-password" hint="At least 8 characters." error=new_error />
                        <Field id="change-again" label="New password again" value=again input_type="password"
                            autocomplete="new-password" error=again_error />
                        <ErrorNote message=error />
                        <div class="actions">
                            <button type="submit" disabled=move || send.pending().get()>"Change password"</button>
                            <button type="button" class="secondary" on:click=move |_| close.run(false)>"Cancel"</button>
                        </div>
                    </form>
                }
            >
                <p role="status"><strong>"Your password has been changed."</strong></p>
                <p>"Every other browser logged in as you has been logged out. A notice went to your contact address."</p>
                <div class="actions">
                    <button type="button" on:click=move |_| close.run(true)>"Close"</button>
                </div>
            </Show>
        </Modal>
    }
}
