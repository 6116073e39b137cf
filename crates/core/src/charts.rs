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

/// One series of a [`stacked_bar_chart_svg`]: its name, fill colour and text colour on it.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    pub name: &'static str,
    pub fill: &'static str,
    pub text: &'static str,
}

/// A horizontal stacked bar chart: one bar per row, one segment per series, each segment
/// labelled with its count where it is wide enough, and a legend. Colour is never the only
/// cue: the legend names the series in the order the segments run, and the description reads
/// every count.
pub fn stacked_bar_chart_svg(id: &str, title: &str, series: &[Series], rows: &[(String, Vec<i64>)]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let id = esc(id);
    let font = "font-family=\"Arial, Liberation Sans, DejaVu Sans, sans-serif\"";
    let max = rows.iter().map(|(_, v)| v.iter().map(|n| (*n).max(0)).sum::<i64>()).max().unwrap_or(0).max(1);
    let (row, label_w, bar_w, legend_h) = (34i64, 300i64, 360i64, 34i64);
    let h = legend_h + row * rows.len().max(1) as i64 + 10;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {} {h}\" width=\"100%\" style=\"max-width:720px\" class=\"caremarket-chart\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        label_w + bar_w + 60,
        esc(title),
        esc(&describe_stacked(series, rows))
    );
    let mut x = label_w;
    for se in series {
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"6\" width=\"16\" height=\"16\" fill=\"{}\" stroke=\"#0b0c0c\" stroke-width=\"1\"></rect><text x=\"{}\" y=\"20\" {font} font-size=\"14\" fill=\"#0b0c0c\">{}</text>",
            se.fill,
            x + 22,
            esc(se.name)
        ));
        x += 22 + 9 * se.name.len() as i64 + 18;
    }
    for (i, (label, values)) in rows.iter().enumerate() {
        let y = legend_h + i as i64 * row + 5;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" {font} font-size=\"16\" fill=\"#0b0c0c\">{}</text>",
            label_w - 8,
            y + 18,
            esc(label)
        ));
        let mut x = label_w;
        for (se, v) in series.iter().zip(values) {
            let w = (*v).max(0) * bar_w / max;
            if w > 0 {
                s.push_str(&format!("<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"24\" fill=\"{}\"></rect>", se.fill));
                // A count needs about 10 units a digit to be read inside its segment.
                if w >= 10 * v.to_string().len() as i64 + 6 {
                    s.push_str(&format!(
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" {font} font-size=\"14\" fill=\"{}\">{v}</text>",
                        x + w / 2,
                        y + 17,
                        se.text
                    ));
                }
            }
            x += w;
        }
        let total: i64 = values.iter().map(|n| (*n).max(0)).sum();
        s.push_str(&format!("<text x=\"{}\" y=\"{}\" {font} font-size=\"16\" fill=\"#0b0c0c\">{total}</text>", x + 6, y + 18));
    }
    s.push_str("</svg>");
    s
}

/// A stacked chart in words: "Care home (residential): Green 10, Amber 3, Red 1; ...".
pub fn describe_stacked(series: &[Series], rows: &[(String, Vec<i64>)]) -> String {
    rows.iter()
        .map(|(l, v)| {
            let parts: Vec<String> = series.iter().zip(v).map(|(se, n)| format!("{} {n}", se.name)).collect();
            format!("{l}: {}", parts.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
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

    #[test]
    fn a_stacked_chart_reads_every_count_and_sizes_segments_by_them() {
        let series = [Series { name: "Green", fill: "#00703c", text: "#ffffff" }, Series { name: "Red", fill: "#d4351c", text: "#ffffff" }];
        let rows = vec![("Home care".to_string(), vec![30, 10]), ("Care <homes>".to_string(), vec![0, 20])];
        let svg = stacked_bar_chart_svg("rag", "RAG by kind", &series, &rows);
        assert!(svg.contains("<desc id=\"rag-desc\">Home care: Green 30, Red 10; Care &lt;homes&gt;: Green 0, Red 20</desc>"));
        // The longest bar (40) spans the whole 360 units: 30 is 270, 10 is 90, 20 is 180.
        assert!(svg.contains("width=\"270\" height=\"24\" fill=\"#00703c\""));
        assert!(svg.contains("x=\"570\" y=\"39\" width=\"90\""));
        assert!(svg.contains("width=\"180\" height=\"24\" fill=\"#d4351c\""));
        assert!(!svg.contains("width=\"0\""), "an empty segment draws nothing");
        assert!(!svg.contains("<homes>"));
    }
}
