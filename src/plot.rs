//! Shared plotting setup: the embedded font and chart helpers (line, bar, histogram) that write a
//! PNG and an SVG side by side, atomically, or return the SVG text for inline embedding.
//! Plotters' backend errors become `Error::Generic` text where they leave this module.

use std::ffi::OsString;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::error::{Error, Result};
use crate::output::write_atomic;

/// Formats an axis tick value.
type TickFormat<'a> = &'a dyn Fn(&f64) -> String;

/// Pixel size of a chart unless the spec says otherwise.
pub const DEFAULT_SIZE: (u32, u32) = (900, 600);

// The font ships in the binary: plotters' `ab_glyph` route needs nothing from the system.
static FONT_REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static FONT_BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");
static REGISTER: Once = Once::new();

/// Register the embedded DejaVu Sans as plotters' "sans-serif" (normal and bold), once per
/// process. Every helper here calls it; call it yourself before drawing with plotters directly.
pub fn ensure_font() {
    REGISTER.call_once(|| {
        // The bytes are a known-good TTF compiled in, so failure is a build defect.
        register_font("sans-serif", FontStyle::Normal, FONT_REGULAR)
            .unwrap_or_else(|_| panic!("embedded DejaVuSans.ttf is not a valid font"));
        register_font("sans-serif", FontStyle::Bold, FONT_BOLD)
            .unwrap_or_else(|_| panic!("embedded DejaVuSans-Bold.ttf is not a valid font"));
    });
}

/// Colours of successive series (matplotlib's tab10, first six).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
const BASELINE_COLOR: RGBColor = RGBColor(110, 110, 110);

/// Where the legend box goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LegendAt {
    UpperLeft,
    #[default]
    UpperRight,
    LowerLeft,
    LowerRight,
}

/// One named series of (x, y) points.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Draw a dot at each point as well as the line.
    pub markers: bool,
}

impl Series {
    /// A plain line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            markers: false,
        }
    }

    /// A line with a dot at each point.
    pub fn with_markers(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            markers: true,
        }
    }
}

/// A text label placed at data coordinates (drawn just above and right of the point).
#[derive(Debug, Clone)]
pub struct Annotation {
    pub x: f64,
    pub y: f64,
    pub text: String,
}

/// A line chart: several named series, an optional dashed baseline, optional point labels.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// A dashed grey reference line (diagonal, base rate, random targeting), with a legend entry.
    pub baseline: Option<Series>,
    /// Tick labels for a categorical x axis (dates, periods): point `x` values are then indices
    /// 0, 1, ... into this list. `None`: a numeric x axis.
    pub x_categories: Option<Vec<String>>,
    /// Axis ranges; default: the data's extent with a little padding.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub annotations: Vec<Annotation>,
    pub legend_at: LegendAt,
    /// Pixel size; default [`DEFAULT_SIZE`].
    pub size: Option<(u32, u32)>,
}

impl LineChart {
    /// An empty chart with its title and axis labels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }
}

/// One bar: category label and value.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// A bar chart over categories, vertical or horizontal, with bars growing from `origin`.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    pub title: String,
    /// Axis text for the category axis.
    pub category_label: String,
    /// Axis text for the value axis.
    pub value_label: String,
    /// Legend text of the bars.
    pub series_name: String,
    /// Bars in order: left to right, or top to bottom when horizontal.
    pub bars: Vec<Bar>,
    /// Categories on the y axis (long names such as feature names read better that way).
    pub horizontal: bool,
    /// Where bars start: 0 for counts, 1 for lift or odds ratios (bars below 1 point the other way).
    pub origin: f64,
    /// A dashed reference line across the value axis: (legend text, value).
    pub baseline: Option<(String, f64)>,
    /// Print each bar's value at its end.
    pub value_labels: bool,
    /// Value-axis range; default: the data, origin and baseline with padding.
    pub value_range: Option<(f64, f64)>,
    /// A logarithmic value axis (ratios: 0.5 and 2 sit equally far from 1); values, origin,
    /// baseline and range must then be positive.
    pub log_scale: bool,
    pub legend_at: LegendAt,
    /// Pixel size; default [`DEFAULT_SIZE`], taller for many horizontal bars.
    pub size: Option<(u32, u32)>,
}

