//! The at-risk list (contract section 5): ranking, tiers, and atomic CSV / Parquet / JSON Lines
//! writers whose output is byte-identical for the same inputs.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::RiskTier;
use crate::output::write_output;
use crate::schema::AT_RISK_COLUMNS;
use crate::time::{self, Day};
use crate::util::{csv_cell, excel_cell, fmt_f64};

use super::actions::ReasonValue;
use super::groups::Group;

/// The raw value behind a reason, as the customer's data has it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Number(f64),
    Text(String),
    Missing,
}

/// One reason: the feature that represents a signal group (an index into the list's
/// `features`), its raw value, the group's push on the churn log-odds, and the feature's typical
/// training value. Rendered as `events_30d=2 (typical 38) (+0.61)`, or `plan=basic (+0.20)`
/// without a typical value, only when the list is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub feature: usize,
    pub value: RawValue,
    pub push: f64,
    pub typical: Option<f64>,
}

/// One customer on the list (the model id, as-of date and feature names are the list's).
#[derive(Debug, Clone, PartialEq)]
pub struct AtRiskRow {
    pub rank: usize,
    pub customer_id: String,
    pub churn_probability: f64,
    pub risk_tier: RiskTier,
    /// `churn_probability * monthly_revenue * 12`; `None` without a revenue.
    pub revenue_at_risk: Option<f64>,
    /// `reason_1..reason_3`, strongest first; `None` where fewer features push the score up.
    pub reasons: [Option<Reason>; 3],
    pub suggested_action: &'static str,
    /// With the timing columns: days to the next renewal and the date to call by.
    pub timing: Option<Timing>,
    /// With control groups: the customer's group in the campaign.
    pub group: Option<Group>,
    /// With a previous list: what changed since it (`None` for a customer new to the list).
    pub change: Option<Change>,
}

/// What changed for one customer since the previous list.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub previous_rank: usize,
    pub previous_tier: RiskTier,
    /// This list's probability minus the previous list's.
    pub probability_change: f64,
    /// The signal group whose push moved most, when one moved by at least
    /// [`super::batch::MIN_REASON_PUSH`] and both dates' features are known.
    pub reason: Option<ChangeReason>,
}

/// The signal group whose push on the log-odds moved most between the two as-of dates, by the
/// member feature that moved most: rendered `open_tickets 0 -> 4 (+0.55)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeReason {
    /// Index into the list's `features`.
    pub feature: usize,
    pub before: RawValue,
    pub after: RawValue,
    /// The group's push now minus its push at the previous as-of date.
    pub push: f64,
}

/// Columns after the contract's eleven with control groups.
pub const GROUP_COLUMN: &str = "group";

/// Columns after the group (or the eleven) with a previous list.
pub const CHANGE_COLUMNS: [&str; 4] = [
    "previous_rank",
    "previous_tier",
    "probability_change",
    "change_reason",
];

/// When to act: renewal proximity is timing, not a cause, so it travels beside the play.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Days from the as-of date to the next renewal.
    pub days_to_renewal: f64,
    /// [`CONTACT_LEAD_DAYS`] before the renewal, and never before the as-of date.
    pub contact_by: String,
}

/// How long before a renewal the call should happen.
pub const CONTACT_LEAD_DAYS: f64 = 14.0;

/// Columns after the contract's eleven when the timing is asked for.
pub const TIMING_COLUMNS: [&str; 2] = ["days_to_renewal", "contact_by"];

/// The ranked list of one scoring run: every row shares the model and the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct AtRiskList {
    pub model_id: String,
    /// `YYYY-MM-DD`; empty in tabular mode.
    pub as_of: String,
    /// Feature names the reasons point into.
    pub features: Vec<String>,
    pub rows: Vec<AtRiskRow>,
    /// Whether the timing columns follow the eleven (after the group and change columns).
    pub timing: bool,
    /// Whether the `group` column follows the eleven.
    pub groups: bool,
    /// Whether the change columns follow the eleven (after the group).
    pub changes: bool,
}

