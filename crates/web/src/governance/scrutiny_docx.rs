//! The progress update document as Word (.docx), the same content as the HTML page
//! (`governance_scrutiny_document.html`) in `002`'s shape: the review's details, the paper's
//! opening paragraph, the summary of grades and the worsened grades, each recommendation with
//! its actions side by side, and the grading key. Committee papers are edited in Word, so the
//! document is plain paragraphs and tables in A4 landscape, with no images.

use super::plain_text;
use super::scrutiny::{document_date, format_date, month_year};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::governance::scrutiny::{Grade, Review};
use docx_rs::{BreakType, Docx, PageMargin, PageOrientationType, Paragraph, Run, RunFonts, Shading, Table, TableCell, TableRow, WidthType};
use serde::Deserialize;

/// `002`'s opening paragraph.
const OPENING: &str = "Updates on the progress of actions in relation to agreed recommendations from previous scrutiny reviews are required approximately 12 months after the relevant Select Committee has agreed the Action Plan. Progress updates must be detailed, evidencing what has taken place regarding each recommendation – a grade assessing progress should then be given (see end of document for grading explanation). Any evidence on the impact of the actions undertaken should also be recorded for each recommendation.";

/// A4 landscape, in twentieths of a point.
const PAGE_W: u32 = 16838;
const PAGE_H: u32 = 11906;
const MARGIN: i32 = 1000;
const TEXT_W: usize = (PAGE_W as usize) - 2 * (MARGIN as usize);
const LABEL_W: usize = 2600;

fn run(text: &str) -> Run {
    // One run with a line break for each line of the text.
    let mut r = Run::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            r = r.add_break(BreakType::TextWrapping);
        }
        r = r.add_text(line);
    }
    r
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

fn bold(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text).bold())
}

fn heading(text: &str, size: usize) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text).bold().size(size))
}

fn cell(text: &str, width: usize) -> TableCell {
    TableCell::new().add_paragraph(para(text)).width(width, WidthType::Dxa)
}

fn label_cell(text: &str, width: usize) -> TableCell {
    TableCell::new().add_paragraph(bold(text)).width(width, WidthType::Dxa).shading(Shading::new().fill("F3F2F1"))
}

fn table(rows: Vec<TableRow>, grid: Vec<usize>) -> Table {
    let width = grid.iter().sum();
    Table::new(rows).set_grid(grid).width(width, WidthType::Dxa)
}

