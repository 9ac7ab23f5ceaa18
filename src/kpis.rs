//! Retention KPIs per calendar period: customers at the start (S), new (N), lost, at the end
//! (E = S + N - lost), churn rate = lost / S x 100 and CRR = (E - N) / S x 100.

use std::path::Path;

use serde::Serialize;

use crate::data::history::Customers;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::plot::{line_chart, LegendAt, LineChart, Series};
use crate::time::{self, Day, Ts};
use crate::util::fmt_f64;

/// Calendar period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Quarter,
}

impl Period {
    fn start_of(self, day: Day) -> Day {
        match self {
            Period::Month => time::month_start(day),
            Period::Quarter => time::quarter_start(day),
        }
    }

    fn months(self) -> i32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
        }
    }
}

/// One period's KPIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodKpis {
    pub period_start: Day,
    pub customers_start: usize,
    pub new: usize,
    pub lost: usize,
    pub customers_end: usize,
    /// `None` when `customers_start` is 0.
    pub churn_rate_pct: Option<f64>,
    /// `None` when `customers_start` is 0.
    pub crr_pct: Option<f64>,
}

/// The CSV header, exactly.
pub const KPI_COLUMNS: [&str; 7] = [
    "period_start",
    "customers_start",
    "new",
    "lost",
    "customers_end",
    "churn_rate_pct",
    "crr_pct",
];

/// KPIs for every period from the first signup's to the one holding `last` (the end of the data).
///
/// # Errors
/// No customers.
pub fn retention_kpis(customers: &Customers, period: Period, last: Ts) -> Result<Vec<PeriodKpis>> {
    let first = *customers
        .signup
        .iter()
        .min()
        .ok_or_else(|| Error::EmptyTable {
            table: "customers".into(),
            reason: "no customers to compute KPIs for".into(),
        })?;
    let mut signups = customers.signup.clone();
    signups.sort_unstable();
    let mut churns: Vec<Day> = customers.churned_at.iter().flatten().copied().collect();
    churns.sort_unstable();
    let before = |v: &[Day], d: Day| v.partition_point(|&x| x < d);
    let last_day = time::day_of_ts(last);
    let mut out = Vec::new();
    let mut start = period.start_of(first);
    while start <= last_day {
        let end = time::add_months(start, period.months());
        let s = before(&signups, start) - before(&churns, start);
        let n = before(&signups, end) - before(&signups, start);
        let lost = before(&churns, end) - before(&churns, start);
        let e = s + n - lost;
        let pct = |x: f64| (s > 0).then(|| x / s as f64 * 100.0);
        out.push(PeriodKpis {
            period_start: start,
            customers_start: s,
            new: n,
            lost,
            customers_end: e,
            churn_rate_pct: pct(lost as f64),
            crr_pct: pct(e as f64 - n as f64),
        });
        start = end;
    }
    Ok(out)
}

/// A rate on screen: 2 decimals (files keep full precision).
fn fmt_pct(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// A rate in a file: full precision (the shortest text that reads back as the same number).
fn full_pct(x: Option<f64>) -> String {
    x.map(fmt_f64).unwrap_or_default()
}

/// Write the KPIs as CSV with exactly [`KPI_COLUMNS`], atomically.
///
/// # Errors
/// I/O errors.
pub fn write_kpis_csv(rows: &[PeriodKpis], path: &Path) -> Result<()> {
    write_atomic(path, |w| {
        let io = |e| Error::io(path, e);
        writeln!(w, "{}", KPI_COLUMNS.join(",")).map_err(io)?;
        for r in rows {
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                time::format_day(r.period_start),
                r.customers_start,
                r.new,
                r.lost,
                r.customers_end,
                full_pct(r.churn_rate_pct),
                full_pct(r.crr_pct)
            )
            .map_err(io)?;
        }
        Ok(())
    })
}

