//! Writing one simulated chunk as the five tables, CSV (hand-formatted: this is the hot loop at
//! 100M events) or Parquet (Date, Datetime[ms] without zone, Float64, Int64, Boolean, String).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::schema::{col, table, CATEGORIES, PRIORITIES};
use crate::time::Ts;

use super::layout::{push_padded, DayText, Ids, Layout};
use super::sim::{owner_of, Chunk, EVENT_TYPES, PLANS, SEGMENTS};
use super::TableFormat;

/// Everything a writer needs besides the chunk.
pub(super) struct Writer<'a> {
    pub layout: &'a Layout,
    pub ids: Ids,
    pub days: &'a DayText,
}

impl Writer<'_> {
    /// Write `chunk` as part `part` of every table.
    ///
    /// # Errors
    /// I/O and Parquet encoding errors.
    pub fn write(&self, part: usize, chunk: &Chunk) -> Result<()> {
        match self.layout.format() {
            TableFormat::Csv => self.write_csv(part, chunk),
            TableFormat::Parquet => self.write_parquet(part, chunk),
        }
    }

    fn write_csv(&self, part: usize, chunk: &Chunk) -> Result<()> {
        let (ids, days) = (self.ids, self.days);
        let path = |t| self.layout.part_path(t, part);
        let customers = &chunk.customers;
        let header = [
            col::CUSTOMER_ID,
            col::SIGNUP_DATE,
            col::PLAN,
            col::MONTHLY_REVENUE,
            col::CONTRACT_MONTHS,
            col::SEGMENT,
            col::AUTO_RENEW,
            col::OWNER,
        ];
        write_csv(&path(table::CUSTOMERS), &header, customers.len(), |b, i| {
            let c = &customers[i];
            let start = b.len();
            ids.push_customer(b, c.index);
            let owner = owner_of(std::str::from_utf8(&b[start..]).unwrap_or_default());
            b.push(b',');
            days.push_day(b, c.signup);
            let (plan, segment) = (PLANS[c.plan as usize], SEGMENTS[c.segment as usize]);
            let _ = write!(
                b,
                ",{plan},{:?},{},{segment},{},{owner}",
                c.monthly_revenue, c.contract_months, c.auto_renew
            );
        })?;
        let ev = &chunk.events;
        let header = [
            col::CUSTOMER_ID,
            col::TIMESTAMP,
            col::EVENT_TYPE,
            col::QUANTITY,
        ];
        write_csv(&path(table::EVENTS), &header, ev.len(), |b, i| {
            ids.push_customer(b, ev.customer[i]);
            b.push(b',');
            days.push_ts(b, ev.ts[i]);
            b.push(b',');
            b.extend_from_slice(EVENT_TYPES[ev.kind[i] as usize].as_bytes());
            b.push(b',');
            push_f64(b, ev.quantity[i]);
        })?;
        self.write_csv_support(part, chunk)
    }

    fn write_csv_support(&self, part: usize, chunk: &Chunk) -> Result<()> {
        let (ids, days) = (self.ids, self.days);
        let path = |t| self.layout.part_path(t, part);
        let tickets = &chunk.tickets;
        let header = [
            col::CUSTOMER_ID,
            col::TICKET_ID,
            col::OPENED_AT,
            col::RESOLVED_AT,
            col::PRIORITY,
            col::CATEGORY,
        ];
        write_csv(&path(table::TICKETS), &header, tickets.len(), |b, i| {
            let t = &tickets[i];
            ids.push_customer(b, t.customer);
            b.push(b',');
            ids.push_ticket(b, t.customer, t.seq);
            b.push(b',');
            days.push_ts(b, t.opened);
            b.push(b',');
            if let Some(r) = t.resolved {
                days.push_ts(b, r);
            }
            let (p, c) = (
                PRIORITIES[t.priority as usize],
                CATEGORIES[t.category as usize],
            );
            let _ = write!(b, ",{p},{c}");
        })?;
        let nps = &chunk.nps;
        let header = [col::CUSTOMER_ID, col::RESPONDED_AT, col::SCORE];
        write_csv(&path(table::NPS), &header, nps.len(), |b, i| {
            ids.push_customer(b, nps[i].customer);
            b.push(b',');
            days.push_ts(b, nps[i].responded);
            b.push(b',');
            push_padded(b, nps[i].score as u64, 1);
        })?;
        let churn = &chunk.churn;
        write_csv(
            &path(table::CHURN),
            &[col::CUSTOMER_ID, col::CHURNED_AT],
            churn.len(),
            |b, i| {
                ids.push_customer(b, churn[i].customer);
                b.push(b',');
                days.push_day(b, churn[i].day);
            },
        )
    }

    fn write_parquet(&self, part: usize, chunk: &Chunk) -> Result<()> {
        let path = |t| self.layout.part_path(t, part);
        let first = chunk.customers.first().map_or(0, |c| c.index);
        // Ids of this chunk's customers, spelled once and borrowed by every table.
        let names: Vec<String> = chunk
            .customers
            .iter()
            .map(|c| self.ids.customer(c.index))
            .collect();
        let name = |index: u64| names[(index - first) as usize].as_str();
        let cs = &chunk.customers;
        write_parquet(
            &path(table::CUSTOMERS),
            vec![
                strings(col::CUSTOMER_ID, cs.iter().map(|c| name(c.index))),
                Series::new(
                    col::SIGNUP_DATE.into(),
                    cs.iter().map(|c| c.signup).collect::<Vec<_>>(),
                )
                .into_date(),
                strings(col::PLAN, cs.iter().map(|c| PLANS[c.plan as usize])),
                Series::new(
                    col::MONTHLY_REVENUE.into(),
                    cs.iter().map(|c| c.monthly_revenue).collect::<Vec<_>>(),
                ),
                Series::new(
                    col::CONTRACT_MONTHS.into(),
                    cs.iter()
                        .map(|c| c.contract_months as i64)
                        .collect::<Vec<_>>(),
                ),
                strings(
                    col::SEGMENT,
                    cs.iter().map(|c| SEGMENTS[c.segment as usize]),
                ),
                Series::new(
                    col::AUTO_RENEW.into(),
                    cs.iter().map(|c| c.auto_renew).collect::<Vec<_>>(),
                ),
                strings(col::OWNER, cs.iter().map(|c| owner_of(name(c.index)))),
            ],
        )?;
        let ev = &chunk.events;
        write_parquet(
            &path(table::EVENTS),
            vec![
                strings(col::CUSTOMER_ID, ev.customer.iter().map(|&c| name(c))),
                datetimes(col::TIMESTAMP, ev.ts.iter().copied()),
                strings(
                    col::EVENT_TYPE,
                    ev.kind.iter().map(|&k| EVENT_TYPES[k as usize]),
                ),
                Series::new(col::QUANTITY.into(), ev.quantity.as_slice()),
            ],
        )?;
        self.write_parquet_support(part, chunk, &name)
    }

    fn write_parquet_support<'n>(
        &self,
        part: usize,
        chunk: &Chunk,
        name: &dyn Fn(u64) -> &'n str,
    ) -> Result<()> {
        let path = |t| self.layout.part_path(t, part);
        let ts = &chunk.tickets;
        write_parquet(
            &path(table::TICKETS),
            vec![
                strings(col::CUSTOMER_ID, ts.iter().map(|t| name(t.customer))),
                strings(
                    col::TICKET_ID,
                    ts.iter().map(|t| self.ids.ticket(t.customer, t.seq)),
                ),
                datetimes(col::OPENED_AT, ts.iter().map(|t| t.opened)),
                optional_datetimes(col::RESOLVED_AT, ts.iter().map(|t| t.resolved)),
                strings(
                    col::PRIORITY,
                    ts.iter().map(|t| PRIORITIES[t.priority as usize]),
                ),
                strings(
                    col::CATEGORY,
                    ts.iter().map(|t| CATEGORIES[t.category as usize]),
                ),
            ],
        )?;
        let nps = &chunk.nps;
        write_parquet(
            &path(table::NPS),
            vec![
                strings(col::CUSTOMER_ID, nps.iter().map(|a| name(a.customer))),
                datetimes(col::RESPONDED_AT, nps.iter().map(|a| a.responded)),
                Series::new(
                    col::SCORE.into(),
                    nps.iter().map(|a| a.score as i64).collect::<Vec<_>>(),
                ),
            ],
        )?;
        let churn = &chunk.churn;
        write_parquet(
            &path(table::CHURN),
            vec![
                strings(col::CUSTOMER_ID, churn.iter().map(|c| name(c.customer))),
                Series::new(
                    col::CHURNED_AT.into(),
                    churn.iter().map(|c| c.day).collect::<Vec<_>>(),
                )
                .into_date(),
            ],
        )
    }
}

