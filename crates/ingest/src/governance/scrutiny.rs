//! A scrutiny progress update table (`002`'s "Scrutiny Monitoring – Progress Update") from CSV or
//! XLSX: one row per agreed action, columns Recommendation (its number), Recommendation text,
//! Responsibility, Date, Agreed action, Agreed success measure, Evidence of progress, Assessment
//! of progress and Evidence of impact; the number and text blank on rows continuing the
//! recommendation above. Text is kept as written; core reads the grades.

use super::PlanFileError;
use crate::IngestError;
use crate::sheet::{CollectRows, read_csv, read_xlsx};
use caremarket_core::governance::scrutiny::{ScrutinyCells, ScrutinyRow, map_scrutiny_row};

/// The columns with the names each may go by.
const COLUMNS: [(&str, &[&str]); 9] = [
    ("Recommendation", &["recommendation", "recommendation number", "number", "no", "no."]),
    ("Recommendation text", &["recommendation text", "recommendation wording"]),
    ("Responsibility", &["responsibility", "responsible", "responsible officer", "responsible officers"]),
    ("Date", &["date", "due", "due date", "by when"]),
    ("Agreed action", &["agreed action", "action"]),
    ("Agreed success measure", &["agreed success measure", "success measure"]),
    ("Evidence of progress", &["evidence of progress", "progress"]),
    ("Assessment of progress", &["assessment of progress", "grade", "assessment"]),
    ("Evidence of impact", &["evidence of impact", "impact"]),
];

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Every data row of the table, mapped, in file order. `name` decides the format (`.xlsx`, or
/// CSV otherwise). The first bad row stops the read, naming it.
pub fn read_scrutiny(name: &str, bytes: &[u8]) -> Result<Vec<ScrutinyRow>, PlanFileError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty { file: name.to_string() }.into());
    }
    let mut sink = CollectRows::default();
    if name.to_lowercase().ends_with(".xlsx") {
        read_xlsx(name, std::io::Cursor::new(bytes), &mut sink, &mut |_, _| {})?;
    } else {
        read_csv(name, bytes, Some(bytes.len() as u64), &mut sink, &mut |_, _| {})?;
    }
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    let mut positions: Option<Vec<usize>> = None;
    let mut rows = Vec::new();
    for (_, row, cells) in &sink.rows {
        let texts: Vec<String> = cells.iter().map(|c| c.as_text()).collect();
        if texts.iter().all(|t| t.trim().is_empty()) {
            continue;
        }
        if positions.is_none() {
            let header: Option<Vec<usize>> =
                COLUMNS.iter().map(|(_, names)| texts.iter().position(|t| names.contains(&norm(t).as_str()))).collect();
            match header {
                Some(h) => {
                    positions = Some(h);
                    continue;
                }
                None => {
                    return Err(PlanFileError::Layout(format!(
                        "Row {row}: the table's header row must come first and name the columns {}",
                        names.join(", ")
                    )));
                }
            }
        }
        let Some(p) = &positions else { continue };
        let cell = |i: usize| texts.get(p[i]).map(String::as_str).unwrap_or("");
        let cells = ScrutinyCells {
            number: cell(0),
            recommendation: cell(1),
            responsibility: cell(2),
            due: cell(3),
            action: cell(4),
            success_measure: cell(5),
            evidence: cell(6),
            grade: cell(7),
            impact: cell(8),
        };
        rows.push(map_scrutiny_row(*row, cells).map_err(PlanFileError::Row)?);
    }
    let Some(first) = rows.first() else {
        return Err(PlanFileError::Layout(format!("The file has no scrutiny rows under a header naming {}", names.join(", "))));
    };
    if first.number.is_none() {
        return Err(PlanFileError::Layout(format!("Row {}: the first row must give its recommendation's number", first.row)));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use caremarket_core::governance::scrutiny::Grade;

    const SEED: &[u8] = include_bytes!("../../../../fixtures/governance/stockton-scrutiny-care-at-home-2024.csv");

    /// The grades as the fixture writes them, counted from the file's own cells (the leading
    /// digit of the "Assessment of progress" column), not through the reader under test.
    fn grades_in_file() -> Vec<char> {
        let mut r = csv::Reader::from_reader(SEED);
        let col = r.headers().unwrap().iter().position(|h| h == "Assessment of progress").unwrap();
        r.records().map(|rec| rec.unwrap()[col].trim().chars().next().unwrap_or(' ')).collect()
    }

    #[test]
    fn the_seed_table_reads_with_every_grade() {
        let in_file = grades_in_file();
        let count = |c: char| in_file.iter().filter(|g| **g == c).count();
        // `002`: 31 graded actions, 19 graded 1, 11 graded 2, 1 graded 3, none graded 4.
        assert_eq!((in_file.len(), count('1'), count('2'), count('3'), count('4')), (31, 19, 11, 1, 0));

        let rows = read_scrutiny("scrutiny.csv", SEED).unwrap();
        assert_eq!(rows.len(), in_file.len());
        for (g, want) in Grade::ALL.into_iter().zip(['1', '2', '3', '4']) {
            assert_eq!(rows.iter().filter(|r| r.grade == Some(g)).count(), count(want), "{g:?}");
        }
        // 15 recommendations, numbered 1 to 15 in order.
        let numbers: Vec<i64> = rows.iter().filter_map(|r| r.number).collect();
        assert_eq!(numbers, (1..=15).collect::<Vec<_>>());
        // Recommendation 4's actions read 1, 1, 2, 1.
        let four: Vec<Option<Grade>> = rows.iter().skip_while(|r| r.number != Some(4)).take(4).map(|r| r.grade).collect();
        assert_eq!(four, [Some(Grade::FullyAchieved), Some(Grade::FullyAchieved), Some(Grade::OnTrack), Some(Grade::FullyAchieved)]);
        assert_eq!(rows[0].action.responsibility, "Catherine Buller");
        assert!(rows[30].evidence.starts_with("Council approved the 2023/24 MTFP"));
    }

    #[test]
    fn a_bad_table_is_refused_with_the_row() {
        let head = "Recommendation,Recommendation text,Responsibility,Date,Agreed action,Agreed success measure,Evidence of progress,Assessment of progress,Evidence of impact\n";
        let e = read_scrutiny("s.csv", b"a,b\n").unwrap_err();
        assert!(e.to_string().starts_with("Row 1: the table's header row must come first"), "{e}");
        let e = read_scrutiny("s.csv", format!("{head}1,Rec,Team,Ongoing,Act,,Done,5 (Brilliant),\n").as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "Row 2: Select a grade from 1 (Fully Achieved) to 4 (Not Achieved); found '5 (Brilliant)'");
        let e = read_scrutiny("s.csv", format!("{head},,Team,Ongoing,Act,,,,\n").as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "Row 2: the first row must give its recommendation's number");
        let e = read_scrutiny("s.csv", format!("{head}1,Rec,Team,Ongoing,,,,,\n").as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "Row 2: Enter the agreed action");
    }
}
