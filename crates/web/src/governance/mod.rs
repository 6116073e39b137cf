//! Governance pages (issue 12; domain C9): the delivery plan, under `/governance`. Every route
//! checks a permission from `caremarket_core::access`: all council staff read the plan,
//! commissioners and administrators keep it.

mod committees;
mod delivery_plan;
mod scrutiny;
mod scrutiny_docx;
mod self_assessment;

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().merge(delivery_plan::routes()).merge(scrutiny::routes()).merge(committees::routes()).merge(self_assessment::routes())
}

/// Narrative pasted from a committee paper keeps its markup in the record ("kept as written");
/// a page shows it as text: list items on their own lines with a bullet, line breaks kept, other
/// tags dropped and the common entities decoded. The template escapes the result, so nothing
/// pasted is ever executed.
pub(crate) fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name = tag.trim_start_matches('/').split_whitespace().next().unwrap_or("");
        match (tag.starts_with('/'), name) {
            (false, "li") => out.push_str("\n• "),
            (_, "br") | (_, "p") | (true, "ul") | (true, "ol") => out.push('\n'),
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let lines: Vec<&str> = decoded.lines().map(str::trim).filter(|l| !l.is_empty() && *l != "•").collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn pasted_markup_reads_as_text() {
        let seed = r#"Key milestones: <ul style="list-style-type: none"> <li>Design the specification.</li> <li>Advertise &amp; award.</li> </ul> Then review."#;
        assert_eq!(plain_text(seed), "Key milestones:\n• Design the specification.\n• Advertise & award.\nThen review.");
        assert_eq!(plain_text("1 <sup>st</sup> April 2025"), "1 st April 2025");
        assert_eq!(plain_text("<script>alert(1)</script>"), "alert(1)");
        assert_eq!(plain_text("a < b"), "a < b");
    }
}
