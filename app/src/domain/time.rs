//! Showing Unix times without a clock or a time-zone database (shared code
//! must not read the clock; it panics on wasm32).

/// `2026-11-23 20:41 UTC`.
pub fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3600,
        (seconds % 3600) / 60
    )
}

/// A span in words, as long as it reads well: `15 minutes`, `1 minute`,
/// `45 seconds`, `24 hours`, `1 minute 30 seconds`.
pub fn format_duration(seconds: u64) -> String {
    fn unit(n: u64, one: &str) -> String {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    }
    match seconds {
        s if s >= 3600 && s % 3600 == 0 => unit(s / 3600, "hour"),
        s if s >= 60 && s % 60 == 0 => unit(s / 60, "minute"),
        s if s > 60 => format!("{} {}", unit(s / 60, "minute"), unit(s % 60, "second")),
        s => unit(s, "second"),
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a
/// proleptic Gregorian date.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_are_shown_as_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_466_460), "2026-11-23 20:41 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn spans_read_as_words() {
        assert_eq!(format_duration(900), "15 minutes");
        assert_eq!(format_duration(60), "1 minute");
        assert_eq!(format_duration(1), "1 second");
        assert_eq!(format_duration(45), "45 seconds");
        assert_eq!(format_duration(90), "1 minute 30 seconds");
        assert_eq!(format_duration(86_400), "24 hours");
        assert_eq!(format_duration(3600), "1 hour");
    }
}
