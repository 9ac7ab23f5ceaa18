//! HTML and Markdown rendering of a [`Report`](super::Report): parts as `<section>`s with their
//! ids, numeric columns right-aligned and text left-aligned, long tables folded in `<details>`.

use super::{Figure, Part, Report, Section, Table};

/// Escape text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#222}\
h1{border-bottom:2px solid #444;margin-bottom:0.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}h3{margin-top:1.6em}\
header p{margin-top:0.2em;color:#555}#summary{background:#f6f8fa;border:1px solid #d0d7de;padding:0.2em 1em 0.5em}#summary h2{margin-top:0.5em}\
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\
th{background:#f0f0f0}.num{text-align:right;font-variant-numeric:tabular-nums}\
summary{cursor:pointer;margin:0.5em 0}.scroll{overflow-x:auto}\
figure{display:inline-block;margin:0.5em;vertical-align:top}figcaption{font-weight:bold;text-align:center}\
svg{max-width:100%;height:auto}";

/// Whether a cell reads as a number: `0.81`, `-3`, `12.5 %`, `0.7*`, `1.2e-4`.
fn is_number(cell: &str) -> bool {
    let c = cell.trim().trim_end_matches(['%', '*']).trim_end();
    !c.is_empty() && c.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Per column: right-align it (every filled cell but `n/a` is a number, and there is one).
pub(crate) fn numeric_columns(t: &Table) -> Vec<bool> {
    (0..t.header.len())
        .map(|j| {
            let cells = || {
                t.rows
                    .iter()
                    .filter_map(move |r| r.get(j))
                    .map(|c| c.trim())
                    .filter(|c| !c.is_empty() && *c != "n/a")
            };
            cells().next().is_some() && cells().all(is_number)
        })
        .collect()
}

/// Inline an SVG document: drop the XML prolog and namespace declarations (implicit in HTML).
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..]
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "", 1)
}

fn html_cell(tag: &str, text: &str, numeric: bool) -> String {
    let class = if numeric { " class=\"num\"" } else { "" };
    format!("<{tag}{class}>{}</{tag}>", esc(text))
}

fn html_table(t: &Table) -> String {
    let numeric = numeric_columns(t);
    let row = |tag: &str, cells: &[String]| {
        let inner: String = cells
            .iter()
            .enumerate()
            .map(|(j, c)| html_cell(tag, c, numeric.get(j).copied().unwrap_or(false)))
            .collect();
        format!("<tr>{inner}</tr>\n")
    };
    // Wide tables (the list's reasons) scroll inside the page instead of widening it.
    let mut s = String::from("<div class=\"scroll\"><table>\n");
    s.push_str(&row("th", &t.header));
    for r in &t.rows {
        s.push_str(&row("td", r));
    }
    s.push_str("</table></div>\n");
    match &t.fold {
        Some(summary) => format!(
            "<details>\n<summary>{}</summary>\n{s}</details>\n",
            esc(summary)
        ),
        None => s,
    }
}

fn html_figure(f: &Figure) -> String {
    format!(
        "<figure>{}<figcaption>{}</figcaption></figure>\n",
        inline_svg(&f.svg),
        esc(&f.title)
    )
}

fn html_section(sec: &Section) -> String {
    let mut s = String::new();
    if !sec.title.is_empty() {
        s.push_str(&format!("<h3>{}</h3>\n", esc(&sec.title)));
    }
    for l in &sec.lines {
        s.push_str(&format!("<p>{}</p>\n", esc(l)));
    }
    for t in &sec.tables {
        s.push_str(&html_table(t));
    }
    for f in &sec.figures {
        s.push_str(&html_figure(f));
    }
    s
}

fn html_part(p: &Part) -> String {
    let mut s = format!(
        "<section id=\"{}\">\n<h2>{}</h2>\n",
        esc(&p.id),
        esc(&p.title)
    );
    for sec in &p.sections {
        s.push_str(&html_section(sec));
    }
    s.push_str("</section>\n");
    s
}

/// The report as one self-contained HTML page.
pub fn render_html(r: &Report) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n<p>{}</p>\n</header>\n",
        esc(&r.title),
        esc(&r.title),
        esc(&r.subtitle)
    );
    for p in &r.parts {
        s.push_str(&html_part(p));
    }
    s.push_str("</body>\n</html>\n");
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_table(t: &Table) -> String {
    let numeric = numeric_columns(t);
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut s = line(&t.header);
    let rule: String = numeric
        .iter()
        .map(|&n| if n { "---:|" } else { ":---|" })
        .collect();
    s.push_str(&format!("|{rule}\n"));
    for r in &t.rows {
        s.push_str(&line(r));
    }
    s.push('\n');
    match &t.fold {
        // GitHub and most renderers show Markdown inside <details> when blank lines surround it.
        Some(summary) => format!(
            "<details>\n<summary>{}</summary>\n\n{s}</details>\n\n",
            esc(summary)
        ),
        None => s,
    }
}

