//! The outcomes chart: churn rate by risk tier and group, each with its 95 % Wilson interval as
//! a whisker, written as PNG and SVG.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::Result;
use crate::plot::{write_both, Draw, PALETTE};

use super::Outcomes;

/// The chart of one readout.
pub struct OutcomesChart<'a> {
    pub outcomes: &'a Outcomes,
}

/// Write the chart of `outcomes` as `<stem>.png` and `<stem>.svg`.
///
/// # Errors
/// Drawing and I/O errors; nothing half-written is left.
pub fn outcomes_chart(stem: &Path, outcomes: &Outcomes) -> Result<()> {
    write_both(stem, &OutcomesChart { outcomes })
}

/// The groups of the readout in drawing order.
fn groups(o: &Outcomes) -> Vec<String> {
    let mut g: Vec<String> = Vec::new();
    for r in &o.rows {
        if !g.contains(&r.group) {
            g.push(r.group.clone());
        }
    }
    g
}

const TIERS: [&str; 4] = ["high", "medium", "low", "all"];

/// One group's points (churn rate) and whiskers (interval), offset within each tier.
fn draw_group<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    o: &Outcomes,
    g: usize,
    name: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let n = groups(o).len();
    let color = PALETTE[g % PALETTE.len()];
    let offset = (g as f64 - (n - 1) as f64 / 2.0) * (0.5 / n as f64);
    let points: Vec<(f64, f64, f64, f64)> = o
        .rows
        .iter()
        .filter(|r| r.group == name)
        .filter_map(|r| {
            let x = TIERS.iter().position(|t| *t == r.tier)? as f64 + offset;
            Some((x, r.churn_rate?, r.ci_low?, r.ci_high?))
        })
        .collect();
    chart.draw_series(
        points
            .iter()
            .map(|&(x, _, lo, hi)| PathElement::new(vec![(x, lo), (x, hi)], color.stroke_width(2))),
    )?;
    chart
        .draw_series(
            points
                .iter()
                .map(|&(x, y, _, _)| Circle::new((x, y), 5, color.filled())),
        )?
        .label(format!("{name} customers"))
        .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
    Ok(())
}

impl Draw for OutcomesChart<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let txt = |e: &dyn std::fmt::Display| e.to_string();
        root.fill(&WHITE).map_err(|e| txt(&e))?;
        let o = self.outcomes;
        let top = o
            .rows
            .iter()
            .filter_map(|r| r.ci_high)
            .fold(0.0_f64, f64::max);
        let y_max = (top * 1.15).clamp(0.02, 1.0);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Churn in {} days after {} by tier and group (95 % Wilson intervals)",
                    o.horizon_days, o.as_of
                ),
                ("sans-serif", 18),
            )
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..3.5f64, 0f64..y_max)
            .map_err(|e| txt(&e))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(4)
            .x_label_formatter(&|x| {
                let k = x.round();
                if (x - k).abs() < 1e-9 && (0.0..4.0).contains(&k) {
                    TIERS[k as usize].to_string()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
            .x_desc("risk tier")
            .y_desc("churn rate")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| txt(&e))?;
        for (g, name) in groups(o).iter().enumerate() {
            draw_group(&mut chart, o, g, name).map_err(|e| txt(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| txt(&e))?;
        Ok(())
    }
}