/// The KPIs as an aligned text table.
pub fn format_table(rows: &[PeriodKpis]) -> String {
    let mut s = format!(
        "{:<12} {:>15} {:>8} {:>8} {:>13} {:>14} {:>8}\n",
        KPI_COLUMNS[0],
        KPI_COLUMNS[1],
        KPI_COLUMNS[2],
        KPI_COLUMNS[3],
        KPI_COLUMNS[4],
        KPI_COLUMNS[5],
        KPI_COLUMNS[6]
    );
    for r in rows {
        s.push_str(&format!(
            "{:<12} {:>15} {:>8} {:>8} {:>13} {:>14} {:>8}\n",
            time::format_day(r.period_start),
            r.customers_start,
            r.new,
            r.lost,
            r.customers_end,
            fmt_pct(r.churn_rate_pct),
            fmt_pct(r.crr_pct)
        ));
    }
    s
}

/// The chart of the churn rate per period on its own scale (periods with no starting customers
/// are gaps). CRR as defined is 100 - churn rate, so it is in the table, not drawn twice.
pub fn kpi_chart(rows: &[PeriodKpis]) -> LineChart {
    let mut chart = LineChart::new(
        "Churn rate per period (CRR = 100 - churn rate)",
        "period start",
        "churn rate, % of customers at the start",
    );
    chart.series = vec![Series::with_markers(
        "churn rate % (lost / S)",
        period_points(rows, |r| r.churn_rate_pct),
    )];
    chart.x_categories = Some(period_names(rows));
    let hi = rows
        .iter()
        .filter_map(|r| r.churn_rate_pct)
        .fold(0.0f64, f64::max);
    // Headroom above the data for the legend, so it never hides the latest periods.
    chart.y_range = Some((0.0, (hi * 1.3).max(1.0)));
    chart.legend_at = LegendAt::UpperRight;
    chart
}

/// The customer counts behind the rates: at the start (S), new (N) and lost per period.
pub fn customers_chart(rows: &[PeriodKpis]) -> LineChart {
    let mut chart = LineChart::new("Customers per period", "period start", "customers");
    let count = |f: fn(&PeriodKpis) -> u64| period_points(rows, move |r| Some(f(r) as f64));
    chart.series = vec![
        Series::with_markers("at the start (S)", count(|r| r.customers_start as u64)),
        Series::with_markers("new (N)", count(|r| r.new as u64)),
        Series::with_markers("lost", count(|r| r.lost as u64)),
    ];
    chart.x_categories = Some(period_names(rows));
    let hi = rows
        .iter()
        .map(|r| r.customers_start.max(r.new) as f64)
        .fold(0.0, f64::max);
    chart.y_range = Some((0.0, (hi * 1.3).max(1.0)));
    chart.legend_at = LegendAt::UpperLeft;
    chart
}

fn period_points(rows: &[PeriodKpis], f: impl Fn(&PeriodKpis) -> Option<f64>) -> Vec<(f64, f64)> {
    rows.iter()
        .enumerate()
        .filter_map(|(i, r)| f(r).map(|v| (i as f64, v)))
        .collect()
}

/// Periods start on the 1st: the month names them.
fn period_names(rows: &[PeriodKpis]) -> Vec<String> {
    rows.iter()
        .map(|r| time::format_day(r.period_start)[..7].to_string())
        .collect()
}

