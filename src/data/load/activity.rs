//! The activity tables (events, tickets, NPS answers, churn dates): each part's rows mapped to
//! customer positions, checked cell by cell, and counted for the load summary.

use crate::data::history::{Customers, LoadSummary, NpsAnswer, Ticket};
use crate::data::read::Cells;
use crate::error::{Error, Result};
use crate::features::MAX_WINDOW_DAYS;
use crate::schema::{col, table, CATEGORIES, PRIORITIES};
use crate::time::{self, Day, Ts};

use super::cache::{try_cached, CacheUse, PartCache};
use super::customers::required_days;
use crate::data::read::Part;
use rustc_hash::FxHashMap;

use super::group::{IdIndex, PartRows};
use super::source::{PartData, TableData, TimeLimit};
use super::LoadOptions;

/// Map a part's customer ids to indices; unknown ids are `None` (counted by the caller). A text
/// column without nulls or blanks takes [`indices_by_view`]; others (typed ids, missing ones to
/// name by row) a lookup per cell.
fn customer_indices(cells: &Cells, index: &IdIndex) -> Result<Vec<Option<u32>>> {
    if let Ok(ca) = cells.col.str() {
        if ca.null_count() == 0 {
            if let Some(out) = indices_by_view(ca, index) {
                return Ok(out);
            }
        }
    }
    let mut out = Vec::with_capacity(cells.col.len());
    cells.for_each_str(|i, v| {
        let id = v.ok_or_else(|| cells.missing(i))?;
        out.push(index.get(id).copied());
        Ok(())
    })?;
    Ok(out)
}

/// [`customer_indices`] of a text column without nulls, by [`per_id_run`]. `None` at the first
/// blank id (a missing one), which the per-cell path then names by its row.
fn indices_by_view(
    ca: &polars::prelude::StringChunked,
    index: &IdIndex,
) -> Option<Vec<Option<u32>>> {
    per_id_run(ca, |id| (!id.is_empty()).then(|| index.get(id).copied()))
}

/// `f` of each cell's trimmed id, for a text column without nulls. Parts usually hold each
/// customer's rows together, so while a row's 16-byte string view repeats the previous row's,
/// so does its value: `f` runs once per run, and no string is read or hashed within it. `None`
/// as soon as `f` gives `None`.
pub(super) fn per_id_run<V: Copy>(
    ca: &polars::prelude::StringChunked,
    mut f: impl FnMut(&str) -> Option<V>,
) -> Option<Vec<V>> {
    let mut out = Vec::with_capacity(ca.len());
    let mut last: Option<(u128, V)> = None;
    for arr in ca.downcast_iter() {
        for (j, view) in arr.views().iter().enumerate() {
            let key = view.as_u128();
            let v = match last {
                Some((k, v)) if k == key => v,
                _ => {
                    let v = f(arr.value(j).trim())?;
                    last = Some((key, v));
                    v
                }
            };
            out.push(v);
        }
    }
    Some(out)
}

/// Record a table's rows read, warn about rows of unknown customers.
fn note_rows<T>(summary: &mut LoadSummary, name: &str, parts: &[PartRows<T>]) {
    let read = parts.iter().map(|p| p.n_read).sum();
    let unknown: usize = parts.iter().map(|p| p.unknown).sum();
    summary.rows.push((name.into(), read));
    if unknown > 0 {
        let w = format!(
            "table `{name}`: {unknown} rows of unknown customers (not in customers) were ignored"
        );
        log::warn!("{w}");
        summary.warnings.push(w);
    }
}

/// The columns `events` must have.
pub(super) const EVENT_COLUMNS: [&str; 3] = [col::CUSTOMER_ID, col::TIMESTAMP, col::EVENT_TYPE];

/// The earliest and latest time of a table's rows.
pub(super) type Span = (Ts, Ts);

/// The span of no rows.
pub(super) const NO_SPAN: Span = (Ts::MAX, Ts::MIN);

/// The span covering both.
pub(super) fn widen(a: Span, b: Span) -> Span {
    (a.0.min(b.0), a.1.max(b.1))
}

/// Per-part results split into the parts and the span of them all.
fn split_spans<T>(parts: Vec<(PartRows<T>, Span)>) -> (Vec<PartRows<T>>, Span) {
    let span = parts.iter().fold(NO_SPAN, |a, (_, s)| widen(a, *s));
    (parts.into_iter().map(|(p, _)| p).collect(), span)
}

