//! Dates as CQC and councils' spreadsheets write them.
//!
//! Seen in real CQC files:
//! - `2025-01-02` (the 45-column export's "Location HSCA start date"; the API),
//! - `2024-01-31T00:00:00Z` (the 18-column directory's "Report publication date"),
//! - `1/2/2025 12:00:00 AM` (the 45-column export's "Publication Date": **month first**, the
//!   .NET United States format, which the export uses whenever a time with AM/PM follows; checked
//!   against the same rows' "Location HSCA start date", and no value in the sample has a month
//!   above 12 in first place while 575 have a day above 12 in second place),
//! - `09/Jan/2018 - 00:00` (the 15-column `CQC_directory.csv`'s "Date of latest check"),
//! - `2024-05-10 07:42:57` (the API's assessment block).
//!
//! Also accepted because people retype files: `01/02/2024` (day first, the UK default), `1 Feb 2024`,
//! `1 February 2024`, `01-Feb-24`, `1.2.2024`, `February 1, 2024`. A numeric date is read day first
//! unless it carries an AM/PM time (then month first) or one of its first two numbers is above 12
//! (then the order is unambiguous). Two-digit years below 70 are 20xx, others 19xx.
//!
//! Spreadsheet cells carry dates as numbers: Excel serial numbers (days since 1899-12-30, with
//! Excel's fictitious 29 February 1900) are handled by [`excel_serial_to_date`].

use caremarket_core::Date;

const MONTHS: [&str; 12] =
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Parse a date written as text in any of the forms described in the module documentation.
/// Returns `None` for anything that is not a real calendar date (`31/02/2024`), including an
/// empty string. Never panics.
pub fn parse_date_text(input: &str) -> Option<Date> {
    let s = input.trim().trim_start_matches('\u{feff}');
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    // The ISO forms first: 2024-02-01, 2024-02-01T00:00:00Z, 2024-02-01 07:42:57.
    if let Some(d) = parse_iso_prefix(s) {
        return Some(d);
    }
    if let Some(d) = parse_us_date_time(s) {
        return Some(d);
    }
    parse_tokens(s)
}

/// Every form but the ISO ones, from a trimmed, non-empty value.
fn parse_tokens(s: &str) -> Option<Date> {
    let mut tokens: Vec<&str> = s.split_whitespace().collect();
    // A trailing AM/PM means the .NET US format: month first.
    let mut month_first = false;
    if let Some(last) = tokens.last() {
        let l = last.to_ascii_lowercase();
        if l == "am" || l == "pm" {
            month_first = true;
            tokens.pop();
        } else if l.ends_with("am") || l.ends_with("pm") {
            // "12:00:00AM"
            if l.contains(':') {
                month_first = true;
            }
        }
    }
    // Drop the time and anything after it ("09/Jan/2018 - 00:00", "1/2/2025 12:00:00").
    if let Some(pos) = tokens.iter().position(|t| t.contains(':')) {
        tokens.truncate(pos);
    }
    while tokens.last().is_some_and(|t| *t == "-" || *t == "at" || *t == ",") {
        tokens.pop();
    }
    // Drop a leading weekday ("Thursday, 1 February 2024").
    if let Some(first) = tokens.first() {
        let l = first.trim_end_matches(',').to_ascii_lowercase();
        if l.len() >= 3 && WEEKDAYS.iter().any(|w| w.starts_with(&l)) {
            tokens.remove(0);
        }
    }
    if tokens.is_empty() {
        return None;
    }
    let joined = tokens.join(" ");
    let parts: Vec<&str> =
        joined.split(|c: char| c == '/' || c == '-' || c == '.' || c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()).collect();
    if parts.len() != 3 {
        return None;
    }
    let (a, b, c) = (parts[0], parts[1], parts[2]);

    let is_num = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    if is_num(a) && a.len() == 4 {
        // 2024/02/01 or 2024-Feb-01
        let year: i32 = a.parse().ok()?;
        let month = month_number(b).or_else(|| if is_num(b) && b.len() <= 2 { b.parse().ok() } else { None })?;
        let day: i32 = parse_day(c)?;
        return make(year, month, day);
    }
    if month_number(b).is_some() {
        // 1 Feb 2024, 01-Feb-24, 1st February 2024
        let day = parse_day(a)?;
        let month = month_number(b)?;
        let year = parse_year(c)?;
        return make(year, month, day);
    }
    if month_number(a).is_some() {
        // February 1, 2024
        let month = month_number(a)?;
        let day = parse_day(b)?;
        let year = parse_year(c)?;
        return make(year, month, day);
    }
    if is_num(a) && is_num(b) && a.len() <= 2 && b.len() <= 2 {
        let first: i32 = a.parse().ok()?;
        let second: i32 = b.parse().ok()?;
        let year = parse_year(c)?;
        let (day, month) = if first > 12 {
            (first, second)
        } else if second > 12 || month_first {
            (second, first)
        } else {
            (first, second)
        };
        return make(year, month, day);
    }
    None
}