/// The churn-rate chart as `<stem>.png` and `<stem>.svg`, and the customer counts as
/// `<stem>_customers.png` and `.svg`.
///
/// # Errors
/// Plotting and I/O errors.
pub fn plot_kpis(rows: &[PeriodKpis], stem: &Path) -> Result<()> {
    line_chart(stem, &kpi_chart(rows))?;
    let mut customers = stem.as_os_str().to_owned();
    customers.push("_customers");
    line_chart(Path::new(&customers), &customers_chart(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        time::parse_day(s, None).unwrap()
    }

    fn customers(rows: &[(&str, Option<&str>)]) -> Customers {
        Customers {
            ids: (0..rows.len()).map(|i| i.to_string()).collect(),
            signup: rows.iter().map(|r| d(r.0)).collect(),
            churned_at: rows.iter().map(|r| r.1.map(d)).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn files_keep_full_precision_the_screen_rounds() {
        let rows = [PeriodKpis {
            period_start: d("2025-01-01"),
            customers_start: 21,
            new: 0,
            lost: 1,
            customers_end: 20,
            churn_rate_pct: Some(100.0 / 21.0),
            crr_pct: Some(2000.0 / 21.0),
        }];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kpis.csv");
        write_kpis_csv(&rows, &path).unwrap();
        let csv = std::fs::read_to_string(&path).unwrap();
        assert!(
            csv.contains(",4.761904761904762,95.23809523809524"),
            "{csv}"
        );
        assert!(format_table(&rows).contains("4.76"));
    }

    #[test]
    fn counts_start_new_lost_and_rates_per_month() {
        let c = customers(&[
            ("2025-01-05", None),
            ("2025-01-20", Some("2025-02-10")),
            ("2025-02-03", Some("2025-02-25")), // joins and leaves in February
            ("2025-02-14", None),
            ("2025-03-01", Some("2025-03-02")),
        ]);
        let k = retention_kpis(&c, Period::Month, time::day_start(d("2025-03-15"))).unwrap();
        assert_eq!(k.len(), 3);
        // January: S=0 (rates empty), N=2.
        assert_eq!(
            (
                k[0].customers_start,
                k[0].new,
                k[0].lost,
                k[0].customers_end
            ),
            (0, 2, 0, 2)
        );
        assert_eq!(k[0].churn_rate_pct, None);
        assert_eq!(k[0].crr_pct, None);
        // February: S=2, N=2, lost=2 (one old, one new), E=2.
        assert_eq!(
            (
                k[1].customers_start,
                k[1].new,
                k[1].lost,
                k[1].customers_end
            ),
            (2, 2, 2, 2)
        );
        assert!((k[1].churn_rate_pct.unwrap() - 100.0).abs() < 1e-9);
        assert!((k[1].crr_pct.unwrap() - 0.0).abs() < 1e-9);
        // March: S=2, N=1, lost=1, E=2: churn 50 %, CRR (2-1)/2 = 50 %.
        assert_eq!(
            (
                k[2].customers_start,
                k[2].new,
                k[2].lost,
                k[2].customers_end
            ),
            (2, 1, 1, 2)
        );
        assert!((k[2].churn_rate_pct.unwrap() - 50.0).abs() < 1e-9);
        assert!((k[2].crr_pct.unwrap() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn crr_can_be_negative_when_new_customers_churn_out_the_base() {
        // S=1 (joins Jan), Feb: 3 new, 1 old + 2 new lost -> E = 1+3-3 = 1, CRR = (1-3)/1 = -200 %.
        let c = customers(&[
            ("2025-01-05", Some("2025-02-02")),
            ("2025-02-01", Some("2025-02-05")),
            ("2025-02-01", Some("2025-02-06")),
            ("2025-02-01", None),
        ]);
        let k = retention_kpis(&c, Period::Month, time::day_start(d("2025-02-20"))).unwrap();
        assert_eq!(
            (
                k[1].customers_start,
                k[1].new,
                k[1].lost,
                k[1].customers_end
            ),
            (1, 3, 3, 1)
        );
        assert!((k[1].crr_pct.unwrap() + 200.0).abs() < 1e-9);
    }

    #[test]
    fn quarters_start_on_quarter_boundaries() {
        let c = customers(&[("2025-02-05", None), ("2025-05-01", None)]);
        let k = retention_kpis(&c, Period::Quarter, time::day_start(d("2025-06-30"))).unwrap();
        let starts: Vec<String> = k.iter().map(|r| time::format_day(r.period_start)).collect();
        assert_eq!(starts, ["2025-01-01", "2025-04-01"]);
        assert_eq!((k[1].customers_start, k[1].new), (1, 1));
    }
}
