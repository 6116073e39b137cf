//! The quarterly report as a Word document (docx-rs): real heading styles (so Word's navigation
//! pane and a screen reader see the structure), tables whose first row is marked as a header row
//! (repeated on each page), page numbers and the council's name in the footer, and a figures
//! appendix (figure, definition, value, date, source). Officers edit it before committee.

use caremarket_core::reports::quarterly::{Chart, QuarterlyReport, Table, long_date};
use docx_rs::{AlignmentType, Docx, Footer, PageNum, Paragraph, Run, RunFonts, Style, StyleType, TableCell, TableRow, WidthType};

fn heading(level: usize, text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text)).style(&format!("Heading{level}"))
}

/// Paragraphs of narrative: one per line, kept as typed (it is text, never markup).
fn paras(text: &str) -> Vec<Paragraph> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| Paragraph::new().add_run(Run::new().add_text(l.trim()))).collect()
}

fn cell(text: &str, bold: bool) -> TableCell {
    let mut run = Run::new().add_text(text);
    if bold {
        run = run.bold();
    }
    TableCell::new().add_paragraph(Paragraph::new().add_run(run))
}

/// A table whose first row is its header (marked `cantSplit`, turned into a repeated header row
/// when the document is packed: docx-rs has no builder for `tblHeader`).
fn table(head: &[String], rows: &[Vec<String>]) -> docx_rs::Table {
    let mut out = vec![TableRow::new(head.iter().map(|h| cell(h, true)).collect()).cant_split()];
    for r in rows {
        out.push(TableRow::new(r.iter().map(|c| cell(c, false)).collect()));
    }
    docx_rs::Table::new(out).width(9000, WidthType::Dxa)
}

/// A chart drawn to PNG from the same SVG the page shows, with the system's fonts (Liberation
/// Sans or DejaVu Sans on Debian; without any font the bars are drawn and the alternative text
/// still carries every value). `None` if it cannot be drawn: the table still carries the figures.
fn chart_png(c: &Chart) -> Option<(Vec<u8>, u32, u32)> {
    use resvg::{tiny_skia, usvg};
    let svg = caremarket_core::charts::bar_chart_svg("chart", &c.title, &c.bars, &c.suffix);
    let mut opt = usvg::Options { font_family: "Liberation Sans".into(), ..usvg::Options::default() };
    opt.fontdb_mut().load_system_fonts();
    let tree = usvg::Tree::from_str(&svg, &opt).ok()?;
    let size = tree.size().to_int_size();
    let scale = 2.0;
    let (w, h) = ((size.width() as f32 * scale) as u32, (size.height() as f32 * scale) as u32);
    let mut pixmap = tiny_skia::Pixmap::new(w, h)?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    Some((pixmap.encode_png().ok()?, size.width(), size.height()))
}

fn report_table(doc: Docx, t: &Table, alts: &mut Vec<String>) -> Docx {
    let mut doc = doc.add_paragraph(heading(4, &t.caption));
    if let Some(c) = &t.chart
        && let Some((png, w, h)) = chart_png(c)
    {
        // 600 px wide at most on the page; the picture's alternative text is set when packing.
        let (dw, dh) = if w > 600 { (600, h * 600 / w) } else { (w, h) };
        doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_image(docx_rs::Pic::new_with_dimensions(png, dw, dh))));
        alts.push(c.alt_text());
    }
    doc.add_paragraph(heading(4, &t.caption)).add_table(table(&t.head, &t.rows)).add_paragraph(
        Paragraph::new().add_run(Run::new().add_text(format!("{} ({}). Source: {}.", t.definition, t.when.text(), t.source)).size(18)),
    )
}

