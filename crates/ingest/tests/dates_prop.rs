//! The date parser never panics, and reads back every date it is given in the forms CQC uses.

use caremarket_core::Date;
use caremarket_ingest::dates::{excel_serial_to_date, parse_date_text};
use proptest::prelude::*;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn any_date() -> impl Strategy<Value = Date> {
    (1000i16..=9999, 1i8..=12, 1i8..=31).prop_filter_map("a real calendar date", |(y, m, d)| Date::new(y, m, d).ok())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn never_panics_on_any_text(s in ".{0,80}") {
        let _ = parse_date_text(&s);
    }

    #[test]
    fn never_panics_on_date_like_text(
        s in "[0-9]{0,5}[/ .,-]{0,2}[0-9A-Za-z]{0,10}[/ .,-]{0,2}[0-9]{0,5}( [0-9:]{0,9})?( ?[AaPp][Mm])?( - [0-9:]{0,5})?"
    ) {
        if let Some(d) = parse_date_text(&s) {
            // Whatever it reads is a real date.
            prop_assert!(Date::new(d.year(), d.month(), d.day()).is_ok());
        }
    }

    #[test]
    fn round_trips_iso_dates(d in any_date()) {
        prop_assert_eq!(parse_date_text(&d.to_string()), Some(d));
        prop_assert_eq!(parse_date_text(&format!("{d}T00:00:00Z")), Some(d));
        prop_assert_eq!(parse_date_text(&format!(" {d} 07:42:57 ")), Some(d));
    }

    #[test]
    fn reads_the_other_forms_of_the_same_date(d in any_date()) {
        let (y, m, day) = (d.year(), d.month(), d.day());
        let mon = MONTHS[(m - 1) as usize];
        prop_assert_eq!(parse_date_text(&format!("{day:02}/{m:02}/{y}")), Some(d), "UK day first");
        prop_assert_eq!(parse_date_text(&format!("{m}/{day}/{y} 12:00:00 AM")), Some(d), "the export's US form");
        prop_assert_eq!(parse_date_text(&format!("{day} {mon} {y}")), Some(d));
        prop_assert_eq!(parse_date_text(&format!("{day:02}/{mon}/{y} - 00:00")), Some(d), "CQC_directory.csv");
        prop_assert_eq!(parse_date_text(&format!("{day}-{}-{y}", mon.to_uppercase())), Some(d));
    }

    #[test]
    fn excel_serials_never_panic_and_round_trip(serial in any::<f64>(), days in 61i64..2_958_465) {
        let _ = excel_serial_to_date(serial);
        let base = Date::constant(1899, 12, 30);
        let expected = base.checked_add(jiff::Span::new().days(days)).ok();
        prop_assert_eq!(excel_serial_to_date(days as f64), expected);
        prop_assert_eq!(excel_serial_to_date(days as f64 + 0.75), expected, "the time of day is dropped");
    }
}