/// A reason's text: `feature=value (+push)`; empty for no reason.
pub struct ReasonText<'a> {
    features: &'a [String],
    reason: Option<&'a Reason>,
}

impl std::fmt::Display for ReasonText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(r) = self.reason else { return Ok(()) };
        write!(f, "{}={}", self.features[r.feature], RawText(&r.value))?;
        if let Some(t) = r.typical {
            write!(f, " (typical {})", ReasonValue(t))?;
        }
        write!(f, " ({})", crate::util::fmt2(r.push, true))
    }
}

/// A change reason's text: `feature before -> after (+push)`; empty for none.
pub struct ChangeText<'a> {
    features: &'a [String],
    reason: Option<&'a ChangeReason>,
}

impl std::fmt::Display for ChangeText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(r) = self.reason else { return Ok(()) };
        write!(
            f,
            "{} {} -> {} ({})",
            self.features[r.feature],
            RawText(&r.before),
            RawText(&r.after),
            crate::util::fmt2(r.push, true)
        )
    }
}

/// A raw value as reasons show it: the number's short form, the text, or `missing`.
struct RawText<'a>(&'a RawValue);

impl std::fmt::Display for RawText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            // ReasonValue writes a NaN as `missing` itself.
            RawValue::Number(x) => write!(f, "{}", ReasonValue(*x)),
            RawValue::Text(t) => f.write_str(t),
            RawValue::Missing => f.write_str("missing"),
        }
    }
}

/// One output record with the contract's eleven fields, for JSON Lines.
#[derive(Serialize)]
struct Record<'a> {
    rank: usize,
    customer_id: &'a str,
    churn_probability: f64,
    risk_tier: &'a str,
    revenue_at_risk: Option<f64>,
    reason_1: String,
    reason_2: String,
    reason_3: String,
    suggested_action: &'a str,
    model_id: &'a str,
    as_of: &'a str,
    // The optional columns in list order. Outer `None`: no such column; inner `None`: null.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_rank: Option<Option<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_tier: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probability_change: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days_to_renewal: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_by: Option<Option<&'a str>>,
}

impl AtRiskList {
    /// The first `n` rows as a list of their own.
    pub fn head(&self, n: usize) -> AtRiskList {
        AtRiskList {
            rows: self.rows[..n.min(self.rows.len())].to_vec(),
            ..self.clone_empty()
        }
    }

    /// The same list without the rows `keep` refuses (ranks stay those of the whole list).
    pub fn filtered(&self, keep: impl Fn(&AtRiskRow) -> bool) -> AtRiskList {
        AtRiskList {
            rows: self.rows.iter().filter(|r| keep(r)).cloned().collect(),
            ..self.clone_empty()
        }
    }

    fn clone_empty(&self) -> AtRiskList {
        AtRiskList {
            model_id: self.model_id.clone(),
            as_of: self.as_of.clone(),
            features: self.features.clone(),
            rows: Vec::new(),
            timing: self.timing,
            groups: self.groups,
            changes: self.changes,
        }
    }

