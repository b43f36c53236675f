//! The warning before a session ends: two minutes before the idle timeout
//! (or the twelve-hour limit) a dialog counts down and offers to stay
//! logged in; at the end the page goes to the login form, which leads back.

use leptos::prelude::*;

use super::{Modal, use_to_login};
use crate::api::{MeResponse, SessionTimes};
use crate::client::{self, ClientError};

/// Seconds before the end that the warning shows.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const WARN_BEFORE: i64 = 120;

/// What the warning says, from the seconds left and whether it is the
/// twelve-hour limit (which staying cannot move) rather than idleness.
fn warning(left: i64, at_the_limit: bool) -> String {
    let when = match left {
        0..=1 => "in a moment".to_owned(),
        2..=90 => format!("in {left} seconds"),
        _ => format!("in {} minutes", (left + 59) / 60),
    };
    match at_the_limit {
        true => format!("For your security, every login ends after 12 hours: you will be logged out {when}."),
        false => format!("You have not done anything for a while. For your security, you will be logged out {when}."),
    }
}

/// Seconds from `now_ms` to the session's end, and whether the end is the
/// absolute limit: `last_answer_ms` is the page's last answer from the API.
/// The server writes a session's last use at most once a minute, so the
/// idle end is counted a minute early.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn seconds_left(times: SessionTimes, last_answer_ms: f64, now_ms: f64) -> (i64, bool) {
    let idle_end =
        last_answer_ms + (i64::try_from(times.idle_timeout).unwrap_or(i64::MAX / 2_000) - 60) as f64 * 1_000.0;
    let hard_end = times.expires_at as f64 * 1_000.0;
    let end = idle_end.min(hard_end);
    (((end - now_ms) / 1_000.0).floor() as i64, hard_end <= idle_end)
}

/// Mounted on every page with a session (`me`); `login`: the surface's login page.
#[component]
pub fn IdleWarning(me: LocalResource<Result<MeResponse, ClientError>>, login: &'static str) -> impl IntoView {
    let left = RwSignal::new(None::<(i64, bool)>);
    let to_login = use_to_login(login);
    let stay = Action::new_local(|(): &()| client::me());
    {
        let to_login = to_login.clone();
        Effect::new(move |_| {
            if let Some(Err(e)) = stay.value().get()
                && e.is_not_logged_in()
            {
                to_login();
            }
        });
    }
    let ended = RwSignal::new(false);
    // The end: the session is ended here too (the server may count it a
    // little later), and the login form leads back to this page.
    let end = {
        let to_login = to_login.clone();
        move || {
            if ended.get_untracked() {
                return;
            }
            ended.set(true);
            left.set(None);
            let to_login = to_login.clone();
            leptos::task::spawn_local(async move {
                let _ = client::logout().await;
                to_login();
            });
        }
    };
    let end = StoredValue::new_local(end);
    #[cfg(feature = "hydrate")]
    {
        let opened = js_sys::Date::now();
        let check = move || {
            let Some(Ok(me)) = me.get_untracked() else {
                return;
            };
            let last = client::last_answer_at().max(opened);
            let (secs, at_the_limit) = seconds_left(me.session, last, js_sys::Date::now());
            if secs <= 0 {
                end.with_value(|end| end());
            } else if secs <= WARN_BEFORE {
                left.set(Some((secs, at_the_limit)));
            } else if left.get_untracked().is_some() {
                left.set(None);
            }
        };
        if let Ok(handle) = set_interval_with_handle(check, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = me;
    let log_out = move |_| end.with_value(|end| end());
    view! {
        <Show when=move || left.get().is_some()>
            <Modal id="idle" title="Still there?" on_cancel=Callback::new(move |()| { stay.dispatch(()); })>
                <p role="status">{move || left.get().map(|(secs, limit)| warning(secs, limit))}</p>
                <div class="actions">
                    <Show when=move || !left.get().is_some_and(|(_, limit)| limit)>
                        <button type="button" disabled=move || stay.pending().get()
                            on:click=move |_| { stay.dispatch(()); }>
                            "Stay logged in"
                        </button>
                    </Show>
                    <button type="button" class="secondary" on:click=log_out>"Log out"</button>
                </div>
            </Modal>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMES: SessionTimes = SessionTimes {
        idle_timeout: 1_800,
        expires_at: 1_800_000_000 + 12 * 3_600,
    };

    #[test]
    fn the_idle_end_is_counted_a_minute_early_from_the_last_answer() {
        let last = 1_800_000_000_000.0;
        assert_eq!(seconds_left(TIMES, last, last), (1_740, false));
        assert_eq!(seconds_left(TIMES, last, last + 1_620_000.0), (120, false));
    }

    #[test]
    fn near_the_twelve_hours_the_limit_is_the_end() {
        let near = (TIMES.expires_at - 100) as f64 * 1_000.0;
        assert_eq!(seconds_left(TIMES, near, near), (100, true));
    }

    #[test]
    fn the_warning_says_when_in_words() {
        assert!(warning(120, false).ends_with("logged out in 2 minutes."));
        assert!(warning(42, false).ends_with("logged out in 42 seconds."));
        assert!(warning(1, true).contains("12 hours"));
    }
}
