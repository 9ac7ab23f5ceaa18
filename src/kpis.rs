//! Retention KPIs per calendar period: customers at the start (S), new (N), lost, at the end
//! (E = S + N - lost), churn rate = lost / S x 100 and CRR = (E - N) / S x 100.

use std::path::Path;

use serde::Serialize;

use crate::data::history::Customers;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::plot::{line_chart, LegendAt, LineChart, Series};
use crate::time::{self, Day, Ts};

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

fn fmt_pct(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_default()
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
                fmt_pct(r.churn_rate_pct),
                fmt_pct(r.crr_pct)
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

/// The chart of churn rate and CRR per period (periods with no starting customers are gaps).
pub fn kpi_chart(rows: &[PeriodKpis]) -> LineChart {
    let points = |f: fn(&PeriodKpis) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .enumerate()
            .filter_map(|(i, r)| f(r).map(|v| (i as f64, v)))
            .collect()
    };
    let mut chart = LineChart::new(
        "Retention KPIs per period",
        "period start",
        "percent of customers at the start",
    );
    chart.series = vec![
        Series::with_markers("churn rate % (lost / S)", points(|r| r.churn_rate_pct)),
        Series::with_markers("CRR % ((E - N) / S)", points(|r| r.crr_pct)),
    ];
    // Periods start on the 1st: the month names them.
    let month = |r: &PeriodKpis| time::format_day(r.period_start)[..7].to_string();
    chart.x_categories = Some(rows.iter().map(month).collect());
    // Headroom above the data for the legend, so it never hides the latest periods.
    let values = rows
        .iter()
        .flat_map(|r| [r.churn_rate_pct, r.crr_pct])
        .flatten();
    let (lo, hi) = values.fold((0.0f64, 100.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    chart.y_range = Some((lo - 2.0, hi * 1.25));
    chart.legend_at = LegendAt::UpperRight;
    chart
}

/// Line chart of churn rate and CRR per period, as `<stem>.png` and `<stem>.svg`.
///
/// # Errors
/// Plotting and I/O errors.
pub fn plot_kpis(rows: &[PeriodKpis], stem: &Path) -> Result<()> {
    line_chart(stem, &kpi_chart(rows))
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
