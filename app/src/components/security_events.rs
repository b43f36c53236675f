//! Security events: a list of them, and the signed-in login's own log, paged,
//! with "This wasn't me" beside each event.

use leptos::prelude::*;

use super::{ErrorNote, Modal, Surface};
use crate::api::{SecurityEvent, SecurityEventList};
use crate::client::{self, ClientError};
use crate::domain::format_utc;

/// A list of security events, newest first as the API sends them: time,
/// what happened, and who, where from, with which browser. One stacked block
/// per event rather than a table row, so a long mailbox name wraps instead of
/// pushing the page wider than a phone's screen.
#[component]
pub fn SecurityEvents(
    events: Vec<SecurityEvent>,
    /// Names the login each event concerns (the admin's log covers many).
    #[prop(optional)]
    show_account: bool,
    /// Shown instead of the list when there are no events.
    #[prop(default = "No security events yet.")]
    empty: &'static str,
    /// Puts "This wasn't me" beside each event.
    #[prop(optional)]
    on_not_me: Option<Callback<SecurityEvent>>,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted events-empty">{empty}</p> }.into_any();
    }
    let items = events
        .into_iter()
        .map(|e| view! { <EventItem event=e show_account on_not_me /> })
        .collect_view();
    view! { <ol class="events">{items}</ol> }.into_any()
}

/// One event of [`SecurityEvents`]; warning signs (failed attempts, 2FA
/// switched off by someone else) are marked so they stand out.
#[component]
fn EventItem(event: SecurityEvent, show_account: bool, on_not_me: Option<Callback<SecurityEvent>>) -> impl IntoView {
    let class = if event.event.is_alarming() {
        "event alarming"
    } else {
        "event"
    };
    let account = event.account.clone().filter(|_| show_account);
    // The browser in words; the raw User-Agent stays at hand as a tooltip.
    let device = event.device.clone().map(|device| {
        let raw = event.user_agent.clone();
        view! { <span class="event-device" title=raw>{device}</span> }
    });
    let not_me = on_not_me.map(|report| {
        let reported = event.clone();
        view! {
            <button type="button" class="link not-me" on:click=move |_| report.run(reported.clone())>
                "This wasn't me"
            </button>
        }
    });
    view! {
        <li class=class data-event=event.event.as_str()>
            <div class="event-head">
                <strong class="event-label">{Surface::current().event_label(event.event)}</strong>
                <span class="event-time muted">{format_utc(event.at)}</span>
            </div>
            {event.detail.map(|d| view! { <p class="event-detail">{d}</p> })}
            <p class="event-meta">
                {account.map(|a| view! { <span>"Login: "<span class="event-account">{a}</span></span> })}
                {event.actor.map(|a| view! { <span class="event-actor">{format!("by {a}")}</span> })}
                {event.ip.map(|ip| view! { <span>{format!("IP {ip}")}</span> })}
                {device}
            </p>
            {not_me}
        </li>
    }
}

/// The signed-in login's own security events, 20 at a time with "Older
/// events", each with "This wasn't me".
#[component]
pub fn MyEvents(
    /// Bumped by the page after a change it made (a change is an event too).
    changes: RwSignal<u32>,
    #[prop(default = "No security events yet.")] empty: &'static str,
    /// The surface's login page, for after a report ended the session.
    login: &'static str,
) -> impl IntoView {
    let events = RwSignal::new(Vec::<SecurityEvent>::new());
    let more = RwSignal::new(false);
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let reporting = RwSignal::new(None::<SecurityEvent>);
    // A page: the newest (`None`), or the one before an id.
    let load = Action::new_local(move |before: &Option<i32>| {
        let before = *before;
        async move { (before, client::my_events(before).await) }
    });
    Effect::new(move |_| {
        changes.track();
        load.dispatch(None);
    });
    Effect::new(move |_| {
        let Some((before, result)) = load.value().get() else {
            return;
        };
        match result {
            Ok(SecurityEventList {
                events: page,
                more: older,
            }) => {
                if before.is_none() {
                    events.set(page);
                } else {
                    events.update(|all| all.extend(page));
                }
                more.set(older);
                error.set(None);
            }
            Err(e) => error.set(Some(e.message)),
        }
        loaded.set(true);
    });
    let older = move |_| {
        load.dispatch(events.with_untracked(|all| all.last().map(|e| e.id)));
    };
    let on_not_me = Callback::new(move |event: SecurityEvent| reporting.set(Some(event)));
    view! {
        {move || (!loaded.get()).then(|| view! { <p class="muted">"Loading…"</p> })}
        {move || loaded.get().then(|| view! {
            <SecurityEvents events=events.get() empty on_not_me />
        })}
        <ErrorNote message=error />
        <Show when=move || more.get()>
            <div class="actions">
                <button type="button" class="secondary" disabled=move || load.pending().get() on:click=older>
                    "Older events"
                </button>
            </div>
        </Show>
        {move || reporting.get().map(|event| view! {
            <NotMeDialog event login close=Callback::new(move |()| reporting.set(None)) />
        })}
    }
    .into_any()
}

/// "This wasn't me?" about one event: what a report does, then its result.
#[component]
fn NotMeDialog(event: SecurityEvent, login: &'static str, close: Callback<()>) -> impl IntoView {
    let report = Action::new_local(move |id: &i32| client::event_not_me(*id));
    let id = event.id;
    let what = format!(
        "\u{201c}{}\u{201d}, {}",
        Surface::current().event_label(event.event),
        format_utc(event.at)
    );
    let failed = Signal::derive(move || match report.value().get() {
        Some(Err(ClientError { message, .. })) => Some(message),
        _ => None,
    });
    let done = move || matches!(report.value().get(), Some(Ok(_)));
    view! {
        <Modal id="not-me" title="This wasn't me" on_cancel=Callback::new(move |()| if !done() { close.run(()) })>
            <Show
                when=done
                fallback=move || view! {
                    <p>{format!("You did not do this: {what}. Confirm, and Tessera will:")}</p>
                    <ul>
                        <li>"end every session of this login, on every device, this one too;"</li>
                        <li>"stop any unfinished set-up and void any code sent by e-mail;"</li>
                        <li>"revoke the login's app passwords;"</li>
                        <li>"flag the login for your provider's administrators and the customer it belongs to."</li>
                    </ul>
                    <ErrorNote message=failed />
                    <div class="actions">
                        <button type="button" class="danger" disabled=move || report.pending().get()
                            on:click=move |_| { report.dispatch(id); }>
                            "End all sessions and report"
                        </button>
                        <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
                    </div>
                }
            >
                <p role="status"><strong>"Done. Every session of this login has ended, and your provider has been told."</strong></p>
                <p>"Log in again and change your password: whoever did this may know it."</p>
                <div class="actions">
                    <a class="button-link" href=login>"Log in again"</a>
                </div>
            </Show>
        </Modal>
    }
    .into_any()
}