    /// The header: the eleven, then the optional columns that are on.
    pub fn columns(&self) -> Vec<&'static str> {
        let mut cols = AT_RISK_COLUMNS.to_vec();
        if self.groups {
            cols.push(GROUP_COLUMN);
        }
        if self.changes {
            cols.extend(CHANGE_COLUMNS);
        }
        if self.timing {
            cols.extend(TIMING_COLUMNS);
        }
        cols
    }

    /// The text of a row's change reason; empty for none.
    pub fn change_reason<'a>(&'a self, row: &'a AtRiskRow) -> ChangeText<'a> {
        ChangeText {
            features: &self.features,
            reason: row.change.as_ref().and_then(|c| c.reason.as_ref()),
        }
    }

    /// The text of reason `k` (0-based) of a row.
    pub fn reason<'a>(&'a self, row: &'a AtRiskRow, k: usize) -> ReasonText<'a> {
        ReasonText {
            features: &self.features,
            reason: row.reasons[k].as_ref(),
        }
    }

    fn record<'a>(&'a self, r: &'a AtRiskRow) -> Record<'a> {
        Record {
            rank: r.rank,
            customer_id: &r.customer_id,
            churn_probability: r.churn_probability,
            risk_tier: r.risk_tier.name(),
            revenue_at_risk: r.revenue_at_risk,
            reason_1: self.reason(r, 0).to_string(),
            reason_2: self.reason(r, 1).to_string(),
            reason_3: self.reason(r, 2).to_string(),
            suggested_action: r.suggested_action,
            model_id: &self.model_id,
            as_of: &self.as_of,
            group: self.groups.then(|| r.group.map_or("", Group::name)),
            previous_rank: self
                .changes
                .then(|| r.change.as_ref().map(|c| c.previous_rank)),
            previous_tier: self
                .changes
                .then(|| r.change.as_ref().map(|c| c.previous_tier.name())),
            probability_change: self
                .changes
                .then(|| r.change.as_ref().map(|c| c.probability_change)),
            change_reason: self.changes.then(|| self.change_reason(r).to_string()),
            days_to_renewal: self
                .timing
                .then(|| r.timing.as_ref().map(|t| t.days_to_renewal)),
            contact_by: self
                .timing
                .then(|| r.timing.as_ref().map(|t| t.contact_by.as_str())),
        }
    }
}

/// Output format of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Csv,
    Parquet,
    Jsonl,
}

/// Order of the list: probability descending, ties by customer id ascending.
pub fn ranking(ids: &[String], probabilities: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    // A stable parallel sort on a total order: the same ranking whatever the thread count.
    order.par_sort_by(|&a, &b| {
        probabilities[b]
            .total_cmp(&probabilities[a])
            .then_with(|| ids[a].cmp(&ids[b]))
    });
    order
}

/// Format an as-of date for the list.
pub fn as_of_text(day: Option<Day>) -> String {
    day.map(time::format_day).unwrap_or_default()
}

/// Write the list in `format`, atomically, or to standard output for the path `-`. With
/// `excel_safe`, CSV text cells that would start a spreadsheet formula are prefixed with `'`
/// ([`excel_cell`]); without it the bytes are the plain CSV.
///
/// # Errors
/// I/O and Parquet errors; nothing is left at `path` on failure.
pub fn write_list(
    list: &AtRiskList,
    path: &Path,
    format: ListFormat,
    excel_safe: bool,
) -> Result<()> {
    let cell = if excel_safe { excel_cell } else { csv_cell };
    match format {
        ListFormat::Csv => write_output(path, |w| write_csv(list, w, path, cell)),
        ListFormat::Jsonl => write_output(path, |w| {
            for r in &list.rows {
                serde_json::to_writer(&mut *w, &list.record(r))?;
                w.write_all(b"\n").map_err(|e| Error::io(path, e))?;
            }
            Ok(())
        }),
        ListFormat::Parquet => {
            let mut df = to_dataframe(list)?;
            write_output(path, |w| {
                ParquetWriter::new(w).finish(&mut df)?;
                Ok(())
            })
        }
    }
}

/// How a text cell is written: [`csv_cell`] or [`excel_cell`].
type CellFn = for<'a> fn(&'a str) -> Cow<'a, str>;

/// Rows formatted at once: in parallel chunks, written in order (a few MB of text at a time).
const CSV_BLOCK_ROWS: usize = 1 << 16;
const CSV_CHUNK_ROWS: usize = 1 << 12;