/// A date from an Excel (1900 date system) serial number: 1 = 1900-01-01, 61 = 1900-03-01
/// (Excel counts a 29 February 1900 that never was). The time of day is dropped. `None` outside
/// 1900-01-01..=9999-12-31 or for a non-finite number.
pub fn excel_serial_to_date(serial: f64) -> Option<Date> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let (base, offset) = if days < 60 {
        // 1 = 1900-01-01
        (Date::new(1899, 12, 31).ok()?, days)
    } else if days == 60 {
        // Excel's 1900-02-29: the day after 28 February
        return Date::new(1900, 2, 28).ok();
    } else {
        (Date::new(1899, 12, 30).ok()?, days)
    };
    let span = jiff::Span::new().try_days(offset).ok()?;
    base.checked_add(span).ok()
}

/// A date from an Excel 1904-system serial number (workbooks made on old Macs).
pub fn excel_1904_serial_to_date(serial: f64) -> Option<Date> {
    if !serial.is_finite() || !(0.0..2_957_003.0).contains(&serial) {
        return None;
    }
    let span = jiff::Span::new().try_days(serial.floor() as i64).ok()?;
    Date::new(1904, 1, 1).ok()?.checked_add(span).ok()
}

fn parse_iso_prefix(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() > 10 && !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    make(digits(0..4)?, digits(5..7)?, digits(8..10)?)
}

/// `1/2/2025 12:00:00 AM` exactly (the 45-column export's "Publication Date", on every rated
/// row), read as the general case below reads it (month first, unless the first number is above
/// 12) without its allocations. Anything else is left to the general case.
fn parse_us_date_time(s: &str) -> Option<Date> {
    let (date, rest) = s.split_once(' ')?;
    let (time, meridiem) = rest.split_once(' ')?;
    if !(meridiem.eq_ignore_ascii_case("am") || meridiem.eq_ignore_ascii_case("pm")) {
        return None;
    }
    if !time.contains(':') || !time.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let mut parts = date.split('/');
    let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| lens.contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit());
    if parts.next().is_some() || !digits(a, 1..=2) || !digits(b, 1..=2) || !digits(y, 4..=4) {
        return None;
    }
    let (first, second, year): (i32, i32, i32) = (a.parse().ok()?, b.parse().ok()?, y.parse().ok()?);
    if first > 12 { make(year, second, first) } else { make(year, first, second) }
}

fn month_number(p: &str) -> Option<i32> {
    let l = p.trim_end_matches('.').to_ascii_lowercase();
    if l.len() < 3 {
        return None;
    }
    if l == "sept" {
        return Some(9);
    }
    MONTHS.iter().position(|m| *m == l || (l.len() == 3 && m.starts_with(&l))).map(|i| i as i32 + 1)
}

