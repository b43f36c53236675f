use leptos::prelude::*;

use crate::api::SecurityEvent;
use crate::domain::format_utc;

/// A list of security events, newest first as the API sends them: time,
/// what happened, and who, where from. One stacked block per event rather
/// than a table row, so a user agent or a long mailbox name wraps instead of
/// pushing the page wider than a phone's screen.
#[component]
pub fn SecurityEvents(
    events: Vec<SecurityEvent>,
    /// Names the login each event concerns (the admin's log covers many).
    #[prop(optional)]
    show_account: bool,
    /// Adds the browser's user agent (the admin's log; too noisy for My Account).
    #[prop(optional)]
    show_user_agent: bool,
    /// Shown instead of the list when there are no events.
    #[prop(default = "No security events yet.")]
    empty: &'static str,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted events-empty">{empty}</p> }.into_any();
    }
    let items = events
        .into_iter()
        .map(|e| view! { <EventItem event=e show_account show_user_agent /> })
        .collect_view();
    view! { <ol class="events">{items}</ol> }.into_any()
}

/// One event of [`SecurityEvents`]; warning signs (failed attempts, 2FA
/// switched off by someone else) are marked so they stand out.
#[component]
fn EventItem(event: SecurityEvent, show_account: bool, show_user_agent: bool) -> impl IntoView {
    let class = if event.event.is_alarming() {
        "event alarming"
    } else {
        "event"
    };
    let account = event.account.filter(|_| show_account);
    let user_agent = event.user_agent.filter(|_| show_user_agent);
    view! {
        <li class=class data-event=event.event.as_str()>
            <div class="event-head">
                <strong class="event-label">{event.event.label()}</strong>
                <span class="event-time muted">{format_utc(event.at)}</span>
            </div>
            {event.detail.map(|d| view! { <p class="event-detail">{d}</p> })}
            <p class="event-meta">
                {account.map(|a| view! { <span>"Login: "<span class="event-account">{a}</span></span> })}
                {event.actor.map(|a| view! { <span class="event-actor">{format!("by {a}")}</span> })}
                {event.ip.map(|ip| view! { <span>{format!("IP {ip}")}</span> })}
            </p>
            {user_agent.map(|ua| view! { <p class="event-agent muted">{ua}</p> })}
        </li>
    }
}
