//! My Account's list of the login's sessions: each browser logged in, where
//! from and when; "End session" for any other, "End all other sessions".

use leptos::prelude::*;

use super::ErrorNote;
use crate::api::{SessionInfo, SessionList};
use crate::client;
use crate::domain::format_utc;

/// The signed-in login's sessions, newest use first, this browser marked.
#[component]
pub fn MySessions() -> impl IntoView {
    let list = LocalResource::new(client::my_sessions);
    let error = RwSignal::new(None::<String>);
    let end_one = Action::new_local(move |id: &String| client::end_session(id.clone()));
    let end_others = Action::new_local(move |(): &()| client::end_other_sessions());
    let done = RwSignal::new(None::<String>);
    Effect::new(move |_| match end_one.value().get() {
        Some(Ok(())) => {
            done.set(Some("The session has ended: that browser is logged out.".to_owned()));
            list.refetch();
        }
        Some(Err(e)) => error.set(Some(e.message)),
        None => {}
    });
    Effect::new(move |_| match end_others.value().get() {
        Some(Ok(ended)) => {
            let n = ended.ended;
            done.set(Some(match n {
                1 => "1 other session has ended.".to_owned(),
                n => format!("{n} other sessions have ended."),
            }));
            list.refetch();
        }
        Some(Err(e)) => error.set(Some(e.message)),
        None => {}
    });
    let busy = Signal::derive(move || end_one.pending().get() || end_others.pending().get());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|answer| match answer {
                Ok(SessionList { sessions, .. }) => {
                    let others = sessions.iter().filter(|s| !s.current).count();
                    let items = sessions
                        .into_iter()
                        .map(|session| view! { <SessionItem session busy end=end_one /> })
                        .collect_view();
                    view! {
                        <ul class="sessions">{items}</ul>
                        {(others > 0).then(|| view! {
                            <div class="actions">
                                <button type="button" class="secondary" disabled=busy
                                    on:click=move |_| { end_others.dispatch(()); }>
                                    "End all other sessions"
                                </button>
                            </div>
                        })}
                    }
                    .into_any()
                }
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            })}
        </Suspense>
        {move || done.get().map(|note| view! { <p class="muted" role="status">{note}</p> })}
        <ErrorNote message=error />
    }
}

/// One session: the browser in words, the address, since when and when
/// last active; "This browser", or a button that ends it.
#[component]
fn SessionItem(
    session: SessionInfo,
    busy: Signal<bool>,
    end: Action<String, Result<(), client::ClientError>>,
) -> impl IntoView {
    let device = session
        .device
        .clone()
        .unwrap_or_else(|| "An unknown browser".to_owned());
    let id = session.id.clone();
    let label = format!("End the session of {device}");
    view! {
        <li class="session" data-testid="session" data-current=session.current.to_string()>
            <div class="session-head">
                <strong>{device}</strong>
                {session.current.then(|| view! { <span class="badge">"This browser"</span> })}
            </div>
            <p class="session-meta muted">
                {session.ip.map(|ip| view! { <span>{format!("IP {ip}")}</span> })}
                <span>{format!("Logged in {}", format_utc(session.created_at))}</span>
                <span>{format!("Last active {}", format_utc(session.last_seen_at))}</span>
            </p>
            {(!session.current).then(|| view! {
                <button type="button" class="secondary small" aria-label=label disabled=busy
                    on:click=move |_| { end.dispatch(id.clone()); }>
                    "End session"
                </button>
            })}
        </li>
    }
}
