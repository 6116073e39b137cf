//! A delivery plan table (`000`'s "Market Sustainability Delivery Plan") from CSV or XLSX, as a
//! council keeps it: columns Theme / Indicator, Milestone/action, Update, By when and RAG, the
//! header repeated above each theme's table, and a blank theme on rows that continue the theme
//! above. Text is kept as written; core maps the status words.

use crate::IngestError;
use crate::sheet::{CollectRows, read_csv, read_xlsx};
use caremarket_core::FieldError;
use caremarket_core::governance::delivery_plan::{PlanRow, map_row};

/// The columns, in the order [`map_row`] takes them, with the names each may go by.
const COLUMNS: [(&str, &[&str]); 5] = [
    ("Theme / Indicator", &["theme / indicator", "theme/indicator", "theme", "indicator"]),
    ("Milestone/action", &["milestone/action", "milestone / action", "milestone", "action"]),
    ("Update", &["update", "progress"]),
    ("By when", &["by when", "due", "deadline"]),
    ("RAG", &["rag", "status", "rag status"]),
];

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Why a plan file could not be used: the file as a whole, or the first bad row.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error(transparent)]
    File(#[from] IngestError),
    #[error("{0}")]
    Layout(String),
    #[error("{}", .0.message)]
    Row(FieldError),
}

/// Every data row of the table, mapped, in file order. `name` decides the format (`.xlsx`, or
/// CSV otherwise).
pub fn read_delivery_plan(name: &str, bytes: &[u8]) -> Result<Vec<PlanRow>, PlanFileError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty { file: name.to_string() }.into());
    }
    let mut sink = CollectRows::default();
    if name.to_lowercase().ends_with(".xlsx") {
        read_xlsx(name, std::io::Cursor::new(bytes), &mut sink, &mut |_, _| {})?;
    } else {
        read_csv(name, bytes, Some(bytes.len() as u64), &mut sink, &mut |_, _| {})?;
    }
    let mut positions: Option<Vec<usize>> = None;
    let mut rows = Vec::new();
    for (_, row, cells) in &sink.rows {
        let texts: Vec<String> = cells.iter().map(|c| c.as_text()).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            continue;
        }
        let header: Option<Vec<usize>> =
            COLUMNS.iter().map(|(_, names)| texts.iter().position(|t| names.contains(&norm(t).as_str()))).collect();
        if let Some(h) = header {
            positions = Some(h);
            continue;
        }
        let Some(p) = &positions else {
            let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
            return Err(PlanFileError::Layout(format!(
                "Row {row}: the table's header row must come first and name the columns {}",
                names.join(", ")
            )));
        };
        let cell = |i: usize| texts.get(p[i]).map(String::as_str).unwrap_or("");
        rows.push(map_row(*row, cell(0), cell(1), cell(2), cell(3), cell(4)).map_err(PlanFileError::Row)?);
    }
    if rows.is_empty() {
        let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
        return Err(PlanFileError::Layout(format!("The file has no delivery plan rows under a header naming {}", names.join(", "))));
    }
    if rows[0].theme.is_empty() {
        return Err(PlanFileError::Layout(format!("Row {}: the first row must name its theme / indicator", rows[0].row)));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use caremarket_core::governance::delivery_plan::PlanStatus;

    const SEED: &[u8] = include_bytes!("../../../fixtures/governance/sheffield-delivery-plan-2024-25.csv");

    #[test]
    fn the_seed_table_reads_with_every_status_mapped() {
        let rows = read_delivery_plan("plan.csv", SEED).unwrap();
        // Counted from `000`'s table: 23 milestones under 5 themes; RAG column words COMPLETE x7
        // and COMPLETED x1 (complete), IN DELIVERY x12, "Delivery priority for 24/25." and
        // "Priority for 24/25" (priority), and one blank RAG whose By when is "No Longer Required".
        assert_eq!(rows.len(), 23);
        assert_eq!(rows.iter().filter(|r| !r.theme.is_empty()).count(), 5);
        let count = |s| rows.iter().filter(|r| r.status == Some(s)).count();
        assert_eq!(count(PlanStatus::Complete), 8);
        assert_eq!(count(PlanStatus::InDelivery), 12);
        assert_eq!(count(PlanStatus::Priority), 2);
        assert_eq!(count(PlanStatus::NoLongerRequired), 1);
        assert!(rows.iter().all(|r| r.status.is_some()));
        assert!(rows[0].milestone.starts_with("A provisional market sustainability plan"));
    }

    #[test]
    fn a_table_without_its_header_or_theme_is_refused_with_the_row() {
        let e = read_delivery_plan("plan.csv", b"a,b,c\n").unwrap_err();
        assert!(e.to_string().starts_with("Row 1: the table's header row must come first"), "{e}");
        let e = read_delivery_plan("plan.csv", b"Theme / Indicator,Milestone/action,Update,By when,RAG\n,Do it,,,\n").unwrap_err();
        assert_eq!(e.to_string(), "Row 2: the first row must name its theme / indicator");
        let e = read_delivery_plan("plan.csv", b"Theme / Indicator,Milestone/action,Update,By when,RAG\nT, ,,,\n").unwrap_err();
        assert_eq!(e.to_string(), "Row 2: the milestone/action is blank");
    }
}
pub mod scrutiny;
