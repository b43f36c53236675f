//! The browser's clock, in its time zone, for what a page says ("sent at
//! 14:02"). Only events and effects read it: the server renders no times of
//! its own making, and shared code never reads a clock.

/// The time now, `14:02`.
pub fn now_hh_mm() -> String {
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::new_0();
        format!("{:02}:{:02}", now.get_hours(), now.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// Today's date, `2026-12-02`.
pub fn today() -> String {
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::new_0();
        format!(
            "{:04}-{:02}-{:02}",
            now.get_full_year(),
            now.get_month() + 1,
            now.get_date()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}