/// Build the document's bytes.
pub fn render(r: &QuarterlyReport) -> Result<Vec<u8>, String> {
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(Run::new().add_text(format!("{} · Market Oversight Report {} · Page ", r.council, r.title)))
            .add_page_num(PageNum::new()),
    );
    let mut doc = Docx::new()
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial").cs("Arial"))
        .default_size(22)
        .add_style(Style::new("Title", StyleType::Paragraph).name("Title").size(48).bold())
        .add_style(Style::new("Heading1", StyleType::Paragraph).name("Heading 1").size(36).bold().outline_lvl(0))
        .add_style(Style::new("Heading2", StyleType::Paragraph).name("Heading 2").size(30).bold().outline_lvl(1))
        .add_style(Style::new("Heading3", StyleType::Paragraph).name("Heading 3").size(26).bold().outline_lvl(2))
        .add_style(Style::new("Heading4", StyleType::Paragraph).name("Heading 4").size(22).bold().outline_lvl(3))
        .footer(footer)
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(&r.council)).style("Title"))
        .add_paragraph(heading(1, &format!("Market Oversight Report: {}", r.title)))
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(format!(
            "Figures as at {}, computed {}{}.",
            long_date(r.as_at),
            crate::render::format_timestamp(&r.computed_at),
            r.published.as_ref().map(|p| format!("; published {} by {}", crate::render::format_timestamp(&p.at), p.by)).unwrap_or_default()
        ))));
    let mut alts: Vec<String> = Vec::new();
    doc = doc.add_paragraph(heading(2, "Statutory duties: Care Act 2014, section 5"));
    for p in paras(&r.front_matter.duty) {
        doc = doc.add_paragraph(p);
    }
    doc = doc.add_paragraph(heading(2, "CQC's assessment themes"));
    for p in paras(&r.front_matter.themes) {
        doc = doc.add_paragraph(p);
    }
    if !r.front_matter.good.trim().is_empty() {
        doc = doc.add_paragraph(heading(2, "What does good look like?"));
        for p in paras(&r.front_matter.good) {
            doc = doc.add_paragraph(p);
        }
    }
    doc = doc.add_paragraph(heading(2, "Market Sustainability Delivery Plan"));
    match &r.delivery_plan {
        Some(t) => doc = report_table(doc, t, &mut alts),
        None => doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_text("No delivery plan is recorded."))),
    }
    let mut market = None;
    for s in &r.sections {
        if market != Some(s.market) {
            doc = doc.add_paragraph(heading(1, s.market.label()).page_break_before(true));
            market = Some(s.market);
        }
        doc = doc.add_paragraph(heading(2, s.section.label()));
        doc = doc.add_paragraph(heading(3, "Where are we now"));
        if s.figures.is_empty() && s.tables.is_empty() {
            doc =
                doc.add_paragraph(Paragraph::new().add_run(Run::new().add_text("No figures are recorded for this section this quarter.")));
        }
        if !s.figures.is_empty() {
            let rows: Vec<Vec<String>> = s
                .figures
                .iter()
                .map(|f| {
                    vec![
                        f.label.clone(),
                        if f.context.is_empty() { f.display() } else { format!("{} {}", f.display(), f.context) },
                        f.when.text(),
                    ]
                })
                .collect();
            doc = doc.add_table(table(&["Figure".into(), "Value".into(), "When".into()], &rows));
        }
        for t in &s.tables {
            doc = report_table(doc, t, &mut alts);
        }
        for p in paras(&s.narrative) {
            doc = doc.add_paragraph(p);
        }
        doc = doc.add_paragraph(heading(3, "Action plan"));
        let plan = paras(&s.action_plan);
        if plan.is_empty() {
            doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_text("No action plan has been written for this section.")));
        }
        for p in plan {
            doc = doc.add_paragraph(p);
        }
    }
    doc = doc.add_paragraph(heading(1, "Appendix: figures").page_break_before(true));
    doc = doc.add_paragraph(Paragraph::new().add_run(
        Run::new().add_text("Every figure in this report is computed by caremarket from the council's records; none is typed in."),
    ));
    let rows: Vec<Vec<String>> = r
        .appendix()
        .into_iter()
        .map(|l| {
            let place = if l.market.is_empty() { String::new() } else { format!("{}, {}: ", l.market, l.section) };
            vec![format!("{place}{}", l.figure), l.definition, l.value, l.when, l.source]
        })
        .collect();
    doc = doc.add_table(table(&["Figure", "Definition", "Value", "As at / period", "Source"].map(String::from), &rows));
    let mut xml = doc.build();
    let body = String::from_utf8(xml.document).map_err(|e| e.to_string())?;
    let mut body = body.replace("<w:cantSplit />", "<w:cantSplit /><w:tblHeader />");
    // docx-rs writes every picture as `<wp:docPr id="1" name="Figure" />`: give each its own id
    // and its alternative text (Word's "Alt Text", read by screen readers), in order.
    for (i, alt) in alts.iter().enumerate() {
        let esc = alt.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        body = body.replacen(
            "<wp:docPr id=\"1\" name=\"Figure\" />",
            &format!("<wp:docPr id=\"{}\" name=\"Chart {}\" descr=\"{esc}\" />", 1000 + i, i + 1),
            1,
        );
    }
    xml.document = body.into_bytes();
    let mut out = std::io::Cursor::new(Vec::new());
    xml.pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}
