//! The notebook-style export of a model: one self-contained HTML file (plots inline as SVG, no
//! scripts, styles or fonts from outside) and a Markdown twin (plots as embedded PNG data).

pub mod build;
pub mod distributions;
mod render;
pub mod scores;

use std::path::{Path, PathBuf};

pub use build::{build_report, titles, ReportData};
pub use render::{render_html, render_markdown};

use crate::error::Result;
use crate::output::write_atomic;

/// A plot in the report: title, inline SVG text and PNG bytes.
#[derive(Debug, Clone, Default)]
pub struct Figure {
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// A titled table of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One report section: prose lines, tables and figures, in that order.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    pub lines: Vec<String>,
    pub tables: Vec<Table>,
    pub figures: Vec<Figure>,
}

/// Everything the report shows.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
}

/// Write `<out>/<name>.html` and `<out>/<name>.md` atomically; returns both paths.
///
/// # Errors
/// I/O errors.
pub fn write_report(report: &Report, out: &Path, name: &str) -> Result<(PathBuf, PathBuf)> {
    let html = out.join(format!("{name}.html"));
    let md = out.join(format!("{name}.md"));
    let html_text = render_html(report);
    let md_text = render_markdown(report);
    write_atomic(&html, |w| {
        w.write_all(html_text.as_bytes())
            .map_err(|e| crate::Error::io(&html, e))
    })?;
    write_atomic(&md, |w| {
        w.write_all(md_text.as_bytes())
            .map_err(|e| crate::Error::io(&md, e))
    })?;
    Ok((html, md))
}