/// The document for `review` as it stood at the end of `as_at`.
pub fn progress_update_docx(review: &Review, as_at: Date) -> Result<Vec<u8>, AppError> {
    let month = month_year(as_at);
    let h = &review.header;
    let mut doc = Docx::new()
        .page_size(PAGE_W, PAGE_H)
        .page_orient(PageOrientationType::Landscape)
        .page_margin(PageMargin { top: MARGIN, left: MARGIN, bottom: MARGIN, right: MARGIN, header: 600, footer: 600, gutter: 0 })
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial"))
        .default_size(20)
        .add_paragraph(heading("SCRUTINY MONITORING – PROGRESS UPDATE", 32));

    let mut details = vec![("Review:", h.title.clone()), ("Link Officer/s:", h.link_officers.clone())];
    if !h.committee.is_empty() {
        details.push(("Select committee:", h.committee.clone()));
    }
    details.push(("Action Plan Agreed:", format!("Agreed: {}", h.plan_agreed.text)));
    details.push(("Progress update:", format!("{month} (as at {})", format_date(as_at))));
    if !h.updates_due.text.is_empty() {
        details.push(("Updates due:", h.updates_due.text.clone()));
    }
    let rows = details.iter().map(|(k, v)| TableRow::new(vec![label_cell(k, 3000), cell(v, TEXT_W - 3000)])).collect();
    doc = doc.add_table(table(rows, vec![3000, TEXT_W - 3000])).add_paragraph(para("")).add_paragraph(para(OPENING));

    // The summary of grades, which `002` lacks.
    let summary = review.grade_summary(as_at);
    doc = doc.add_paragraph(heading("Summary of grades", 26));
    let mut rows = vec![TableRow::new(vec![label_cell("Assessment of progress", 6000), label_cell("Agreed actions", 2000)])];
    for g in Grade::ALL {
        rows.push(TableRow::new(vec![cell(&g.written(), 6000), cell(&summary.count(g).to_string(), 2000)]));
    }
    if summary.ungraded > 0 {
        rows.push(TableRow::new(vec![cell("Not yet graded", 6000), cell(&summary.ungraded.to_string(), 2000)]));
    }
    rows.push(TableRow::new(vec![
        label_cell("All agreed actions", 6000),
        label_cell(&(summary.graded() + summary.ungraded).to_string(), 2000),
    ]));
    doc = doc.add_table(table(rows, vec![6000, 2000])).add_paragraph(para(""));

    let standing = review.as_at(as_at);
    let worsened: Vec<String> = standing
        .iter()
        .flat_map(|(r, actions)| {
            actions.iter().filter(|s| s.worsened).map(move |s| {
                let before = s.previous.map(|p| format!("{} on {}", p.grade.written(), format_date(p.dated_on))).unwrap_or_default();
                let now = s.current.map(|p| p.grade.written()).unwrap_or_default();
                let action: String = plain_text(&s.action.action).chars().take(120).collect();
                format!("Recommendation {}: {action} – now {now}, was {before}", r.number)
            })
        })
        .collect();
    doc = if worsened.is_empty() {
        doc.add_paragraph(para("No action's grade is worse than at its last update."))
    } else {
        let n = worsened.len();
        let mut d = doc.add_paragraph(bold(&format!(
            "{n} {} worse than at the last update:",
            if n == 1 { "action's grade is" } else { "actions' grades are" }
        )));
        for w in worsened {
            d = d.add_paragraph(para(&format!("• {w}")));
        }
        d
    };

    for (r, actions) in &standing {
        doc = doc
            .add_paragraph(para(""))
            .add_paragraph(Paragraph::new().add_run(Run::new().add_text(format!("Recommendation {}:", r.number)).bold().size(24)))
            .add_paragraph(para(&plain_text(&r.text)));
        if actions.is_empty() {
            doc = doc.add_paragraph(para("No agreed actions."));
            continue;
        }
        let col = (TEXT_W - LABEL_W) / actions.len();
        let line = |label: String, value: &dyn Fn(&caremarket_core::governance::scrutiny::ActionStanding<'_>) -> String| {
            let mut cells = vec![label_cell(&label, LABEL_W)];
            cells.extend(actions.iter().map(|s| cell(&value(s), col)));
            TableRow::new(cells)
        };
        let rows = vec![
            line("Responsibility:".into(), &|s| plain_text(&s.action.responsibility)),
            line("Date:".into(), &|s| plain_text(&s.action.due.text)),
            line("Agreed Action:".into(), &|s| plain_text(&s.action.action)),
            line("Agreed Success Measure:".into(), &|s| plain_text(&s.action.success_measure)),
            line(format!("Evidence of Progress ({month}):"), &|s| match s.current {
                Some(p) if month_year(p.dated_on) == month => plain_text(&p.evidence),
                Some(p) => format!("{}\n(update of {})", plain_text(&p.evidence), format_date(p.dated_on)),
                None => format!("No progress update by {}", format_date(as_at)),
            }),
            line(format!("Assessment of Progress ({month}):"), &|s| match (s.current, s.previous) {
                (Some(p), Some(before)) if s.worsened => format!(
                    "{}\nWorse than the last update (was {} on {})",
                    p.grade.written(),
                    before.grade.written(),
                    format_date(before.dated_on)
                ),
                (Some(p), _) => p.grade.written(),
                (None, _) => "Not yet graded".into(),
            }),
            line(format!("Evidence of Impact ({month}):"), &|s| s.current.map(|p| plain_text(&p.impact)).unwrap_or_default()),
        ];
        let mut grid = vec![LABEL_W];
        grid.extend(std::iter::repeat_n(col, actions.len()));
        doc = doc.add_table(table(rows, grid));
    }

    // The grading key, as `002` ends.
    let key_w = 2500;
    let numbers = TableRow::new(Grade::ALL.iter().map(|g| label_cell(&g.number().to_string(), key_w)).collect());
    let words = TableRow::new(Grade::ALL.iter().map(|g| cell(g.label(), key_w)).collect());
    doc = doc
        .add_paragraph(para(""))
        .add_paragraph(heading("Assessment of Progress Gradings", 26))
        .add_table(table(vec![numbers, words], vec![key_w; 4]));

    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| AppError::Internal(format!("writing the progress update document: {e}")))?;
    Ok(out.into_inner())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DocxQuery {
    as_at: Option<String>,
}