/// The events of every part. With `from`, rows before it are checked like the others but only
/// each customer's latest one per part is kept: features as of `from + 90 days` or later read
/// nothing older than that (the windows reach back 90 days, recency wants the last event).
/// Also returns the earliest and latest time of a known customer's event.
/// With `cache` (which implies `from`), a part's entry serves instead when it can, and a decoded
/// part's entry is written.
pub(super) fn load_events(
    t: &TableData,
    index: &IdIndex,
    limit: TimeLimit,
    from: Option<Ts>,
    cache: Option<CacheUse>,
    summary: &mut LoadSummary,
) -> Result<(Vec<PartRows<Ts>>, Span)> {
    let cached = |part: &Part| try_cached(cache, t, part, index, limit);
    let parts = t.map_parts_or(&EVENT_COLUMNS, cached, |p, key| {
        let id_cells = p.required(col::CUSTOMER_ID);
        let ids = customer_indices(&id_cells, index)?;
        let mut entry = PartCache::start(cache, key, &id_cells);
        let ts_cells = p.required(col::TIMESTAMP);
        let format = p.format(col::TIMESTAMP);
        // Text timestamps are parsed first, so an unparseable cell is reported before a negative
        // quantity or an empty or late timestamp; typed ones are read in the row loop below.
        let parsed = if ts_cells.col.dtype().is_string() {
            Some(ts_cells.timestamps(format)?)
        } else {
            None
        };
        if let Some(q) = p.cells(col::QUANTITY) {
            if let Some((i, x)) = q.first_below(0.0)? {
                let why = "quantity must be >= 0 (a negative count)";
                return Err(q.out_of_range(i, x.to_string(), why));
            }
        }
        // The hot loop of a load: rows go straight to `out`, no typed column is collected.
        let mut out = PartRows::with_capacity(ids.len());
        let mut older: FxHashMap<u32, Ts> = FxHashMap::default();
        let merge = |older: &mut FxHashMap<u32, Ts>, (c, t): (u32, Ts)| {
            let last = older.entry(c).or_insert(t);
            *last = (*last).max(t);
        };
        // A customer's older rows are usually adjacent: their latest is tracked along the run,
        // and the map is touched once per run instead of once per row.
        let mut run: Option<(u32, Ts)> = None;
        let mut span = NO_SPAN;
        let mut keep = |i: usize, t: Option<Ts>| {
            let t = t.ok_or_else(|| ts_cells.missing(i))?;
            limit.check(&ts_cells, i, t)?;
            if let Some(e) = entry.as_mut() {
                e.row(i, t);
            }
            match (ids[i], from) {
                (Some(c), Some(f)) if t < f => match &mut run {
                    Some((rc, rt)) if *rc == c => *rt = (*rt).max(t),
                    _ => {
                        if let Some(done) = run.replace((c, t)) {
                            merge(&mut older, done);
                        }
                    }
                },
                (c, _) => out.push(c, t),
            }
            if ids[i].is_some() {
                span = widen(span, (t, t));
            }
            Ok(())
        };
        match parsed {
            Some(ts) => ts
                .into_iter()
                .enumerate()
                .try_for_each(|(i, t)| keep(i, t))?,
            None => ts_cells.for_each_timestamp(format, keep)?,
        }
        if let Some(done) = run {
            merge(&mut older, done);
        }
        // Grouping sorts each customer's rows, so the map's order does not matter.
        for (c, t) in older {
            out.push(Some(c), t);
        }
        // `push` counted nothing: `older` holds known customers only. Parts are held until all
        // are read: keep only what a window kept.
        out.shrink_to_fit();
        if let Some(e) = entry {
            e.finish();
        }
        Ok((out, span))
    })?;
    let (parts, span) = split_spans(parts);
    if parts.iter().all(|p| p.n_read == 0) {
        return Err(t.empty_error());
    }
    note_rows(summary, t.name, &parts);
    Ok((parts, span))
}