/// Overlaid histograms of several named samples over the same bins.
#[derive(Debug, Clone, Default)]
pub struct HistogramChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// (legend text, values); values outside `range` are ignored.
    pub series: Vec<(String, Vec<f64>)>,
    /// Number of equal-width bins over `range`.
    pub bins: usize,
    pub range: (f64, f64),
    /// Show each series as shares of its own total (comparable shapes for unequal classes).
    pub normalize: bool,
    pub legend_at: LegendAt,
    pub size: Option<(u32, u32)>,
}

/// Draw a line chart into `<out_stem>.png` and `<out_stem>.svg`.
///
/// # Errors
/// `Error::Generic` for drawing failures, `Error::Io` for file failures; no file is left half
/// written.
pub fn line_chart(out_stem: &Path, spec: &LineChart) -> Result<()> {
    write_both(out_stem, spec)
}

/// The SVG text of a line chart, for inline embedding.
///
/// # Errors
/// `Error::Generic` for drawing failures.
pub fn line_chart_svg(spec: &LineChart) -> Result<String> {
    svg_string(spec)
}

/// Draw a bar chart into `<out_stem>.png` and `<out_stem>.svg`.
///
/// # Errors
/// As [`line_chart`].
pub fn bar_chart(out_stem: &Path, spec: &BarChart) -> Result<()> {
    write_both(out_stem, spec)
}

/// The SVG text of a bar chart.
///
/// # Errors
/// `Error::Generic` for drawing failures.
pub fn bar_chart_svg(spec: &BarChart) -> Result<String> {
    svg_string(spec)
}

/// Draw overlaid histograms into `<out_stem>.png` and `<out_stem>.svg`.
///
/// # Errors
/// As [`line_chart`].
pub fn histogram_chart(out_stem: &Path, spec: &HistogramChart) -> Result<()> {
    write_both(out_stem, spec)
}

/// The SVG text of overlaid histograms.
///
/// # Errors
/// `Error::Generic` for drawing failures.
pub fn histogram_chart_svg(spec: &HistogramChart) -> Result<String> {
    svg_string(spec)
}

/// The PNG bytes of a line chart, for embedding (drawn into a temporary folder and read back).
///
/// # Errors
/// `Error::Generic` for drawing failures, `Error::Io` for the temporary file.
pub fn line_chart_png(spec: &LineChart) -> Result<Vec<u8>> {
    png_bytes(spec)
}

/// The PNG bytes of a bar chart.
///
/// # Errors
/// As [`line_chart_png`].
pub fn bar_chart_png(spec: &BarChart) -> Result<Vec<u8>> {
    png_bytes(spec)
}

/// The PNG bytes of overlaid histograms.
///
/// # Errors
/// As [`line_chart_png`].
pub fn histogram_chart_png(spec: &HistogramChart) -> Result<Vec<u8>> {
    png_bytes(spec)
}

/// The two files a chart stem becomes: `<stem>.png`, `<stem>.svg`.
pub fn output_paths(out_stem: &Path) -> [PathBuf; 2] {
    [with_suffix(out_stem, ".png"), with_suffix(out_stem, ".svg")]
}

/// Anything the helpers can draw on any plotters backend.
pub trait Draw {
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draw on `root`; plotters' errors as text.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut s: OsString = stem.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Write `chart` as `<stem>.png` and `<stem>.svg`, each atomically.
///
/// # Errors
/// Drawing and I/O errors.
pub fn write_both<C: Draw>(out_stem: &Path, chart: &C) -> Result<()> {
    let [png, svg] = output_paths(out_stem);
    let text = svg_string(chart)?;
    write_png(&png, chart)?;
    write_atomic(&svg, |w| {
        w.write_all(text.as_bytes()).map_err(|e| Error::io(&svg, e))
    })
}

/// `chart` as PNG bytes.
///
/// # Errors
/// Drawing and I/O errors.
// The bitmap encoder writes only to paths, so the PNG goes through a temporary folder.
pub fn png_bytes<C: Draw>(chart: &C) -> Result<Vec<u8>> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let path = dir.path().join("chart.png");
    write_png(&path, chart)?;
    std::fs::read(&path).map_err(|e| Error::io(&path, e))
}

