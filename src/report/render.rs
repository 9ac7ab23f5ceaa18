//! HTML and Markdown rendering of a [`Report`](super::Report).

use base64::Engine;

use super::{Figure, Report, Table};

/// Escape text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
h1{border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}\
figure{display:inline-block;margin:0.5em;vertical-align:top}figcaption{font-weight:bold;text-align:center}\
svg{max-width:100%;height:auto}";

/// Inline an SVG document: drop the XML prolog and namespace declarations (implicit in HTML).
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..]
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "", 1)
}

fn html_table(t: &Table) -> String {
    let mut s = String::from("<table>\n<tr>");
    for h in &t.header {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr>\n");
    for r in &t.rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{}</td>", esc(c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

fn html_figure(f: &Figure) -> String {
    format!(
        "<figure>{}<figcaption>{}</figcaption></figure>\n",
        inline_svg(&f.svg),
        esc(&f.title)
    )
}

/// The report as one self-contained HTML page.
pub fn render_html(r: &Report) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n",
        esc(&r.title),
        esc(&r.title),
        esc(&r.subtitle)
    );
    for sec in &r.sections {
        s.push_str(&format!("<h2>{}</h2>\n", esc(&sec.title)));
        for l in &sec.lines {
            s.push_str(&format!("<p>{}</p>\n", esc(l)));
        }
        for t in &sec.tables {
            s.push_str(&html_table(t));
        }
        for f in &sec.figures {
            s.push_str(&html_figure(f));
        }
    }
    s.push_str("</body>\n</html>\n");
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_table(t: &Table) -> String {
    let mut s = format!(
        "| {} |\n",
        t.header
            .iter()
            .map(|h| md_cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    s.push_str(&format!("|{}\n", "---|".repeat(t.header.len())));
    for r in &t.rows {
        s.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    s.push('\n');
    s
}

/// The report as Markdown; plots are embedded as PNG data URIs, so the file stands alone.
pub fn render_markdown(r: &Report) -> String {
    let mut s = format!("# {}\n\n{}\n\n", r.title, r.subtitle);
    for sec in &r.sections {
        s.push_str(&format!("## {}\n\n", sec.title));
        for l in &sec.lines {
            s.push_str(&format!("{l}\n\n"));
        }
        for t in &sec.tables {
            s.push_str(&md_table(t));
        }
        for f in &sec.figures {
            if f.png.is_empty() {
                s.push_str(&format!("*{}: no PNG version*\n\n", f.title));
                continue;
            }
            let data = base64::engine::general_purpose::STANDARD.encode(&f.png);
            s.push_str(&format!("![{}](data:image/png;base64,{data})\n\n", f.title));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::Section;
    use super::*;

    fn sample() -> Report {
        Report {
            title: "Model <x>".into(),
            subtitle: "demo".into(),
            sections: vec![Section {
                title: "Metrics".into(),
                lines: vec!["a & b".into()],
                tables: vec![Table { header: vec!["k".into(), "v".into()], rows: vec![vec!["auc".into(), "0.8".into()]] }],
                figures: vec![Figure {
                    title: "ROC".into(),
                    svg: "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"><text>ROC</text></svg>".into(),
                    png: vec![137, 80, 78, 71],
                }],
            }],
        }
    }

    #[test]
    fn html_is_self_contained_and_escaped() {
        let html = render_html(&sample());
        assert!(html.contains("<h1>Model &lt;x&gt;</h1>"));
        assert!(html.contains("<p>a &amp; b</p>"));
        assert!(html.contains("<svg width=\"10\"><text>ROC</text></svg>"));
        for external in [
            "http://", "https://", "<script", "<link", "url(", "@import", "src=",
        ] {
            assert!(!html.contains(external), "found {external}");
        }
    }

    #[test]
    fn markdown_embeds_png_data() {
        let md = render_markdown(&sample());
        assert!(md.contains("| auc | 0.8 |"));
        assert!(md.contains("![ROC](data:image/png;base64,iVBORw==)"));
    }
}
