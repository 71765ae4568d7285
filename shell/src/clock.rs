//! Local wall-clock time for the panel and the lock screen, and when the next minute starts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A local date and time, as the C library's time zone rules give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    /// 1..=12
    pub month: u32,
    pub day: u32,
    /// 0 = Sunday
    pub weekday: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl LocalTime {
    /// The local time now (TZ and /etc/localtime are honoured through localtime_r).
    pub fn now() -> LocalTime {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as libc::time_t;
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid for the call; localtime_r is the thread-safe variant.
        let ok = !unsafe { libc::localtime_r(&secs, &mut tm) }.is_null();
        if !ok {
            return LocalTime { year: 1970, month: 1, day: 1, weekday: 4, hour: 0, minute: 0, second: 0 };
        }
        LocalTime {
            year: tm.tm_year + 1900,
            month: tm.tm_mon as u32 + 1,
            day: tm.tm_mday as u32,
            weekday: tm.tm_wday as u32,
            hour: tm.tm_hour as u32,
            minute: tm.tm_min as u32,
            second: tm.tm_sec.min(59) as u32,
        }
    }

    /// Parses `YYYY-MM-DD HH:MM`, a fixed time to show instead of the clock (screenshots).
    pub fn parse(s: &str) -> Result<LocalTime, String> {
        let bad = || format!("`{s}` is not a time; write YYYY-MM-DD HH:MM");
        let (date, time) = s.trim().split_once(' ').ok_or_else(bad)?;
        let d: Vec<&str> = date.split('-').collect();
        let t: Vec<&str> = time.trim().split(':').collect();
        if d.len() != 3 || t.len() != 2 {
            return Err(bad());
        }
        let num = |x: &str| x.parse::<u32>().map_err(|_| bad());
        let (year, month, day) = (num(d[0])? as i32, num(d[1])?, num(d[2])?);
        let (hour, minute) = (num(t[0])?, num(t[1])?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
            return Err(bad());
        }
        Ok(LocalTime { year, month, day, weekday: weekday(year, month, day), hour, minute, second: 0 })
    }

    /// `14:05`
    pub fn hm(&self) -> String {
        format!("{:02}:{:02}", self.hour, self.minute)
    }

    /// `Thu 26 Nov 14:05`, for the panel.
    pub fn panel(&self) -> String {
        format!(
            "{} {} {} {}",
            &WEEKDAYS[self.weekday as usize % 7][..3],
            self.day,
            &MONTHS[(self.month as usize + 11) % 12][..3],
            self.hm()
        )
    }

    /// `Thursday 26 November`, for the lock screen.
    pub fn long_date(&self) -> String {
        format!("{} {} {}", WEEKDAYS[self.weekday as usize % 7], self.day, MONTHS[(self.month as usize + 11) % 12])
    }

    /// Time until the next minute starts (what the clock waits before it redraws).
    pub fn until_next_minute(&self) -> Duration {
        // A little past the minute, so the redraw never lands just before it.
        Duration::from_secs(60 - self.second as u64) + Duration::from_millis(50)
    }
}

/// Day of the week (0 = Sunday) of a Gregorian date (Sakamoto's method).
fn weekday(year: i32, month: u32, day: u32) -> u32 {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    ((y + y / 4 - y / 100 + y / 400 + T[month as usize - 1] + day as i32).rem_euclid(7)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let t = LocalTime::parse("2026-11-26 14:05").unwrap();
        assert_eq!(t.panel(), "Thu 26 Nov 14:05");
        assert_eq!(t.long_date(), "Thursday 26 November");
        assert_eq!(LocalTime::parse("2024-02-29 00:00").unwrap().panel(), "Thu 29 Feb 00:00");
        assert_eq!(LocalTime::parse("2000-01-01 23:59").unwrap().panel(), "Sat 1 Jan 23:59");
        for bad in ["2026-13-01 10:00", "2026-11-26", "14:05", "2026-11-26 24:00", "x-y-z a:b"] {
            assert!(LocalTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_minute_is_at_most_a_minute_away() {
        let mut t = LocalTime::parse("2026-11-26 14:05").unwrap();
        assert_eq!(t.until_next_minute(), Duration::from_millis(60_050));
        t.second = 59;
        assert_eq!(t.until_next_minute(), Duration::from_millis(1_050));
        let now = LocalTime::now();
        assert!(now.until_next_minute() <= Duration::from_millis(60_050));
    }
}
