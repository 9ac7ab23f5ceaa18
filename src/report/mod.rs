//! The notebook-style export of a model for its two readers: a summary first, then a part for
//! the customer success lead and one for the data scientist. One self-contained HTML file (plots
//! inline as SVG, no scripts, styles or fonts from outside) and a Markdown twin whose plots are
//! PNG files in a folder beside it.

pub mod build;
pub mod distributions;
mod holdout;
pub mod outreach;
mod render;
pub mod scores;
pub mod summary;

use std::path::{Path, PathBuf};

pub use build::{build_report, titles, ReportData};
pub use render::{figure_files, render_html, render_markdown};
pub use summary::{Addendum, LaterSections};

use crate::error::{Error, Result};
use crate::output::write_atomic;

/// A plot in the report: title, inline SVG text and PNG bytes.
#[derive(Debug, Clone, Default)]
pub struct Figure {
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// A table of text cells; numeric columns are right-aligned when rendered.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Fold the table away under this summary line (HTML `<details>`); `None`: shown open.
    pub fold: Option<String>,
}

impl Table {
    /// An open table.
    pub fn new(header: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        Table {
            header,
            rows,
            fold: None,
        }
    }
}

/// One report section: prose lines, tables and figures, in that order. An empty title draws no
/// heading (a part's opening text).
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    pub lines: Vec<String>,
    pub tables: Vec<Table>,
    pub figures: Vec<Figure>,
}

/// A part of the report for one reader, with its anchor id (`summary`, `cs-lead`,
/// `data-scientist`).
#[derive(Debug, Clone, Default)]
pub struct Part {
    pub id: String,
    pub title: String,
    pub sections: Vec<Section>,
}

/// Everything the report shows.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    pub parts: Vec<Part>,
}

impl Report {
    /// Every section, in report order.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.parts.iter().flat_map(|p| p.sections.iter())
    }
}

/// A path as the report shows it: relative paths as given, absolute ones relative to `base`
/// (the working folder) when inside it, otherwise only the file name, so the report never carries
/// a machine's temporary or home folders.
pub fn shown_path(path: &Path, base: &Path) -> String {
    if path.is_relative() {
        return path.display().to_string();
    }
    // An unknown working folder (empty `base`) would strip nothing: then only the name.
    match path.strip_prefix(base) {
        Ok(rel) if base.is_absolute() && !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
    }
}

/// The folder beside `<name>.md` that holds its PNG files: `<name>_files`.
pub fn files_dir_name(name: &str) -> String {
    format!("{name}_files")
}

/// Write `<out>/<name>.html`, `<out>/<name>.md` and the Markdown's PNGs in `<out>/<name>_files/`;
/// returns the HTML and Markdown paths. Each file is written atomically and the PNG folder is
/// assembled under a temporary name and swapped in whole, so a failure leaves no half-written
/// file (and no PNGs of an older report mixed with newer ones).
///
/// # Errors
/// I/O errors, named by path.
pub fn write_report(report: &Report, out: &Path, name: &str) -> Result<(PathBuf, PathBuf)> {
    let html = out.join(format!("{name}.html"));
    let md = out.join(format!("{name}.md"));
    let files = files_dir_name(name);
    let html_text = render_html(report);
    let md_text = render_markdown(report, &files);
    write_png_folder(report, &out.join(&files))?;
    write_text(&md, &md_text)?;
    write_text(&html, &html_text)?;
    Ok((html, md))
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| {
        w.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
    })
}

/// The report's PNGs into a fresh hidden folder beside `dir`, then renamed to `dir` (an older
/// folder moved aside first and removed after).
fn write_png_folder(report: &Report, dir: &Path) -> Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let stem = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    // Removed on drop unless renamed into place.
    let staged = tempfile::Builder::new()
        .prefix(&format!(".{stem}.tmp-"))
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    for (file, png) in figure_files(report) {
        let path = staged.path().join(&file);
        std::fs::write(&path, png).map_err(|e| Error::io(&path, e))?;
    }
    let old = parent.join(format!(".{stem}.old-{}", std::process::id()));
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
    }
    if let Err(e) = std::fs::rename(staged.path(), dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        return Err(Error::io(dir, e));
    }
    if had_old {
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_figure() -> Report {
        Report {
            title: "t".into(),
            parts: vec![Part {
                id: "p".into(),
                title: "P".into(),
                sections: vec![Section {
                    title: "S".into(),
                    figures: vec![Figure {
                        title: "ROC curve".into(),
                        svg: "<svg></svg>".into(),
                        png: b"\x89PNG fake".to_vec(),
                    }],
                    ..Default::default()
                }],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn paths_are_shown_relative_or_by_name_only() {
        let base = Path::new("/work/here");
        assert_eq!(shown_path(Path::new("data/x.csv"), base), "data/x.csv");
        assert_eq!(shown_path(Path::new("/work/here/a/b.csv"), base), "a/b.csv");
        assert_eq!(
            shown_path(Path::new("/tmp/demo/models/m/latest_scores.csv"), base),
            "latest_scores.csv"
        );
        assert_eq!(shown_path(Path::new("/tmp/x.csv"), Path::new("")), "x.csv");
    }

    #[test]
    fn markdown_links_png_files_written_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let (_, md) = write_report(&one_figure(), dir.path(), "m1").unwrap();
        let text = std::fs::read_to_string(md).unwrap();
        assert!(
            text.contains("![ROC curve](m1_files/01-roc-curve.png)"),
            "{text}"
        );
        assert!(!text.contains("base64"));
        let png = std::fs::read(dir.path().join("m1_files/01-roc-curve.png")).unwrap();
        assert_eq!(png, b"\x89PNG fake");
        // A rerun replaces the folder whole and leaves no staging folders behind.
        write_report(&one_figure(), dir.path(), "m1").unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["m1.html", "m1.md", "m1_files"]);
    }

    #[test]
    fn a_failed_write_leaves_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        // The HTML's place is taken by a folder: the write fails after the Markdown.
        std::fs::create_dir(dir.path().join("m1.html")).unwrap();
        let err = write_report(&one_figure(), dir.path(), "m1").unwrap_err();
        assert!(err.to_string().contains("m1.html"), "{err}");
        let hidden: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "temporary files left: {hidden:?}");
        assert!(std::fs::metadata(dir.path().join("m1.html"))
            .unwrap()
            .is_dir());
    }
}