/// `chart` as SVG text.
///
/// # Errors
/// Drawing errors.
pub fn svg_string<C: Draw>(chart: &C) -> Result<String> {
    ensure_font();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, chart.size()).into_drawing_area();
        chart.draw(&root).map_err(Error::Generic)?;
        root.present().map_err(Error::generic)?;
    }
    Ok(text)
}

// The bitmap backend only writes to a path (the encoder picks the format from the extension), so
// it draws into a hidden `*.tmp.png` beside the target and the finished file is renamed over it.
fn write_png<C: Draw>(path: &Path, chart: &C) -> Result<()> {
    ensure_font();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{unique}.tmp.png", std::process::id()));
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, chart.size()).into_drawing_area();
        chart.draw(&root).map_err(Error::Generic)?;
        root.present().map_err(Error::generic)
    })();
    let result = drawn.and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Plotters results to text errors.
trait Txt<T> {
    fn txt(self) -> Result<T, String>;
}

impl<T, E: Display> Txt<T> for std::result::Result<T, E> {
    fn txt(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

fn title_font() -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, 24.0, FontStyle::Bold)
}

fn axis_font() -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, 17.0, FontStyle::Normal)
}

fn tick_font() -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, 14.0, FontStyle::Normal)
}

/// Tick-sized text anchored at `h`, `v` of its box.
fn anchored(h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from(tick_font()).pos(Pos::new(h, v))
}

fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn legend_position(at: LegendAt) -> SeriesLabelPosition {
    match at {
        LegendAt::UpperLeft => SeriesLabelPosition::UpperLeft,
        LegendAt::UpperRight => SeriesLabelPosition::UpperRight,
        LegendAt::LowerLeft => SeriesLabelPosition::LowerLeft,
        LegendAt::LowerRight => SeriesLabelPosition::LowerRight,
    }
}

/// Data extent with 4 % padding; a degenerate extent widens to +-0.5.
fn padded_extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    padded_extent_by(values, 0.04)
}

/// Data extent padded by `frac` of its width on both sides.
fn padded_extent_by(values: impl Iterator<Item = f64>, frac: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * frac;
    (lo - pad, hi + pad)
}

/// A numeric axis with exactly the given ticks (plotters' `WithKeyPoints` loses the float label
/// formatting that `configure_mesh` needs; every chart here sets its own formatter anyway).
#[derive(Clone)]
struct TickedAxis {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

fn ticked(lo: f64, hi: f64, ticks: Vec<f64>) -> TickedAxis {
    TickedAxis {
        inner: (lo..hi).into(),
        ticks,
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Bold ticks only: no light grid lines between them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// Tick positions for a numeric axis, plotters' own "nice" choice.
fn numeric_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let coord: RangedCoordf64 = (lo..hi).into();
    coord.key_points(max)
}

/// At most `max` evenly spaced category indices, always including the first.
fn category_ticks(n: usize, max: usize) -> Vec<f64> {
    let step = n.div_ceil(max.max(1)).max(1);
    (0..n).step_by(step).map(|i| i as f64).collect()
}

fn category_at(labels: &[String], x: f64) -> String {
    let i = x.round();
    if i < 0.0 || (x - i).abs() > 1e-6 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

/// Tick text for a numeric axis: short, without float noise.
fn fmt_tick(v: f64) -> String {
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

impl LineChart {
    /// The x axis (with its ticks) and the y range: given, or the data's extent.
    fn axes(&self) -> (TickedAxis, (f64, f64)) {
        let all = || {
            self.series
                .iter()
                .chain(&self.baseline)
                .flat_map(|s| s.points.iter())
        };
        let (x0, x1) = match (&self.x_range, &self.x_categories) {
            (Some(r), _) => *r,
            (None, Some(c)) => (-0.5, c.len().max(1) as f64 - 0.5),
            (None, None) => padded_extent(all().map(|p| p.0)),
        };
        let y = self
            .y_range
            .unwrap_or_else(|| padded_extent(all().map(|p| p.1)));
        let ticks = match &self.x_categories {
            Some(c) => category_ticks(c.len(), 12),
            None => numeric_ticks(x0, x1, 11),
        };
        (ticked(x0, x1, ticks), y)
    }

    /// Series (with markers), the dashed baseline and the point labels.
    fn draw_lines<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<TickedAxis, RangedCoordf64>>,
    ) -> Result<(), String> {
        for (i, s) in self.series.iter().enumerate() {
            let style = series_color(i).stroke_width(2);
            // Zero-length segments render as spikes in plotters' thick lines.
            let mut points = s.points.clone();
            points.dedup();
            chart
                .draw_series(LineSeries::new(points, style))
                .txt()?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            if s.markers {
                let fill = series_color(i).filled();
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, fill)))
                    .txt()?;
            }
        }
        if let Some(base) = &self.baseline {
            let style = BASELINE_COLOR.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    base.points.iter().copied(),
                    8,
                    6,
                    style,
                ))
                .txt()?
                .label(&base.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        }
        let labels = self.annotations.iter().map(|a| {
            // Above and left of the point, on a pale backdrop so crossing lines do not hide it.
            let width = 8 * a.text.chars().count() as i32 + 6;
            let backdrop = Rectangle::new([(-width - 4, -24), (-2, -5)], WHITE.mix(0.8).filled());
            let style = anchored(HPos::Right, VPos::Bottom);
            EmptyElement::at((a.x, a.y)) + backdrop + Text::new(a.text.clone(), (-5, -6), style)
        });
        chart.draw_series(labels).txt()?;
        Ok(())
    }
}

