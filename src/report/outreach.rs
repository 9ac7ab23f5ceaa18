//! The outreach loop in the customer success lead's part: "Changes since the last list" (from
//! the list and the one before it) and "Outcomes" (an earlier list read against what happened
//! after it), each with its line for the summary.

use super::summary::Addendum;
use super::{Figure, Section, Table};
use crate::error::Result;
use crate::outcomes::chart::OutcomesChart;
use crate::outcomes::Outcomes;
use crate::outcomes::{pct, points};
use crate::plot::{png_bytes, svg_string};
use crate::score::changes::{ListChanges, Moved};

/// Rows shown per table.
const ROWS: usize = 10;

fn moved_table(rows: &[Moved]) -> Table {
    let opt = |x: Option<usize>| x.map_or("-".to_string(), |x| x.to_string());
    Table::new(
        [
            "customer",
            "rank",
            "previous rank",
            "tier",
            "probability",
            "change (points)",
            "why",
        ]
        .map(String::from)
        .to_vec(),
        rows.iter()
            .take(ROWS)
            .map(|m| {
                vec![
                    m.customer_id.clone(),
                    opt(m.rank),
                    opt(m.previous_rank),
                    m.risk_tier.map_or("gone", |t| t.name()).to_string(),
                    pct(m.churn_probability),
                    points(m.probability_change),
                    m.change_reason.clone(),
                ]
            })
            .collect(),
    )
}

/// The changes between the previewed list and the previous one.
pub fn changes_addendum(c: &ListChanges) -> Addendum {
    let day = |d: &Option<String>| d.clone().unwrap_or_else(|| "(no date)".into());
    let summary_line = format!(
        "since {}, {} entered the high tier and {} left it; {} new, {} gone.",
        day(&c.previous_as_of),
        c.newly_high.len(),
        c.left_high.len(),
        c.new_customers,
        c.gone_customers
    );
    let mut lines = vec![format!(
        "This list ({}, {} customers) against the previous one ({}, {} customers). \"Why\" is the signal group whose push on the score moved most between the two dates.",
        day(&c.as_of),
        c.customers,
        day(&c.previous_as_of),
        c.previous_customers
    )];
    if c.model_id != c.previous_model_id {
        lines.push(format!(
            "The lists come from different models ({} before, {} now): part of a move may be the model's.",
            c.previous_model_id, c.model_id
        ));
    }
    lines.push(format!(
        "The tables below, in this order, each with its first {ROWS} rows: newly high risk ({}), no longer high risk ({}, \"gone\" when off the list), biggest risers ({}).",
        c.newly_high.len(),
        c.left_high.len(),
        c.biggest_risers.len()
    ));
    let tables = [&c.newly_high, &c.left_high, &c.biggest_risers]
        .into_iter()
        .map(|rows| moved_table(rows))
        .collect();
    Addendum {
        summary_line,
        section: Section {
            lines,
            tables,
            ..Default::default()
        },
    }
}

/// The outcomes of an earlier list, with its chart.
///
/// # Errors
/// Drawing errors of the chart.
pub fn outcomes_addendum(o: &Outcomes) -> Result<Addendum> {
    let mut lines = vec![format!(
        "The list of {} read against what happened in the {} days to {} (churn by {}).",
        o.as_of,
        o.horizon_days,
        o.window_end,
        o.label_definition.name()
    )];
    if let Some(r) = &o.retained_revenue {
        lines.push(format!(
            "Annual revenue the outreach kept: {:.0} (95 % interval {:.0} to {:.0}; per tier, the uplift times the outreach customers' annual revenue).",
            r.value, r.ci_low, r.ci_high
        ));
    }
    let mut tables = vec![rates_table(o)];
    if !o.uplift.is_empty() {
        tables.push(uplift_table(o));
    }
    tables.push(calibration_table(o));
    let chart = OutcomesChart { outcomes: o };
    let figure = Figure {
        title: "Churn rate by tier and group".into(),
        svg: svg_string(&chart)?,
        png: png_bytes(&chart)?,
    };
    Ok(Addendum {
        summary_line: outcomes_line(o),
        section: Section {
            lines,
            tables,
            figures: vec![figure],
            ..Default::default()
        },
    })
}

/// The summary's line: both groups' rates and the uplift, or the rate without groups.
fn outcomes_line(o: &Outcomes) -> String {
    let all = |group: &str| o.rows.iter().find(|r| r.tier == "all" && r.group == group);
    let uplift = o.uplift.iter().find(|u| u.tier == "all");
    match (all("outreach"), all("control"), uplift) {
        (Some(out), Some(ctl), Some(u)) => format!(
            "list of {}: {} of outreach and {} of control churned in {} days, uplift {} points ({} to {}).",
            o.as_of,
            pct(out.churn_rate),
            pct(ctl.churn_rate),
            o.horizon_days,
            points(u.value),
            points(u.ci_low),
            points(u.ci_high)
        ),
        _ => format!(
            "list of {}: {} churned in {} days (no control group: the plays cannot be measured).",
            o.as_of,
            pct(all("all").and_then(|r| r.churn_rate)),
            o.horizon_days
        ),
    }
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn rates_table(o: &Outcomes) -> Table {
    Table::new(
        header(&[
            "tier",
            "group",
            "customers",
            "churned",
            "churn rate",
            "95 % interval",
        ]),
        o.rows
            .iter()
            .map(|r| {
                vec![
                    r.tier.clone(),
                    r.group.clone(),
                    r.customers.to_string(),
                    r.churned.to_string(),
                    pct(r.churn_rate),
                    format!("{} to {}", pct(r.ci_low), pct(r.ci_high)),
                ]
            })
            .collect(),
    )
}

fn uplift_table(o: &Outcomes) -> Table {
    Table::new(
        header(&[
            "tier",
            "uplift (points)",
            "95 % interval",
            "relative reduction",
            "95 % interval",
        ]),
        o.uplift
            .iter()
            .map(|u| {
                vec![
                    u.tier.clone(),
                    points(u.value),
                    format!("{} to {}", points(u.ci_low), points(u.ci_high)),
                    pct(u.relative_reduction),
                    format!("{} to {}", pct(u.relative_ci_low), pct(u.relative_ci_high)),
                ]
            })
            .collect(),
    )
}

fn calibration_table(o: &Outcomes) -> Table {
    Table::new(
        header(&["tier", "customers", "mean predicted", "observed", "basis"]),
        o.calibration
            .iter()
            .map(|c| {
                vec![
                    c.tier.clone(),
                    c.customers.to_string(),
                    pct(c.mean_probability),
                    pct(c.observed_rate),
                    c.basis.clone(),
                ]
            })
            .collect(),
    )
}