fn enum_index(cells: &Cells, allowed: &[&str]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(cells.col.len());
    cells.for_each_str(|i, v| {
        let v = v.ok_or_else(|| cells.missing(i))?;
        let lower = v.to_ascii_lowercase();
        let k = allowed.iter().position(|a| *a == lower).ok_or_else(|| {
            cells.out_of_range(i, v, format!("must be one of {}", allowed.join("/")))
        })?;
        out.push(k as u8);
        Ok(())
    })?;
    Ok(out)
}

/// The tickets of every part, and the earliest and latest time (opened or resolved) of a known
/// customer's ticket. With `from`, rows are checked like the others but a ticket opened before
/// it is kept only while it may still be open: features as of `from + 90 days` or later count
/// older tickets only as open ones, and one resolved before that date is open at none of them.
pub(super) fn load_tickets(
    opts: &LoadOptions,
    index: &IdIndex,
    limit: TimeLimit,
    from: Option<Ts>,
    cache: Option<CacheUse>,
    summary: &mut LoadSummary,
) -> Result<Option<(Vec<PartRows<Ticket>>, Span)>> {
    let cols = [
        col::CUSTOMER_ID,
        col::OPENED_AT,
        col::RESOLVED_AT,
        col::PRIORITY,
        col::CATEGORY,
    ];
    let Some(t) = TableData::locate(opts, table::TICKETS, &cols, &[])? else {
        return Ok(None);
    };
    let cached = |part: &Part| try_cached(cache, &t, part, index, limit);
    let parts = t.map_parts_or(&cols, cached, |p, key| {
        let entry = PartCache::start(cache, key, &p.required(col::CUSTOMER_ID));
        ticket_part(p, index, limit, from, entry)
    })?;
    let (parts, span) = split_spans(parts);
    note_rows(summary, t.name, &parts);
    Ok(Some((parts, span)))
}

/// Whether a load for features from `from` keeps a ticket: one opened before it only while it
/// may still be open at `from + 90 days` (features as of that date or later count older tickets
/// only as open ones, and one resolved before it is open at none of them).
pub(super) fn ticket_kept(t: &Ticket, from: Ts) -> bool {
    let open_from = from + i64::from(MAX_WINDOW_DAYS) * time::SECS_PER_DAY;
    t.opened_at >= from || t.resolved_at.is_none_or(|r| r >= open_from)
}

fn ticket_part(
    p: &PartData,
    index: &IdIndex,
    limit: TimeLimit,
    from: Option<Ts>,
    mut entry: Option<PartCache<Ticket>>,
) -> Result<(PartRows<Ticket>, Span)> {
    let ids = customer_indices(&p.required(col::CUSTOMER_ID), index)?;
    let opened_cells = p.required(col::OPENED_AT);
    let opened = opened_cells.timestamps(p.format(col::OPENED_AT))?;
    let resolved_cells = p.required(col::RESOLVED_AT);
    let resolved = resolved_cells.timestamps(p.format(col::RESOLVED_AT))?;
    let priority = enum_index(&p.required(col::PRIORITY), &PRIORITIES)?;
    let category = enum_index(&p.required(col::CATEGORY), &CATEGORIES)?;
    let mut out = PartRows::with_capacity(ids.len());
    let mut span = NO_SPAN;
    for i in 0..ids.len() {
        let opened_at = opened[i].ok_or_else(|| opened_cells.missing(i))?;
        limit.check(&opened_cells, i, opened_at)?;
        if let Some(r) = resolved[i] {
            limit.check(&resolved_cells, i, r)?;
            if r < opened_at {
                return Err(resolved_cells.out_of_range(
                    i,
                    time::format_ts(r),
                    format!(
                        "resolved_at is before opened_at ({})",
                        time::format_ts(opened_at)
                    ),
                ));
            }
        }
        let ticket = Ticket {
            opened_at,
            resolved_at: resolved[i],
            priority: priority[i],
            category: category[i],
        };
        if let Some(e) = entry.as_mut() {
            e.row(i, ticket);
        }
        if ids[i].is_some() {
            span = widen(span, (opened_at, ticket.resolved_at.unwrap_or(opened_at)));
        }
        let read = from.is_none_or(|f| ticket_kept(&ticket, f));
        if read {
            out.push(ids[i], ticket);
        } else if ids[i].is_none() {
            out.unknown += 1;
        }
    }
    if from.is_some() {
        // Parts are held until all are read: keep only what the window kept.
        out.shrink_to_fit();
    }
    if let Some(e) = entry {
        e.finish();
    }
    Ok((out, span))
}