impl Draw for LineChart {
    fn size(&self) -> (u32, u32) {
        self.size.unwrap_or(DEFAULT_SIZE)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).txt()?;
        let (x_axis, (y0, y1)) = self.axes();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(75)
            .build_cartesian_2d(x_axis, y0..y1)
            .txt()?;
        let x_fmt = |x: &f64| match &self.x_categories {
            Some(c) => category_at(c, *x),
            None => fmt_tick(*x),
        };
        house_style(&mut chart.configure_mesh())
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&|y| fmt_tick(*y))
            .draw()
            .txt()?;
        self.draw_lines(&mut chart)?;
        if self.series.len() + usize::from(self.baseline.is_some()) > 1 {
            draw_legend(&mut chart, self.legend_at)?;
        }
        // The caller presents (writes) the drawing once.
        Ok(())
    }
}

/// The grid, axis titles and tick labels every chart shares.
fn house_style<'a, 'b, 'm, X, Y, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged,
    Y: Ranged,
    DB: DrawingBackend,
{
    mesh.axis_desc_style(axis_font())
        .label_style(tick_font())
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
}

fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: LegendAt,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(legend_position(at))
        .margin(12)
        .label_font(tick_font())
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()
        .txt()
}

/// Tick values 1, 2, 5 times powers of ten, as natural logs, inside `[lo, hi]` (natural logs).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let ticks: Vec<f64> = (-4..=4)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| (m * 10f64.powi(e)).ln()))
        .filter(|t| (lo..=hi).contains(t))
        .collect();
    if ticks.len() >= 2 {
        ticks
    } else {
        numeric_ticks(lo, hi, 6)
    }
}

impl BarChart {
    /// The chart with every value replaced by its natural log (drawn linearly, labelled with
    /// the original values); itself when the axis is linear.
    fn in_logs(&self) -> std::borrow::Cow<'_, BarChart> {
        if !self.log_scale {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut c = self.clone();
        c.bars.iter_mut().for_each(|b| b.value = b.value.ln());
        c.origin = c.origin.ln();
        c.baseline = c.baseline.map(|(name, v)| (name, v.ln()));
        c.value_range = c.value_range.map(|(a, b)| (a.ln(), b.ln()));
        std::borrow::Cow::Owned(c)
    }

    /// Text of a drawn value: the value itself, or exp of it on a log axis.
    fn value_text(&self, v: f64) -> String {
        fmt_tick(if self.log_scale { v.exp() } else { v })
    }

    fn value_extent(&self) -> (f64, f64) {
        self.value_range.unwrap_or_else(|| {
            let values = self.bars.iter().map(|b| b.value);
            let extra = [Some(self.origin), self.baseline.as_ref().map(|b| b.1)];
            // Room for the value printed beyond each bar end.
            let frac = if self.value_labels { 0.12 } else { 0.04 };
            let (lo0, hi0) =
                padded_extent_by(values.clone().chain(extra.into_iter().flatten()), frac);
            // No padding past the origin on a side that no bar reaches.
            let all_above = values.clone().all(|v| v >= self.origin);
            let all_below = values.clone().all(|v| v <= self.origin);
            let lo = if all_above { lo0.max(self.origin) } else { lo0 };
            let hi = if all_below { hi0.min(self.origin) } else { hi0 };
            if hi - lo < 1e-12 {
                return (lo0, hi0);
            }
            (lo, hi)
        })
    }