/// Write a CSV file: the header, then `row(buf, i)` for each row.
fn write_csv<F>(path: &Path, header: &[&str], n_rows: usize, mut row: F) -> Result<()>
where
    F: FnMut(&mut Vec<u8>, usize),
{
    const FLUSH_AT: usize = 1 << 16;
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(FLUSH_AT + 256);
    buf.extend_from_slice(header.join(",").as_bytes());
    buf.push(b'\n');
    for i in 0..n_rows {
        row(&mut buf, i);
        buf.push(b'\n');
        if buf.len() >= FLUSH_AT {
            w.write_all(&buf).map_err(|e| Error::io(path, e))?;
            buf.clear();
        }
    }
    w.write_all(&buf).map_err(|e| Error::io(path, e))?;
    w.flush().map_err(|e| Error::io(path, e))
}

/// A float with a decimal point (`1.0`, `42.5`), so readers never take the column for integers.
fn push_f64(buf: &mut Vec<u8>, x: f64) {
    if x.fract() == 0.0 && (0.0..1e15).contains(&x) {
        push_padded(buf, x as u64, 1);
        buf.extend_from_slice(b".0");
    } else {
        let _ = write!(buf, "{x:?}");
    }
}

fn strings<S: AsRef<str>>(name: &str, values: impl Iterator<Item = S>) -> Series {
    StringChunked::from_iter_values(name.into(), values).into_series()
}

/// Seconds become `Datetime(Milliseconds)` without a time zone (UTC by the contract).
fn datetimes(name: &str, values: impl Iterator<Item = Ts>) -> Series {
    let ms: Vec<i64> = values.map(|t| t * 1000).collect();
    Series::new(name.into(), ms).into_datetime(TimeUnit::Milliseconds, None)
}

/// Like `datetimes`, with nulls (an open ticket's `resolved_at`).
fn optional_datetimes(name: &str, values: impl Iterator<Item = Option<Ts>>) -> Series {
    let ms: Vec<Option<i64>> = values.map(|t| t.map(|t| t * 1000)).collect();
    Series::new(name.into(), ms).into_datetime(TimeUnit::Milliseconds, None)
}

fn write_parquet(path: &Path, columns: Vec<Series>) -> Result<()> {
    let height = columns.first().map_or(0, |s| s.len());
    let mut df = DataFrame::new(height, columns.into_iter().map(Column::from).collect())?;
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    // Chunks are already written in parallel; one thread per file keeps output byte-stable.
    ParquetWriter::new(&mut w)
        .set_parallel(false)
        .finish(&mut df)?;
    w.flush().map_err(|e| Error::io(path, e))
}