fn write_csv(list: &AtRiskList, w: &mut dyn Write, path: &Path, cell: CellFn) -> Result<()> {
    let io = |e| Error::io(path, e);
    writeln!(w, "{}", list.columns().join(",")).map_err(io)?;
    let (model_id, as_of) = (cell(&list.model_id), cell(&list.as_of));
    for block in list.rows.chunks(CSV_BLOCK_ROWS) {
        let texts = block
            .par_chunks(CSV_CHUNK_ROWS)
            .map(|rows| {
                let mut buf = Vec::with_capacity(rows.len() * 160);
                let mut reasons = [String::new(), String::new(), String::new()];
                for r in rows {
                    csv_row(list, r, &mut buf, &mut reasons, cell, (&model_id, &as_of))?;
                }
                Ok(buf)
            })
            .collect::<std::io::Result<Vec<Vec<u8>>>>()
            .map_err(io)?;
        for text in texts {
            w.write_all(&text).map_err(io)?;
        }
    }
    Ok(())
}

/// One list row as a CSV line; `reasons` is scratch space reused from row to row.
fn csv_row(
    list: &AtRiskList,
    r: &AtRiskRow,
    w: &mut Vec<u8>,
    reasons: &mut [String; 3],
    cell: CellFn,
    (model_id, as_of): (&str, &str),
) -> std::io::Result<()> {
    for (k, text) in reasons.iter_mut().enumerate() {
        text.clear();
        std::fmt::Write::write_fmt(text, format_args!("{}", list.reason(r, k)))
            .expect("writing to a String");
    }
    write!(
        w,
        "{},{},{:.6},{},{},{},{},{},{},{},{}",
        r.rank,
        cell(&r.customer_id),
        r.churn_probability,
        r.risk_tier,
        r.revenue_at_risk
            .map(|x| format!("{x:.2}"))
            .unwrap_or_default(),
        cell(&reasons[0]),
        cell(&reasons[1]),
        cell(&reasons[2]),
        cell(r.suggested_action),
        model_id,
        as_of
    )?;
    write_optional_csv(list, r, w, cell)?;
    if list.timing {
        let (days, by) = match &r.timing {
            Some(t) => (fmt_f64(t.days_to_renewal), t.contact_by.as_str()),
            None => (String::new(), ""),
        };
        write!(w, ",{days},{by}")?;
    }
    writeln!(w)
}

/// The group and change cells of a row, each after a comma, when the list has them.
fn write_optional_csv(
    list: &AtRiskList,
    r: &AtRiskRow,
    w: &mut dyn Write,
    cell: CellFn,
) -> std::io::Result<()> {
    if list.groups {
        write!(w, ",{}", r.group.map_or("", Group::name))?;
    }
    if list.changes {
        match &r.change {
            Some(c) => write!(
                w,
                ",{},{},{:.6},{}",
                c.previous_rank,
                c.previous_tier,
                c.probability_change + 0.0,
                cell(&list.change_reason(r).to_string())
            )?,
            None => w.write_all(b",,,,")?,
        }
    }
    Ok(())
}