    fn longest_label(&self) -> usize {
        self.bars
            .iter()
            .map(|b| b.label.chars().count())
            .max()
            .unwrap_or(1)
    }
}

impl BarChart {
    /// Data coordinates of (category position, value): categories run along x, or along y when
    /// horizontal.
    fn xy(&self, cat: f64, value: f64) -> (f64, f64) {
        if self.horizontal {
            (value, cat)
        } else {
            (cat, value)
        }
    }

    /// Axis position of bar `i`: left to right, or top to bottom when horizontal.
    fn position(&self, i: usize) -> f64 {
        let n = self.bars.len().max(1);
        if self.horizontal {
            (n - 1 - i) as f64
        } else {
            i as f64
        }
    }

    /// The label of the bar at axis position `c`, empty between bars.
    fn category_text(&self, c: f64) -> String {
        let i = c.round();
        let n = self.bars.len();
        if i < 0.0 || i as usize >= n || (c - i).abs() > 1e-6 {
            return String::new();
        }
        let idx = if self.horizontal {
            n - 1 - i as usize
        } else {
            i as usize
        };
        self.bars[idx].label.clone()
    }
}

impl Draw for BarChart {
    fn size(&self) -> (u32, u32) {
        self.size.unwrap_or_else(|| {
            let (w, h) = DEFAULT_SIZE;
            if self.horizontal {
                (w, h.max(140 + 28 * self.bars.len() as u32))
            } else {
                (w, h)
            }
        })
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        self.in_logs().draw_values(root)
    }
}

impl BarChart {
    /// Draw with values as they are (already logs for a log axis).
    fn draw_values<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).txt()?;
        let n = self.bars.len().max(1);
        let (v0, v1) = self.value_extent();
        let cat_axis = ticked(-0.5, n as f64 - 0.5, category_ticks(n, n));
        let val_ticks = if self.log_scale {
            log_ticks(v0, v1)
        } else {
            numeric_ticks(v0, v1, 10)
        };
        let val_axis = ticked(v0, v1, val_ticks);
        let (x_axis, y_axis, x_desc, y_desc, cat_area) = if self.horizontal {
            let label_px = (self.longest_label() as u32 * 8 + 30).clamp(80, 400);
            (
                val_axis,
                cat_axis,
                &self.value_label,
                &self.category_label,
                label_px,
            )
        } else {
            (
                cat_axis,
                val_axis,
                &self.category_label,
                &self.value_label,
                75,
            )
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(cat_area)
            .build_cartesian_2d(x_axis, y_axis)
            .txt()?;
        let cat_fmt = |c: &f64| self.category_text(*c);
        let val_fmt = |v: &f64| self.value_text(*v);
        let (x_fmt, y_fmt): (TickFormat, TickFormat) = if self.horizontal {
            (&val_fmt, &cat_fmt)
        } else {
            (&cat_fmt, &val_fmt)
        };
        house_style(&mut chart.configure_mesh())
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(x_fmt)
            .y_label_formatter(y_fmt)
            .draw()
            .txt()?;
        self.draw_bars(&mut chart)?;
        if self.baseline.is_some() {
            draw_legend(&mut chart, self.legend_at)?;
        }
        // The caller presents (writes) the drawing once.
        Ok(())
    }
}

type BarContext<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickedAxis, TickedAxis>>;

