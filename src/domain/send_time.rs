//! When to send an issue: RFC 3339 (`2026-12-01T07:00:00+01:00`), or
//! `YYYY-MM-DD HH:MM` in the newsletter's time zone.

use super::ParseError;

/// An instant, in Unix milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SendTime(i64);

impl SendTime {
    pub fn parse(s: &str, tz: &jiff::tz::TimeZone) -> Result<SendTime, ParseError> {
        let s = s.trim();
        if let Ok(ts) = s.parse::<jiff::Timestamp>() {
            return Ok(SendTime(ts.as_millisecond()));
        }
        let civil = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", s).map_err(|_| {
            ParseError::new("expected RFC 3339 (2026-12-01T07:00:00+01:00) or \"YYYY-MM-DD HH:MM\"")
        })?;
        let zoned = civil.to_zoned(tz.clone()).map_err(|e| {
            ParseError::new(format!("that time does not exist in the time zone: {e}"))
        })?;
        Ok(SendTime(zoned.timestamp().as_millisecond()))
    }

    pub fn now() -> SendTime {
        SendTime(jiff::Timestamp::now().as_millisecond())
    }

    pub fn as_millis(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amsterdam() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("Europe/Amsterdam").expect("tzdata")
    }

    #[test]
    fn a_local_time_is_read_in_the_newsletter_time_zone() {
        let t = SendTime::parse("2026-12-01 07:00", &amsterdam()).expect("valid");
        let utc = SendTime::parse("2026-12-01T06:00:00Z", &amsterdam()).expect("valid");
        assert_eq!(t, utc);
        let summer = SendTime::parse("2026-07-01 07:00", &amsterdam()).expect("valid");
        assert_eq!(
            summer,
            SendTime::parse("2026-07-01T05:00:00Z", &amsterdam()).expect("valid")
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_formats_it_takes() {
        for bad in ["morgen", "2026-13-01 07:00", "01-12-2026 07:00", ""] {
            let err = SendTime::parse(bad, &amsterdam()).expect_err(bad);
            assert!(err.to_string().contains("YYYY-MM-DD HH:MM"), "{err}");
        }
    }
}
