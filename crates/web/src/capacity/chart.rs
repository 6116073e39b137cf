//! A hand-written, accessible SVG line chart of occupancy by bed type over time. No JavaScript:
//! the SVG has a title and description, each line is labelled at its end and drawn in a
//! different dash pattern as well as colour, and the page shows the same figures as a table.

use caremarket_core::Date;
use caremarket_core::capacity::vacancies::{BedType, OccupancyRow};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn occupancy_chart(series: &[(Date, Vec<OccupancyRow>)]) -> String {
    let (w, h, left, right, top, bottom) = (720.0f64, 300.0f64, 48.0f64, 170.0f64, 16.0f64, 40.0f64);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let n = series.len().max(2) as f64;
    let x = |i: usize| left + plot_w * i as f64 / (n - 1.0);
    // 50% to 100%: care home occupancy sits in that band and the differences matter.
    let y = |p: f64| top + plot_h * (1.0 - ((p.clamp(50.0, 100.0) - 50.0) / 50.0));
    let first = series.first().map(|s| s.0.to_string()).unwrap_or_default();
    let last = series.last().map(|s| s.0.to_string()).unwrap_or_default();
    let mut out = format!(
        r#"<svg class="caremarket-chart" role="img" aria-labelledby="occ-chart-title occ-chart-desc" viewBox="0 0 {w} {h}" width="100%" xmlns="http://www.w3.org/2000/svg"><title id="occ-chart-title">Care home occupancy by bed type, weekly, {first} to {last}</title><desc id="occ-chart-desc">Line chart of the percentage of beds occupied for each bed type. The same figures are in the table below the chart.</desc>"#
    );
    for p in [50, 60, 70, 80, 90, 100] {
        let yy = y(p as f64);
        out.push_str(&format!(r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#b1b4b6" stroke-width="1"/><text x="{}" y="{:.1}" font-size="12" text-anchor="end" fill="#0b0c0c">{p}%</text>"##, w - right, left - 6.0, yy + 4.0));
    }
    for (i, (d, _)) in series.iter().enumerate() {
        if i % 3 == 0 || i + 1 == series.len() {
            out.push_str(&format!(
                r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#0b0c0c">{}</text>"##,
                x(i),
                h - bottom + 18.0,
                esc(&d.strftime("%-d %b").to_string())
            ));
        }
    }
    // End-of-line labels, spread apart afterwards so close lines do not print on top of each other.
    let mut labels: Vec<(f64, f64, String)> = Vec::new();
    let styles = [("#1d70b8", ""), ("#d4351c", "6 3"), ("#00703c", "2 3"), ("#4c2c92", "10 4 2 4")];
    for (bi, b) in BedType::ALL.iter().enumerate() {
        let pts: Vec<(usize, f64)> = series
            .iter()
            .enumerate()
            .filter_map(|(i, (_, rows))| rows.iter().find(|r| r.bed_type == *b).and_then(|r| r.occupied_percent).map(|p| (i, p as f64)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let (colour, dash) = styles[bi];
        let d: Vec<String> = pts.iter().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(*p))).collect();
        out.push_str(&format!(
            r#"<polyline fill="none" stroke="{colour}" stroke-width="3"{} points="{}"/>"#,
            if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) },
            d.join(" ")
        ));
        if let Some((i, p)) = pts.last() {
            labels.push((x(*i) + 6.0, y(*p) + 4.0, format!("{} {p:.0}%", esc(b.label()))));
        }
    }
    labels.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut last_y = f64::MIN;
    for (lx, ly, text) in labels {
        let ly = ly.max(last_y + 14.0);
        last_y = ly;
        out.push_str(&format!(r##"<text x="{lx:.1}" y="{ly:.1}" font-size="12" fill="#0b0c0c">{text}</text>"##));
    }
    out.push_str("</svg>");
    out
}