pub(super) fn load_nps(
    opts: &LoadOptions,
    index: &IdIndex,
    limit: TimeLimit,
    cache: Option<CacheUse>,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<PartRows<NpsAnswer>>>> {
    let cols = [col::CUSTOMER_ID, col::RESPONDED_AT, col::SCORE];
    let Some(t) = TableData::locate(opts, table::NPS, &cols, &[])? else {
        return Ok(None);
    };
    let cached = |part: &Part| try_cached(cache, &t, part, index, limit).map(|(rows, _)| rows);
    let parts = t.map_parts_or(&cols, cached, |p, key| {
        let id_cells = p.required(col::CUSTOMER_ID);
        let ids = customer_indices(&id_cells, index)?;
        let mut entry = PartCache::start(cache, key, &id_cells);
        let at_cells = p.required(col::RESPONDED_AT);
        let at = at_cells.timestamps(p.format(col::RESPONDED_AT))?;
        let score_cells = p.required(col::SCORE);
        let scores = score_cells.integers()?;
        let mut out = PartRows::with_capacity(ids.len());
        for i in 0..ids.len() {
            let responded_at = at[i].ok_or_else(|| at_cells.missing(i))?;
            limit.check(&at_cells, i, responded_at)?;
            let score = scores[i].ok_or_else(|| score_cells.missing(i))?;
            if !(0..=10).contains(&score) {
                return Err(score_cells.out_of_range(
                    i,
                    score.to_string(),
                    "NPS score must be 0..10",
                ));
            }
            let answer = NpsAnswer {
                responded_at,
                score: score as u8,
            };
            if let Some(e) = entry.as_mut() {
                e.row(i, answer);
            }
            out.push(ids[i], answer);
        }
        if let Some(e) = entry {
            e.finish();
        }
        Ok(out)
    })?;
    note_rows(summary, t.name, &parts);
    Ok(Some(parts))
}

pub(super) fn load_churn(
    opts: &LoadOptions,
    index: &IdIndex,
    customers: &Customers,
    limit: TimeLimit,
    summary: &mut LoadSummary,
) -> Result<Option<Vec<Option<Day>>>> {
    let cols = [col::CUSTOMER_ID, col::CHURNED_AT];
    let Some(t) = TableData::locate(opts, table::CHURN, &cols, &[])? else {
        return Ok(None);
    };
    let parts = t.map_parts(&cols, |p| {
        let ids = customer_indices(&p.required(col::CUSTOMER_ID), index)?;
        let days = required_days(p, col::CHURNED_AT, limit)?;
        Ok((ids, days))
    })?;
    let mut churned: Vec<Option<Day>> = vec![None; customers.len()];
    let mut first_row: FxHashMap<u32, (usize, usize)> = FxHashMap::default();
    let mut counts = PartRows::<()>::with_capacity(0);
    for (k, (ids, days)) in parts.into_iter().enumerate() {
        counts.n_read += ids.len();
        for (i, (c, d)) in ids.into_iter().zip(days).enumerate() {
            let Some(c) = c else {
                counts.unknown += 1;
                continue;
            };
            if let Some(&(k0, i0)) = first_row.get(&c) {
                return Err(Error::Duplicate {
                    table: t.name.into(),
                    column: col::CUSTOMER_ID.into(),
                    row: t.parts[k].row(i),
                    value: customers.ids[c as usize].clone(),
                    first: t.parts[k0].row(i0),
                });
            }
            first_row.insert(c, (k, i));
            check_after_signup(&t, k, i, d, customers.signup[c as usize])?;
            churned[c as usize] = Some(d);
        }
    }
    note_rows(summary, t.name, &[counts]);
    Ok(Some(churned))
}

/// A customer cannot be gone before signing up.
fn check_after_signup(
    t: &TableData,
    part: usize,
    i: usize,
    churned_at: Day,
    signup: Day,
) -> Result<()> {
    if churned_at >= signup {
        return Ok(());
    }
    Err(Error::BadValue {
        table: t.name.into(),
        column: col::CHURNED_AT.into(),
        row: t.parts[part].row(i),
        value: time::format_day(churned_at),
        reason: format!(
            "churned_at is before signup_date ({})",
            time::format_day(signup)
        ),
    })
}
