//! Small text helpers shared by importers and pages.

use crate::Date;

/// "1 April 2024", as GOV.UK content style and committee papers write dates. The one home of
/// that format: fees, PA checks, the quarterly report and money limits' messages use it.
pub fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// 10000 -> "10,000", -1234 -> "-1,234", as GOV.UK content style writes numbers. The one
/// thousands separator of the project: pages, the report, money and limits' messages use it.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text with its first letter a capital, as a sentence starts ("as at ..." -> "As at ...").
/// A count with its noun: "1 home", "2 homes", "1,204 services". The plural is the singular with
/// an "s" unless given ("1 plan is", "3 plans are"). Pages say counts this way so that a count of
/// one never reads "1 plans".
pub fn count(n: i64, singular: &str, plural: Option<&str>) -> String {
    let noun = if n == 1 { singular.to_string() } else { plural.map(str::to_string).unwrap_or_else(|| format!("{singular}s")) };
    format!("{} {noun}", thousands(n))
}

pub fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Collapse runs of whitespace (CQC exports carry stray and doubled spaces) and trim.
pub fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `None` for an empty or whitespace-only value, else the tidied value.
pub fn non_empty(s: &str) -> Option<String> {
    let t = tidy(s);
    if t.is_empty() { None } else { Some(t) }
}

/// A UK postcode in canonical form ("OL1 1AA"), or `None` if it does not look like one.
pub fn normalise_postcode(s: &str) -> Option<String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if compact.len() < 5 || compact.len() > 7 || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let (out, inw) = compact.split_at(compact.len() - 3);
    let inw_ok = inw.as_bytes()[0].is_ascii_digit() && inw[1..].chars().all(|c| c.is_ascii_alphabetic());
    let out_ok = out.as_bytes()[0].is_ascii_alphabetic();
    if inw_ok && out_ok { Some(format!("{out} {inw}")) } else { None }
}

/// The outward code (postcode district) of a canonical postcode: "OL1 1AA" -> "OL1".
pub fn outward_code(postcode: &str) -> Option<String> {
    normalise_postcode(postcode).and_then(|p| p.split(' ').next().map(str::to_string))
}

/// A URL/identifier-safe slug: lowercase ASCII letters, digits and hyphens.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A value made safe for a cell of an exported CSV or spreadsheet: one starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would be read by Excel and LibreOffice as a formula
/// (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`), so it is prefixed with an apostrophe, which the
/// spreadsheet shows as text (OWASP "CSV injection"). Every export calls this for every cell.
pub fn spreadsheet_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { std::borrow::Cow::Owned(format!("'{s}")) } else { std::borrow::Cow::Borrowed(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_one_takes_the_singular() {
        assert_eq!(count(1, "home", None), "1 home");
        assert_eq!(count(0, "home", None), "0 homes");
        assert_eq!(count(1204, "service", None), "1,204 services");
        assert_eq!(count(1, "plan is", Some("plans are")), "1 plan is");
        assert_eq!(count(3, "plan is", Some("plans are")), "3 plans are");
    }

    #[test]
    fn thousands_are_separated_as_gov_uk_writes_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-123), "-123");
        assert_eq!(thousands(-1234), "-1,234");
    }

    #[test]
    fn spreadsheet_cells_never_start_a_formula() {
        for bad in ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1", "-1+2", "=cmd|' /C calc'!A0", "\tx", "\rx"] {
            assert_eq!(spreadsheet_cell(bad), format!("'{bad}"));
        }
        assert_eq!(spreadsheet_cell("The Willows"), "The Willows");
        assert_eq!(spreadsheet_cell(""), "");
    }

    #[test]
    fn postcodes_are_canonicalised() {
        assert_eq!(normalise_postcode(" ol1  1aa ").as_deref(), Some("OL1 1AA"));
        assert_eq!(normalise_postcode("SW1A2AA").as_deref(), Some("SW1A 2AA"));
        assert_eq!(normalise_postcode("not a postcode"), None);
        assert_eq!(outward_code("M13 9PL").as_deref(), Some("M13"));
    }

    #[test]
    fn tidy_collapses_spaces() {
        assert_eq!(tidy("  The   Willows \t Care Home "), "The Willows Care Home");
        assert_eq!(slug("Learning disabilities"), "learning-disabilities");
    }
}
