//! Timestamps as the API writes them, and the date strings it accepts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Formats `time` the way the API's JSON carries timestamps: ISO 8601 in UTC
/// with microseconds, e.g. `2024-05-01T12:34:56.123456Z`.
pub(crate) fn iso8601(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since_epoch.as_secs();
    let micros = since_epoch.subsec_micros();

    let days = secs / 86_400;
    let seconds_of_day = secs % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
    )
}

/// Whole seconds since the Unix epoch, rounded up, as `X-RateLimit-Reset` carries them.
pub(crate) fn epoch_seconds_ceil(time: SystemTime) -> u64 {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    since_epoch.as_secs() + u64::from(since_epoch.subsec_nanos() > 0)
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01 so that the leap day falls at the end of a year,
    // then split into 400-year eras of 146,097 days.
    let days = days_since_epoch + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Whether `text` is an ISO 8601 calendar date (`2023-10-01`) or date-time
/// (`2023-10-01T12:00`, `2023-10-01T12:00:00.5Z`, `2023-10-01 12:00:00+02:00`).
///
/// This is the format the project settled on for `datetime` metadata; the
/// hosted service's own rule is not documented.
pub(crate) fn is_iso8601(text: &str) -> bool {
    let mut cursor = Cursor {
        rest: text.as_bytes(),
    };
    let Some((year, month, day)) = cursor.date() else {
        return false;
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return false;
    }
    if cursor.rest.is_empty() {
        return true;
    }
    if !cursor.eat_any(b"Tt ") {
        return false;
    }
    cursor.time_and_offset() && cursor.rest.is_empty()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn date(&mut self) -> Option<(u32, u32, u32)> {
        let year = self.digits(4)?;
        self.eat(b'-').then_some(())?;
        let month = self.digits(2)?;
        self.eat(b'-').then_some(())?;
        let day = self.digits(2)?;
        Some((year, month, day))
    }

    fn time_and_offset(&mut self) -> bool {
        let Some(hour) = self.digits(2) else {
            return false;
        };
        if !self.eat(b':') {
            return false;
        }
        let Some(minute) = self.digits(2) else {
            return false;
        };
        let mut second = 0;
        if self.eat(b':') {
            let Some(s) = self.digits(2) else {
                return false;
            };
            second = s;
            if self.eat_any(b".,") && self.digit_run() == 0 {
                return false;
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return false;
        }
        self.offset()
    }

    fn offset(&mut self) -> bool {
        if self.rest.is_empty() || self.eat_any(b"Zz") {
            return true;
        }
        if !self.eat_any(b"+-") {
            return false;
        }
        let Some(hours) = self.digits(2) else {
            return false;
        };
        self.eat(b':');
        let minutes = if self.rest.is_empty() {
            Some(0)
        } else {
            self.digits(2)
        };
        matches!(minutes, Some(m) if hours <= 23 && m <= 59)
    }

    fn digits(&mut self, count: usize) -> Option<u32> {
        let head = self.rest.get(..count)?;
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.rest = &self.rest[count..];
        Some(head.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    }

    fn digit_run(&mut self) -> usize {
        let count = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        self.rest = &self.rest[count..];
        count
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.eat_any(&[byte])
    }

    fn eat_any(&mut self, bytes: &[u8]) -> bool {
        match self.rest.first() {
            Some(first) if bytes.contains(first) => {
                self.rest = &self.rest[1..];
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let t = UNIX_EPOCH + Duration::from_micros(1_696_161_600_000_001);
        assert_eq!(iso8601(t), "2023-10-01T12:00:00.000001Z");
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso8601(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn accepts_iso_dates_and_date_times() {
        for ok in [
            "2023-10-01",
            "2024-02-29",
            "2023-10-01T12:00",
            "2023-10-01T12:00:00Z",
            "2023-10-01 12:00:00",
            "2023-10-01T12:00:00.123456+02:00",
            "2023-10-01T12:00:00-0530",
        ] {
            assert!(is_iso8601(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_other_date_strings() {
        for bad in [
            "",
            "2023-1-01",
            "2023-13-01",
            "2023-02-29",
            "2023-10-01T",
            "2023-10-01T25:00",
            "2023-10-01T12:00:00.",
            "2023-10-01T12:00:00X",
            "01/10/2023",
            "yesterday",
        ] {
            assert!(!is_iso8601(bad), "{bad}");
        }
    }
}