impl BarChart {
    /// Bars, their value labels and the dashed baseline, each with its legend entry.
    fn draw_bars<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut BarContext<'a, DB>,
    ) -> Result<(), String> {
        let color = series_color(0);
        let half = 0.36;
        let bars = self.bars.iter().enumerate().map(|(i, b)| {
            let c = self.position(i);
            Rectangle::new(
                [self.xy(c - half, self.origin), self.xy(c + half, b.value)],
                color.filled(),
            )
        });
        chart
            .draw_series(bars)
            .txt()?
            .label(&self.series_name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled()));
        if self.value_labels {
            let texts = self.bars.iter().enumerate().map(|(i, b)| {
                let beyond = b.value >= self.origin;
                let (offset, style) = match (self.horizontal, beyond) {
                    (true, true) => ((6, 0), anchored(HPos::Left, VPos::Center)),
                    (true, false) => ((-6, 0), anchored(HPos::Right, VPos::Center)),
                    (false, true) => ((0, -6), anchored(HPos::Center, VPos::Bottom)),
                    (false, false) => ((0, 6), anchored(HPos::Center, VPos::Top)),
                };
                let at = self.xy(self.position(i), b.value);
                EmptyElement::at(at) + Text::new(self.value_text(b.value), offset, style)
            });
            chart.draw_series(texts).txt()?;
        }
        if let Some((name, v)) = &self.baseline {
            let style = BASELINE_COLOR.stroke_width(2);
            let n = self.bars.len().max(1) as f64;
            let pts = [self.xy(-0.5, *v), self.xy(n - 0.5, *v)];
            chart
                .draw_series(DashedLineSeries::new(pts, 8, 6, style))
                .txt()?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        }
        Ok(())
    }
}

impl HistogramChart {
    /// Per series, the height of each bin (counts or shares).
    fn heights(&self) -> Vec<Vec<f64>> {
        let bins = self.bins.max(1);
        let (lo, hi) = self.range;
        self.series
            .iter()
            .map(|(_, values)| {
                let mut h = vec![0.0; bins];
                let mut total = 0.0;
                for &v in values.iter().filter(|v| **v >= lo && **v <= hi) {
                    let b = (((v - lo) / (hi - lo)) * bins as f64).floor() as usize;
                    h[b.min(bins - 1)] += 1.0;
                    total += 1.0;
                }
                if self.normalize && total > 0.0 {
                    h.iter_mut().for_each(|x| *x /= total);
                }
                h
            })
            .collect()
    }
}