fn to_dataframe(list: &AtRiskList) -> Result<DataFrame> {
    let rows = &list.rows;
    let n = rows.len();
    let text = |f: fn(&AtRiskRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let reasons = |k: usize| {
        rows.par_iter()
            .map(|r| list.reason(r, k).to_string())
            .collect::<Vec<String>>()
    };
    let cols = vec![
        Column::new(
            AT_RISK_COLUMNS[0].into(),
            rows.iter().map(|r| r.rank as u64).collect::<Vec<_>>(),
        ),
        Column::new(AT_RISK_COLUMNS[1].into(), text(|r| &r.customer_id)),
        Column::new(
            AT_RISK_COLUMNS[2].into(),
            rows.iter().map(|r| r.churn_probability).collect::<Vec<_>>(),
        ),
        Column::new(AT_RISK_COLUMNS[3].into(), text(|r| r.risk_tier.name())),
        Column::new(
            AT_RISK_COLUMNS[4].into(),
            rows.iter().map(|r| r.revenue_at_risk).collect::<Vec<_>>(),
        ),
        Column::new(AT_RISK_COLUMNS[5].into(), reasons(0)),
        Column::new(AT_RISK_COLUMNS[6].into(), reasons(1)),
        Column::new(AT_RISK_COLUMNS[7].into(), reasons(2)),
        Column::new(AT_RISK_COLUMNS[8].into(), text(|r| r.suggested_action)),
        Column::new(AT_RISK_COLUMNS[9].into(), vec![list.model_id.as_str(); n]),
        Column::new(AT_RISK_COLUMNS[10].into(), vec![list.as_of.as_str(); n]),
    ];
    let mut cols = cols;
    if list.groups {
        cols.push(Column::new(
            GROUP_COLUMN.into(),
            rows.iter()
                .map(|r| r.group.map(Group::name))
                .collect::<Vec<_>>(),
        ));
    }
    if list.changes {
        cols.extend(change_columns(list));
    }
    if list.timing {
        cols.push(Column::new(
            TIMING_COLUMNS[0].into(),
            rows.iter()
                .map(|r| r.timing.as_ref().map(|t| t.days_to_renewal))
                .collect::<Vec<_>>(),
        ));
        cols.push(Column::new(
            TIMING_COLUMNS[1].into(),
            rows.iter()
                .map(|r| r.timing.as_ref().map(|t| t.contact_by.clone()))
                .collect::<Vec<_>>(),
        ));
    }
    Ok(DataFrame::new_infer_height(cols)?)
}

fn change_columns(list: &AtRiskList) -> [Column; 4] {
    fn change(r: &AtRiskRow) -> Option<&Change> {
        r.change.as_ref()
    }
    let rows = &list.rows;
    [
        Column::new(
            CHANGE_COLUMNS[0].into(),
            rows.iter()
                .map(|r| change(r).map(|c| c.previous_rank as u64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            CHANGE_COLUMNS[1].into(),
            rows.iter()
                .map(|r| change(r).map(|c| c.previous_tier.name()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            CHANGE_COLUMNS[2].into(),
            rows.iter()
                .map(|r| change(r).map(|c| c.probability_change))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            CHANGE_COLUMNS[3].into(),
            rows.iter()
                .map(|r| list.change_reason(r).to_string())
                .collect::<Vec<_>>(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_render_like_the_contract_example() {
        let reason = |feature, value, push| {
            Some(Reason {
                feature,
                value,
                push,
                typical: None,
            })
        };
        let row = AtRiskRow {
            rank: 1,
            customer_id: "c1".into(),
            churn_probability: 0.5,
            risk_tier: RiskTier::High,
            revenue_at_risk: None,
            reasons: [
                reason(0, RawValue::Number(4.0), 0.6149),
                reason(1, RawValue::Text("pro".into()), 0.2),
                None,
            ],
            suggested_action: "support follow-up",
            timing: None,
            group: None,
            change: None,
        };
        let list = AtRiskList {
            model_id: "m".into(),
            as_of: String::new(),
            features: vec!["open_tickets".into(), "plan".into()],
            rows: vec![row.clone()],
            timing: false,
            groups: false,
            changes: false,
        };
        assert_eq!(list.reason(&row, 0).to_string(), "open_tickets=4 (+0.61)");
        assert_eq!(list.reason(&row, 1).to_string(), "plan=pro (+0.20)");
        assert_eq!(list.reason(&row, 2).to_string(), "");
        let mut typical = row.clone();
        if let Some(r) = typical.reasons[0].as_mut() {
            r.typical = Some(38.0);
        }
        assert_eq!(
            list.reason(&typical, 0).to_string(),
            "open_tickets=4 (typical 38) (+0.61)"
        );
    }

    #[test]
    fn ranking_sorts_by_probability_then_id() {
        let ids: Vec<String> = ["b", "a", "c"].map(String::from).to_vec();
        assert_eq!(ranking(&ids, &[0.5, 0.5, 0.9]), [2, 1, 0]);
    }
}
