//! The customers table: loaded and checked (unique ids, dates, revenue, contract length), or
//! derived from the events when a mapping says there is none.

use crate::config::TableMapping;
use crate::data::history::{Customers, Texts};
use crate::error::{Error, Result};
use crate::schema::{col, table};
use crate::time::{self, Day, Ts};

use super::activity::EVENT_COLUMNS;
use rustc_hash::FxHashMap;

use super::source::{PartData, TableData, TimeLimit};
use super::{missing_table, LoadOptions};

/// One part of the customers table, extracted.
struct CustomerPart {
    ids: Vec<String>,
    signup: Vec<Day>,
    plan: Vec<Option<String>>,
    segment: Vec<Option<String>>,
    owner: Vec<Option<String>>,
    monthly_revenue: Vec<f64>,
    contract_months: Vec<u32>,
}

pub(super) fn load_customers(opts: &LoadOptions, limit: TimeLimit) -> Result<Customers> {
    let cols = [
        col::CUSTOMER_ID,
        col::SIGNUP_DATE,
        col::PLAN,
        col::MONTHLY_REVENUE,
        col::CONTRACT_MONTHS,
        col::SEGMENT,
        col::AUTO_RENEW,
        col::OWNER,
    ];
    let t = TableData::locate(opts, table::CUSTOMERS, &cols, &[])?
        .ok_or_else(|| missing_table(opts, table::CUSTOMERS))?;
    let parts = t.map_parts(&cols[..5], |p| {
        let ids = p.required(col::CUSTOMER_ID);
        let id_vals = ids.strings()?;
        let ids = id_vals
            .into_iter()
            .enumerate()
            .map(|(i, id)| id.ok_or_else(|| ids.missing(i)))
            .collect::<Result<Vec<_>>>()?;
        // Optional and not a feature, but part of the contract: a bad value is still an error.
        if let Some(auto_renew) = p.cells(col::AUTO_RENEW) {
            auto_renew.bools()?;
        }
        Ok(CustomerPart {
            signup: required_days(p, col::SIGNUP_DATE, limit)?,
            plan: text_or_constant(p, col::PLAN, ids.len())?,
            segment: text_or_constant(p, col::SEGMENT, ids.len())?,
            owner: text_or_constant(p, col::OWNER, ids.len())?,
            monthly_revenue: bounded_floats(
                p,
                col::MONTHLY_REVENUE,
                0.0,
                "monthly_revenue must be >= 0",
            )?,
            contract_months: contract_months(p)?,
            ids,
        })
    })?;
    if parts.iter().all(|p| p.ids.is_empty()) {
        return Err(t.empty_error());
    }
    check_unique_ids(&t, &parts)?;
    let mut c = Customers::default();
    for p in parts {
        c.ids.extend(p.ids);
        c.signup.extend(p.signup);
        c.plan.extend(p.plan.iter().map(Option::as_deref));
        c.segment.extend(p.segment.iter().map(Option::as_deref));
        c.owner.extend(p.owner.iter().map(Option::as_deref));
        c.monthly_revenue.extend(p.monthly_revenue);
        c.contract_months.extend(p.contract_months);
    }
    c.plan.seal();
    c.segment.seal();
    c.owner.seal();
    c.churned_at = vec![None; c.ids.len()];
    Ok(c)
}

/// Fail on the first customer id (in file order) seen before, naming both rows.
fn check_unique_ids(t: &TableData, parts: &[CustomerPart]) -> Result<()> {
    let n = parts.iter().map(|p| p.ids.len()).sum();
    let mut first_seen: FxHashMap<&str, (usize, usize)> =
        FxHashMap::with_capacity_and_hasher(n, Default::default());
    for (k, p) in parts.iter().enumerate() {
        for (i, id) in p.ids.iter().enumerate() {
            if let Some(&(k0, i0)) = first_seen.get(id.as_str()) {
                return Err(Error::Duplicate {
                    table: t.name.into(),
                    column: col::CUSTOMER_ID.into(),
                    row: t.parts[k].row(i),
                    value: id.clone(),
                    first: t.parts[k0].row(i0),
                });
            }
            first_seen.insert(id.as_str(), (k, i));
        }
    }
    Ok(())
}

pub(super) fn required_days(
    p: &PartData,
    column: &'static str,
    limit: TimeLimit,
) -> Result<Vec<Day>> {
    let cells = p.required(column);
    let days = cells.days(p.format(column))?;
    days.into_iter()
        .enumerate()
        .map(|(i, d)| {
            let d = d.ok_or_else(|| cells.missing(i))?;
            limit.check(&cells, i, time::day_start(d))?;
            Ok(d)
        })
        .collect()
}