impl Draw for HistogramChart {
    fn size(&self) -> (u32, u32) {
        self.size.unwrap_or(DEFAULT_SIZE)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).txt()?;
        let heights = self.heights();
        let top = heights.iter().flatten().fold(0.0f64, |m, &v| m.max(v));
        let top = if top > 0.0 { top * 1.08 } else { 1.0 };
        let (lo, hi) = self.range;
        let width = (hi - lo) / self.bins.max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(75)
            .build_cartesian_2d(ticked(lo, hi, numeric_ticks(lo, hi, 11)), 0.0..top)
            .txt()?;
        house_style(&mut chart.configure_mesh())
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|x| fmt_tick(*x))
            .y_label_formatter(&|y| fmt_tick(*y))
            .draw()
            .txt()?;
        for (i, ((name, _), h)) in self.series.iter().zip(&heights).enumerate() {
            let color = series_color(i);
            let rects = h.iter().enumerate().map(|(b, &v)| {
                let x = lo + b as f64 * width;
                Rectangle::new([(x, 0.0), (x + width, v)], color.mix(0.4).filled())
            });
            chart
                .draw_series(rects)
                .txt()?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.mix(0.6).filled())
                });
            // An outline keeps each class's shape readable where the fills overlap.
            let outline = h.iter().enumerate().flat_map(|(b, &v)| {
                let x = lo + b as f64 * width;
                [(x, v), (x + width, v)]
            });
            chart
                .draw_series(LineSeries::new(outline, color.stroke_width(2)))
                .txt()?;
        }
        if self.series.len() > 1 {
            draw_legend(&mut chart, self.legend_at)?;
        }
        // The caller presents (writes) the drawing once.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height from a PNG's IHDR chunk, after checking the signature.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        (w, h)
    }

    fn two_series_chart() -> LineChart {
        let mut c = LineChart::new("Retention by month", "Month", "Retained share");
        c.series.push(Series::with_markers(
            "Plan A",
            vec![(0.0, 0.9), (1.0, 0.85), (2.0, 0.8)],
        ));
        c.series.push(Series::line(
            "Plan B",
            vec![(0.0, 0.7), (1.0, 0.72), (2.0, 0.69)],
        ));
        c.baseline = Some(Series::line("Target", vec![(0.0, 0.75), (2.0, 0.75)]));
        c.x_categories = Some(vec!["2024-01".into(), "2024-02".into(), "2024-03".into()]);
        c
    }

    #[test]
    fn line_chart_writes_png_and_svg_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("plots").join("kpi.v1");
        line_chart(&stem, &two_series_chart()).unwrap();
        let png = std::fs::read(dir.path().join("plots/kpi.v1.png")).unwrap();
        assert_eq!(png_size(&png), DEFAULT_SIZE);
        assert!(
            png.len() > 5_000,
            "PNG suspiciously small: {} bytes",
            png.len()
        );
        let svg = std::fs::read_to_string(dir.path().join("plots/kpi.v1.svg")).unwrap();
        assert!(svg.trim_start().starts_with("<svg") && svg.contains("</svg>"));
        for text in [
            "Retention by month",
            "Plan A",
            "Plan B",
            "Target",
            "2024-02",
            "Month",
        ] {
            assert!(svg.contains(text), "SVG lacks {text:?}");
        }
        let names: Vec<_> = std::fs::read_dir(dir.path().join("plots"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "temporary files left behind: {names:?}");
    }

    #[test]
    fn svg_string_matches_the_svg_file() {
        let dir = tempfile::tempdir().unwrap();
        let spec = two_series_chart();
        line_chart(&dir.path().join("c"), &spec).unwrap();
        let file = std::fs::read_to_string(dir.path().join("c.svg")).unwrap();
        assert_eq!(line_chart_svg(&spec).unwrap(), file);
    }

    #[test]
    fn horizontal_bar_chart_grows_with_the_number_of_bars() {
        let dir = tempfile::tempdir().unwrap();
        let bars = (0..40)
            .map(|i| Bar {
                label: format!("feature_{i}"),
                value: 0.5 + i as f64 / 20.0,
            })
            .collect();
        let spec = BarChart {
            title: "Odds ratios".into(),
            bars,
            horizontal: true,
            origin: 1.0,
            baseline: Some(("No effect".into(), 1.0)),
            ..Default::default()
        };
        bar_chart(&dir.path().join("bars"), &spec).unwrap();
        let (_, h) = png_size(&std::fs::read(dir.path().join("bars.png")).unwrap());
        assert!(h > DEFAULT_SIZE.1);
        assert!(std::fs::read_to_string(dir.path().join("bars.svg"))
            .unwrap()
            .contains("feature_39"));
    }

    #[test]
    fn log_axis_labels_ratios_and_places_halves_and_doubles_alike() {
        let spec = BarChart {
            title: "Odds ratios".into(),
            bars: vec![
                Bar {
                    label: "up".into(),
                    value: 2.0,
                },
                Bar {
                    label: "down".into(),
                    value: 0.5,
                },
            ],
            horizontal: true,
            origin: 1.0,
            log_scale: true,
            value_labels: true,
            ..Default::default()
        };
        let logs = spec.in_logs();
        assert!((logs.bars[0].value + logs.bars[1].value).abs() < 1e-12);
        assert_eq!(logs.origin, 0.0);
        let svg = bar_chart_svg(&spec).unwrap();
        // Plotters writes each text element's content on a line of its own.
        for label in ["\n0.5\n", "\n2\n", "\n1\n"] {
            assert!(svg.contains(label), "no tick or value label {label:?}");
        }
        let ticks: Vec<String> = log_ticks(0.45f64.ln(), 25f64.ln())
            .iter()
            .map(|t| fmt_tick(t.exp()))
            .collect();
        assert_eq!(ticks, ["0.5", "1", "2", "5", "10", "20"]);
    }

    #[test]
    fn histogram_shares_sum_to_one_per_series() {
        let spec = HistogramChart {
            series: vec![
                ("a".into(), vec![0.0, 0.05, 0.5, 1.0]),
                ("b".into(), vec![0.99; 3]),
            ],
            bins: 10,
            range: (0.0, 1.0),
            normalize: true,
            ..Default::default()
        };
        for h in spec.heights() {
            assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        assert_eq!(spec.heights()[0][9], 0.25, "1.0 falls in the last bin");
    }

    #[test]
    fn category_ticks_are_thinned_but_keep_the_first() {
        assert_eq!(category_ticks(3, 12), vec![0.0, 1.0, 2.0]);
        let t = category_ticks(36, 12);
        assert_eq!(t.len(), 12);
        assert_eq!(t[0], 0.0);
        assert_eq!(category_at(&["a".into(), "b".into()], 1.0), "b");
        assert_eq!(category_at(&["a".into(), "b".into()], 0.5), "");
    }
}
