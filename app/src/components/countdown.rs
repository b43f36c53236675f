//! Seconds counting down to zero, once a second, for a button that may not be
//! pressed yet ("Send a new code (42 s)").

use std::time::Duration;

use leptos::prelude::*;

#[derive(Debug, Clone, Copy)]
pub struct Countdown {
    left: RwSignal<u64>,
}

impl Countdown {
    pub fn new() -> Self {
        Self { left: RwSignal::new(0) }
    }

    /// Counts down from `seconds`; a running countdown starts over from there.
    pub fn start(self, seconds: u64) {
        let running = self.left.get_untracked() > 0;
        self.left.set(seconds);
        if !running && seconds > 0 {
            tick(self.left);
        }
    }

    /// Seconds left; 0 once done.
    pub fn left(self) -> u64 {
        self.left.get()
    }
}

fn tick(left: RwSignal<u64>) {
    set_timeout(
        move || {
            // The page that showed it may be gone by then.
            let Some(next) = left.try_update(|l| {
                *l = l.saturating_sub(1);
                *l
            }) else {
                return;
            };
            if next > 0 {
                tick(left);
            }
        },
        Duration::from_secs(1),
    );
}
