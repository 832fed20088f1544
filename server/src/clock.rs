//! Time comes from here, never from `Utc::now()` directly, so tests move time
//! instead of sleeping.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current instant.
#[derive(Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// A clock that stands still until a test advances it.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock starting at `start`.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(start.timestamp_millis())))
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => Utc::now().timestamp_millis(),
            Clock::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Now, as a UTC instant.
    pub fn now(&self) -> DateTime<Utc> {
        to_utc(self.now_ms())
    }

    /// Moves a manual clock forward; a no-op on the system clock.
    pub fn advance(&self, by: std::time::Duration) {
        if let Clock::Manual(ms) = self {
            let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            ms.fetch_add(by, Ordering::SeqCst);
        }
    }
}

/// Unix milliseconds to a UTC instant (the epoch if out of range).
pub fn to_utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A brand's time zone (one that does not parse is the default, Shanghai).
pub fn zone(time_zone: &str) -> chrono_tz::Tz {
    time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// Unix milliseconds as the wall clock in the brand's zone.
pub fn local(ms: i64, time_zone: &str) -> DateTime<chrono_tz::Tz> {
    to_utc(ms).with_timezone(&zone(time_zone))
}

/// Unix milliseconds as a wall-clock time in the brand's zone,
/// `2026-03-01 20:15:00`, for files people read (CSV exports).
pub fn local_time(ms: i64, time_zone: &str) -> String {
    local(ms, time_zone).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Unix milliseconds as RFC 3339 in UTC, the API's wire format for instants.
pub fn rfc3339(ms: i64) -> String {
    to_utc(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The first instant of local `date` in `zone`, in ms.
pub fn day_start(date: chrono::NaiveDate, zone: &str) -> i64 {
    local_hour(date, 0, zone)
}

/// The first instant of `hour`:00 on local `date` in `zone`, in ms (a time
/// the clocks skip is read as UTC).
pub fn local_hour(date: chrono::NaiveDate, hour: u32, zone: &str) -> i64 {
    use chrono::TimeZone;
    let tz = self::zone(zone);
    let at = date.and_hms_opt(hour, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&at)
        .earliest()
        .map_or_else(|| at.and_utc().timestamp_millis(), |t| t.timestamp_millis())
}
