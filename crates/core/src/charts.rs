//! Charts as accessible SVG: a `role="img"` with a title and a description that reads every
//! bar's label and value, each bar labelled with its value. Pages show them inline (no
//! JavaScript) beside the same numbers in a table; the Word report draws the same SVG to a PNG.

/// A horizontal bar chart. `id` makes the title and description ids unique on a page; `suffix`
/// follows each value ("%").
pub fn bar_chart_svg(id: &str, title: &str, bars: &[(String, i64)], suffix: &str) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let id = esc(id);
    let max = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let row = 34;
    let label_w = 300;
    let bar_w = 360;
    let h = row * bars.len().max(1) as i64 + 10;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {} {h}\" width=\"100%\" style=\"max-width:720px\" class=\"caremarket-chart\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        label_w + bar_w + 60,
        esc(title),
        esc(&describe(bars, suffix))
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = i as i64 * row + 5;
        let w = v.max(&0) * bar_w / max;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-family=\"Arial, Liberation Sans, DejaVu Sans, sans-serif\" font-size=\"16\" fill=\"#0b0c0c\">{}</text>\
             <rect x=\"{}\" y=\"{y}\" width=\"{w}\" height=\"24\" fill=\"#1d70b8\"></rect>\
             <text x=\"{}\" y=\"{}\" font-family=\"Arial, Liberation Sans, DejaVu Sans, sans-serif\" font-size=\"16\" fill=\"#0b0c0c\">{v}{}</text>",
            label_w - 8,
            y + 18,
            esc(label),
            label_w,
            label_w + w + 6,
            y + 18,
            esc(suffix)
        ));
    }
    s.push_str("</svg>");
    s
}

/// What the chart shows, in words: its alternative text ("Dementia Nursing: 92%; ...").
pub fn describe(bars: &[(String, i64)], suffix: &str) -> String {
    bars.iter().map(|(l, v)| format!("{l}: {v}{suffix}")).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_says_what_it_shows_and_escapes_its_labels() {
        let bars = vec![("Dementia <Nursing>".to_string(), 92), ("General Nursing".to_string(), 79)];
        let svg = bar_chart_svg("occ", "Occupancy & beds", &bars, "%");
        assert!(svg.contains("aria-labelledby=\"occ-title occ-desc\""));
        assert!(svg.contains("<title id=\"occ-title\">Occupancy &amp; beds</title>"));
        assert!(svg.contains("<desc id=\"occ-desc\">Dementia &lt;Nursing&gt;: 92%; General Nursing: 79%</desc>"));
        assert!(!svg.contains("<Nursing>"));
        assert_eq!(describe(&bars, "%"), "Dementia <Nursing>: 92%; General Nursing: 79%");
    }
}