/// A file name for the `i`-th figure (from 1): `07-lift-by-decile.png`.
fn png_name(i: usize, title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(40).collect();
    format!("{i:02}-{}.png", slug.trim_end_matches('-'))
}

/// Every figure that has PNG bytes, with the file name the Markdown links it by, in report
/// order.
pub fn figure_files(r: &Report) -> Vec<(String, &[u8])> {
    r.sections()
        .flat_map(|s| s.figures.iter())
        .filter(|f| !f.png.is_empty())
        .enumerate()
        .map(|(i, f)| (png_name(i + 1, &f.title), f.png.as_slice()))
        .collect()
}

fn md_section(sec: &Section, files: &str, next: &mut usize) -> String {
    let mut s = String::new();
    if !sec.title.is_empty() {
        s.push_str(&format!("### {}\n\n", sec.title));
    }
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
        *next += 1;
        let file = png_name(*next, &f.title);
        s.push_str(&format!("![{}]({files}/{file})\n\n", f.title));
    }
    s
}

/// The report as Markdown; plots are links to PNG files in the folder `files` beside it (see
/// [`figure_files`] for their names).
pub fn render_markdown(r: &Report, files: &str) -> String {
    let mut s = format!("# {}\n\n{}\n\n", r.title, r.subtitle);
    let mut next = 0;
    for p in &r.parts {
        s.push_str(&format!("## {}\n\n", p.title));
        for sec in &p.sections {
            s.push_str(&md_section(sec, files, &mut next));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            title: "Model <x>".into(),
            subtitle: "demo".into(),
            parts: vec![Part {
                id: "data-scientist".into(),
                title: "For the data scientist".into(),
                sections: vec![Section {
                    title: "Metrics".into(),
                    lines: vec!["a & b".into()],
                    tables: vec![Table::new(
                        vec!["k".into(), "v".into()],
                        vec![vec!["auc".into(), "0.8".into()], vec!["lift".into(), "n/a".into()]],
                    )],
                    figures: vec![Figure {
                        title: "ROC".into(),
                        svg: "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"><text>ROC</text></svg>".into(),
                        png: vec![137, 80, 78, 71],
                    }],
                }],
            }],
        }
    }

    #[test]
    fn html_is_self_contained_and_escaped() {
        let html = render_html(&sample());
        assert!(html.contains("<h1>Model &lt;x&gt;</h1>"));
        assert!(html.contains("<section id=\"data-scientist\">\n<h2>For the data scientist</h2>"));
        assert!(html.contains("<p>a &amp; b</p>"));
        assert!(html.contains("<svg width=\"10\"><text>ROC</text></svg>"));
        for external in [
            "http://", "https://", "<script", "<link", "url(", "@import", "src=",
        ] {
            assert!(!html.contains(external), "found {external}");
        }
    }

    #[test]
    fn numbers_are_right_aligned_and_text_left() {
        let html = render_html(&sample());
        assert!(html.contains("<tr><th>k</th><th class=\"num\">v</th></tr>"));
        assert!(html.contains("<tr><td>auc</td><td class=\"num\">0.8</td></tr>"));
        let t = Table::new(
            vec!["a".into(), "b".into(), "c".into()],
            vec![vec!["high".into(), "12.5 %".into(), "0.71*".into()]],
        );
        assert_eq!(numeric_columns(&t), [false, true, true]);
        let md = md_table(&t);
        assert!(md.contains("|:---|---:|---:|"), "{md}");
    }

    #[test]
    fn folded_tables_sit_in_details() {
        let mut t = Table::new(vec!["m".into()], vec![vec!["2024-01-01".into()]]);
        t.fold = Some("Monthly table (1 row)".into());
        let html = html_table(&t);
        assert!(html.starts_with(
            "<details>\n<summary>Monthly table (1 row)</summary>\n<div class=\"scroll\"><table>"
        ));
        assert!(html.ends_with("</table></div>\n</details>\n"));
    }

    #[test]
    fn markdown_links_png_files() {
        let md = render_markdown(&sample(), "m_files");
        assert!(md.contains("| auc | 0.8 |"));
        assert!(md.contains("![ROC](m_files/01-roc.png)"));
        assert_eq!(figure_files(&sample())[0].0, "01-roc.png");
        assert_eq!(
            png_name(3, "Lift by decile (top 10 %)"),
            "03-lift-by-decile-top-10.png"
        );
    }
}