fn text_or_constant(p: &PartData, column: &str, n: usize) -> Result<Vec<Option<String>>> {
    match p.cells(column) {
        Some(cells) => cells.strings(),
        None => Ok(vec![p.table.constant(column).map(String::from); n]),
    }
}

fn bounded_floats(p: &PartData, column: &'static str, min: f64, why: &str) -> Result<Vec<f64>> {
    let values = match p.cells(column) {
        Some(cells) => {
            let v = cells.floats()?;
            v.into_iter()
                .enumerate()
                .map(|(i, x)| {
                    let x = x.ok_or_else(|| cells.missing(i))?;
                    if x < min {
                        return Err(cells.out_of_range(i, x.to_string(), why));
                    }
                    Ok(x)
                })
                .collect::<Result<Vec<_>>>()?
        }
        None => {
            let c = p.table.constant(column).unwrap_or("0");
            let x: f64 = c.parse().map_err(|_| {
                Error::Usage(format!("mapping default {column} = {c:?} is not a number"))
            })?;
            vec![x; p.height()]
        }
    };
    Ok(values)
}

fn contract_months(p: &PartData) -> Result<Vec<u32>> {
    let Some(cells) = p.cells(col::CONTRACT_MONTHS) else {
        let c = p.table.constant(col::CONTRACT_MONTHS).unwrap_or("1");
        let m: u32 = c
            .parse()
            .ok()
            .filter(|m| (1..=1200).contains(m))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "mapping default contract_months = {c:?} is not a whole number from 1 to 1200"
                ))
            })?;
        return Ok(vec![m; p.height()]);
    };
    let v = cells.integers()?;
    v.into_iter()
        .enumerate()
        .map(|(i, m)| match m {
            None => Err(cells.missing(i)),
            Some(m) if !(1..=1200).contains(&m) => Err(cells.out_of_range(
                i,
                m.to_string(),
                "contract_months must be >= 1 and <= 1200",
            )),
            Some(m) => Ok(m as u32),
        })
        .collect()
}

/// Each id with its earliest time over all parts, sorted by id.
fn earliest_per_id(parts: Vec<FxHashMap<String, Ts>>) -> Vec<(String, Ts)> {
    let mut first: FxHashMap<String, Ts> = FxHashMap::default();
    for part in parts {
        for (id, t) in part {
            let e = first.entry(id).or_insert(t);
            *e = (*e).min(t);
        }
    }
    let mut ids: Vec<(String, Ts)> = first.into_iter().collect();
    ids.sort();
    ids
}

/// No customers table: everyone with an event is a customer, signed up on their first event's
/// day. (This reads the events once more; only mapped exports without a customers table do.)
pub(super) fn derive_customers(
    events: &TableData,
    mapping: &TableMapping,
    limit: TimeLimit,
) -> Result<Customers> {
    let parts = events.map_parts(&EVENT_COLUMNS, |p| {
        let mut first: FxHashMap<String, Ts> = FxHashMap::default();
        let ts_cells = p.required(col::TIMESTAMP);
        let ts = ts_cells.timestamps(p.format(col::TIMESTAMP))?;
        p.required(col::CUSTOMER_ID).for_each_str(|row, id| {
            let (Some(id), Some(t)) = (id, ts[row]) else {
                return Ok(());
            };
            limit.check(&ts_cells, row, t)?;
            match first.get_mut(id) {
                Some(e) => *e = (*e).min(t),
                None => {
                    first.insert(id.to_string(), t);
                }
            }
            Ok(())
        })?;
        Ok(first)
    })?;
    let ids = earliest_per_id(parts);
    let n = ids.len();
    let constant = |c: &str| mapping.defaults.get(c).map(String::as_str);
    let number = |c: &str, default: f64| -> Result<f64> {
        constant(c).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                Error::Usage(format!(
                    "mapping [customers] default {c} = {v:?} is not a number"
                ))
            })
        })
    };
    let months = number(col::CONTRACT_MONTHS, 1.0)?;
    if !(1.0..=1200.0).contains(&months) || months.fract() != 0.0 {
        return Err(Error::Usage(
            "mapping [customers] default contract_months must be a whole number from 1 to 1200"
                .into(),
        ));
    }
    Ok(Customers {
        signup: ids.iter().map(|(_, t)| time::day_of_ts(*t)).collect(),
        ids: ids.into_iter().map(|(id, _)| id).collect(),
        plan: Texts::repeat(constant(col::PLAN), n),
        segment: Texts::repeat(constant(col::SEGMENT), n),
        owner: Texts::repeat(constant(col::OWNER), n),
        monthly_revenue: vec![number(col::MONTHLY_REVENUE, 0.0)?; n],
        contract_months: vec![months as u32; n],
        churned_at: vec![None; n],
    })
}
