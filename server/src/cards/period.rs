//! A card's dates (DESIGN.md "Cards and coupons"): a period card runs a
//! month, a quarter or a year from purchase, a month ending at the end of
//! the day before the same date next month; when next month has no such
//! date (bought on 31 January), the card runs to the end of that short
//! month. A count card with HQ's validity runs that many days, the day of
//! purchase being the first. Dates are the brand's business dates.

use chrono::{Datelike, Duration, NaiveDate};

/// The format business dates are kept in.
pub const FORMAT: &str = "%Y-%m-%d";

/// A kept business date.
pub fn parse(date: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(date, FORMAT).ok()
}

/// As kept.
pub fn format(date: NaiveDate) -> String {
    date.format(FORMAT).to_string()
}

/// The last day of a card bought on `start` that runs `months` months.
pub fn period_end(start: NaiveDate, months: u32) -> NaiveDate {
    let index = start.year() * 12 + start.month0() as i32 + months as i32;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    match NaiveDate::from_ymd_opt(year, month, start.day()) {
        // The same date next month exists: the day before it.
        Some(same) => same - Duration::days(1),
        // It does not (31 January → February): the short month's last day.
        None => last_day(year, month),
    }
}

/// The last day of a month.
fn last_day(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1).map_or(NaiveDate::MAX, |first| first - Duration::days(1))
}

/// The last day of a count card valid `days` days from `start` (inclusive).
pub fn valid_end(start: NaiveDate, days: i64) -> NaiveDate {
    start + Duration::days(days.max(1) - 1)
}

/// Days from `today` to `end`, both counted (0 once `end` has passed).
pub fn days_left(today: NaiveDate, end: NaiveDate) -> i64 {
    ((end - today).num_days() + 1).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse(s).expect("a date")
    }

    #[test]
    fn a_month_ends_the_day_before_the_same_date_next_month() {
        assert_eq!(period_end(d("2027-03-15"), 1), d("2027-04-14"));
        assert_eq!(period_end(d("2027-01-01"), 1), d("2027-01-31"));
        assert_eq!(period_end(d("2027-12-20"), 1), d("2028-01-19"));
    }

    #[test]
    fn a_month_bought_at_the_end_of_january_runs_to_the_end_of_february() {
        assert_eq!(period_end(d("2027-01-31"), 1), d("2027-02-28"));
        assert_eq!(period_end(d("2027-01-30"), 1), d("2027-02-28"));
        assert_eq!(period_end(d("2027-01-29"), 1), d("2027-02-28"));
        assert_eq!(period_end(d("2027-01-28"), 1), d("2027-02-27"));
        // A leap year has the 29th.
        assert_eq!(period_end(d("2028-01-31"), 1), d("2028-02-29"));
        assert_eq!(period_end(d("2028-01-29"), 1), d("2028-02-28"));
    }

    #[test]
    fn quarters_and_years_count_months_the_same_way() {
        assert_eq!(period_end(d("2026-11-30"), 3), d("2027-02-28"));
        assert_eq!(period_end(d("2027-02-10"), 3), d("2027-05-09"));
        assert_eq!(period_end(d("2028-02-29"), 12), d("2029-02-28"));
        assert_eq!(period_end(d("2027-06-01"), 12), d("2028-05-31"));
    }

    #[test]
    fn validity_counts_the_day_of_purchase_and_days_left_count_today() {
        assert_eq!(valid_end(d("2027-01-01"), 30), d("2027-01-30"));
        assert_eq!(valid_end(d("2027-01-01"), 1), d("2027-01-01"));
        assert_eq!(days_left(d("2027-01-30"), d("2027-01-30")), 1);
        assert_eq!(days_left(d("2027-01-01"), d("2027-01-30")), 30);
        assert_eq!(days_left(d("2027-01-31"), d("2027-01-30")), 0);
    }
}