fn parse_day(p: &str) -> Option<i32> {
    let l = p.to_ascii_lowercase();
    let digits = l.trim_end_matches("st").trim_end_matches("nd").trim_end_matches("rd").trim_end_matches("th");
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn parse_year(p: &str) -> Option<i32> {
    if !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match p.len() {
        4 => p.parse().ok(),
        2 => {
            let y: i32 = p.parse().ok()?;
            Some(if y < 70 { 2000 + y } else { 1900 + y })
        }
        _ => None,
    }
}

fn make(year: i32, month: i32, day: i32) -> Option<Date> {
    if !(1000..=9999).contains(&year) {
        return None;
    }
    Date::new(i16::try_from(year).ok()?, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Option<Date> {
        Date::new(y, m, day).ok()
    }

    #[test]
    fn us_date_times_read_as_the_general_case_reads_them() {
        for (a, b) in [(1, 2), (2, 1), (12, 31), (31, 12), (13, 1), (1, 13), (2, 30), (30, 2), (0, 5), (5, 0), (12, 12)] {
            for year in ["2025", "1999", "0999"] {
                for time in ["12:00:00", "1:05:09", "23:59", ":"] {
                    for meridiem in ["AM", "pm", "Pm"] {
                        for (pa, pb) in [(format!("{a}"), format!("{b}")), (format!("{a:02}"), format!("{b:02}"))] {
                            let s = format!("{pa}/{pb}/{year} {time} {meridiem}");
                            if let Some(fast) = parse_us_date_time(&s) {
                                assert_eq!(Some(fast), parse_tokens(&s), "{s}");
                            }
                            assert_eq!(parse_date_text(&s), parse_tokens(&s), "{s}");
                        }
                    }
                }
            }
        }
        assert_eq!(parse_date_text("1/2/2025 12:00:00 AM"), d(2025, 1, 2));
        assert_eq!(parse_date_text("13/2/2025 12:00:00 AM"), d(2025, 2, 13));
        for other in ["1/2/2025  12:00:00 AM", "1/2/2025 12:00:00 AM x", "1/2/25 12:00:00 AM", "1/2/2025 noon AM", "1-2-2025 1:00 PM"] {
            assert_eq!(parse_us_date_time(other), None, "{other}");
            assert_eq!(parse_date_text(other), parse_tokens(other.trim()), "{other}");
        }
    }

    #[test]
    fn reads_the_forms_cqc_uses() {
        assert_eq!(parse_date_text("2025-01-02"), d(2025, 1, 2));
        assert_eq!(parse_date_text("2024-01-31T00:00:00Z"), d(2024, 1, 31));
        assert_eq!(parse_date_text("2024-05-10 07:42:57"), d(2024, 5, 10));
        assert_eq!(parse_date_text("1/2/2025 12:00:00 AM"), d(2025, 1, 2));
        assert_eq!(parse_date_text("6/26/2025 12:00:00 AM"), d(2025, 6, 26));
        assert_eq!(parse_date_text("09/Jan/2018 - 00:00"), d(2018, 1, 9));
    }

    #[test]
    fn reads_what_people_type() {
        assert_eq!(parse_date_text("01/02/2024"), d(2024, 2, 1));
        assert_eq!(parse_date_text("1 Feb 2024"), d(2024, 2, 1));
        assert_eq!(parse_date_text("1st February 2024"), d(2024, 2, 1));
        assert_eq!(parse_date_text("01-Feb-24"), d(2024, 2, 1));
        assert_eq!(parse_date_text("01-FEB-1999"), d(1999, 2, 1));
        assert_eq!(parse_date_text("1.2.2024"), d(2024, 2, 1));
        assert_eq!(parse_date_text("February 1, 2024"), d(2024, 2, 1));
        assert_eq!(parse_date_text("Thursday, 1 February 2024"), d(2024, 2, 1));
        assert_eq!(parse_date_text("13/01/2024"), d(2024, 1, 13));
        assert_eq!(parse_date_text("01/13/2024"), d(2024, 1, 13));
        assert_eq!(parse_date_text("26/6/2025 12:00:00 AM"), d(2025, 6, 26));
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for s in ["", "31/02/2024", "2024-02-30", "Gud", "1-123456789", "45323", "12/2024", "2024-13-01", "00/01/2024"] {
            assert_eq!(parse_date_text(s), None, "{s}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_date(1.0), d(1900, 1, 1));
        assert_eq!(excel_serial_to_date(59.0), d(1900, 2, 28));
        assert_eq!(excel_serial_to_date(61.0), d(1900, 3, 1));
        assert_eq!(excel_serial_to_date(45323.0), d(2024, 2, 1));
        assert_eq!(excel_serial_to_date(45323.75), d(2024, 2, 1));
        assert_eq!(excel_serial_to_date(0.0), None);
        assert_eq!(excel_serial_to_date(f64::NAN), None);
        assert_eq!(excel_1904_serial_to_date(0.0), d(1904, 1, 1));
    }
}
