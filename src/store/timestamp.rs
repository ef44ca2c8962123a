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
