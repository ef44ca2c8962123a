//! Times in the store are Unix milliseconds (UTC): one integer type that
//! both SQLite and PostgreSQL index and compare cheaply.

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A stored time as RFC 3339 in UTC, e.g. `2026-11-28T16:00:00Z`.
pub fn format_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// A stored time for people reading it, in `tz` (the newsletter's time
/// zone): `2026-11-28 17:00 CET`, seconds only when there are any.
pub fn format_ms_in(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    let zoned = t
        .round(jiff::Unit::Second)
        .unwrap_or(t)
        .to_zoned(tz.clone());
    let format = if zoned.second() == 0 {
        "%Y-%m-%d %H:%M %Z"
    } else {
        "%Y-%m-%d %H:%M:%S %Z"
    };
    zoned.strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_shown_in_the_given_zone_with_its_abbreviation() {
        let tz = jiff::tz::TimeZone::get("Europe/Amsterdam").expect("tzdata");
        let winter = "2027-01-15T06:30:00Z"
            .parse::<jiff::Timestamp>()
            .expect("time");
        assert_eq!(
            format_ms_in(winter.as_millisecond(), &tz),
            "2027-01-15 07:30 CET"
        );
        let summer = "2027-07-01T05:00:05Z"
            .parse::<jiff::Timestamp>()
            .expect("time");
        assert_eq!(
            format_ms_in(summer.as_millisecond(), &tz),
            "2027-07-01 07:00:05 CEST"
        );
    }
}