pub(super) async fn download(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): Query<DocxQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewGovernance)?;
    let review = state.store.scrutiny_review(&id).await?;
    let asked = match q.as_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<Date>().map_err(|_| AppError::BadRequest(format!("as_at must be a date like 2024-03-31; found '{s}'")))?),
    };
    let as_at = document_date(&review, asked);
    let bytes = progress_update_docx(&review, as_at)?;
    let filename = docx_filename(&review.header.title, as_at);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.wordprocessingml.document".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// The Word document's name: the review's title in plain letters and the month.
fn docx_filename(title: &str, as_at: Date) -> String {
    let slug = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("scrutiny-progress-update-{}-{}.docx", if slug.is_empty() { "review" } else { &slug }, as_at.strftime("%Y-%m"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use caremarket_core::governance::delivery_plan::ByWhen;
    use caremarket_core::governance::scrutiny::{Action, Progress, Recommendation, ReviewHeader};

    fn progress(id: &str, dated_on: Date, grade: Grade, evidence: &str) -> Progress {
        Progress {
            id: id.into(),
            dated_on,
            evidence: evidence.into(),
            grade,
            impact: "N/A".into(),
            recorded_by: "officer".into(),
            recorded_at: format!("{dated_on}T12:00:00Z"),
        }
    }

    #[test]
    fn the_word_document_holds_the_summary_the_recommendations_and_the_key() {
        let march = Date::new(2024, 3, 31).unwrap();
        let next = Date::new(2025, 3, 31).unwrap();
        let action = |id: &str, updates| Action {
            id: id.into(),
            action: format!("Action {id}"),
            responsibility: "Quality and Compliance Team".into(),
            due: ByWhen::parse("Ongoing"),
            success_measure: String::new(),
            updates,
        };
        let review = Review {
            id: "r".into(),
            header: ReviewHeader::parse("Care at Home", "", "Martin Skipsey", "February 2023", "", march).unwrap(),
            created_at: String::new(),
            updated_at: String::new(),
            recommendations: vec![Recommendation {
                id: "r1".into(),
                number: 4,
                text: "Reinforce how to complain <ul><li>to the provider</li></ul>".into(),
                actions: vec![
                    action(
                        "a",
                        vec![
                            progress("p1", march, Grade::FullyAchieved, "Letter sent"),
                            progress("p2", next, Grade::Slipped, "Letter lost"),
                        ],
                    ),
                    action("b", vec![progress("p3", march, Grade::OnTrack, "3 of 6 PAMMS done")]),
                ],
            }],
        };
        let bytes = progress_update_docx(&review, next).unwrap();
        assert!(bytes.starts_with(b"PK"), "a zip package");
        let json = docx_rs::read_docx(&bytes).unwrap().json();
        for want in [
            "SCRUTINY MONITORING – PROGRESS UPDATE",
            "Agreed: February 2023",
            "Summary of grades",
            "1 action's grade is worse than at the last update:",
            "Recommendation 4:",
            "• to the provider",
            "Evidence of Progress (March 2025):",
            "Letter lost",
            "(update of 31 March 2024)",
            "Worse than the last update (was 1 (Fully Achieved) on 31 March 2024)",
            "Assessment of Progress Gradings",
            "Not Achieved",
        ] {
            assert!(json.contains(want), "the document lacks '{want}'");
        }
        assert!(!json.contains("<li>"), "pasted markup is text, not markup");
    }

    #[test]
    fn the_file_is_named_for_the_review_and_month() {
        let d = Date::new(2024, 3, 31).unwrap();
        assert_eq!(docx_filename("Care at Home <b>", d), "scrutiny-progress-update-care-at-home-b-2024-03.docx");
        assert_eq!(docx_filename("“”", d), "scrutiny-progress-update-review-2024-03.docx");
    }
}
