//! Loading the contract's tables (CSV or Parquet, files or folders of parts) into a compact,
//! validated [`History`]. Loading is validation: every check of `churn validate` runs here.
//!
//! [`load_history`] orchestrates; `source` reads one table's parts with checked column access,
//! `customers` and `activity` extract each table, `group` sorts rows into per-customer slices.

mod activity;
mod cache;
mod customers;
mod group;
mod source;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::{Derive, Mapping};
use crate::data::history::{History, LoadSummary};
use crate::error::{Error, Result};
use crate::progress::{Progress, Silent};
use crate::schema::{col, table};
use crate::time::{self, Day, Ts};

use self::activity::{load_churn, load_events, load_nps, load_tickets, widen, Span, NO_SPAN};
use self::cache::CacheUse;
use self::customers::{derive_customers, load_customers};
use self::group::{group_parts, id_index};
use self::source::{TableData, TimeLimit};

pub use self::group::group;

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The data folder.
    pub dir: PathBuf,
    /// Column renames, formats, derivations (default: none).
    pub mapping: Mapping,
    /// End of the data, covered as a whole day; overrides the mapping's (default: none, the
    /// latest time in any table).
    pub data_end: Option<Day>,
    /// The file the mapping was read from, if any (an input outputs must not overwrite).
    pub mapping_file: Option<PathBuf>,
    /// Keep only the rows a feature as of this day or later can read (default: none, every
    /// row): the events from 90 days before it and each customer's latest one before that, the
    /// tickets opened from 90 days before it and older ones not resolved before it. Every row is
    /// still read and checked, and counts for the load summary and the span of the data.
    pub features_from: Option<Day>,
    /// Keep each events, tickets and NPS part's extract in this folder, and read an unchanged
    /// part's from it instead of decoding the part (default: none). Only loads with
    /// `features_from` use it; the history is the same with or without it.
    pub cache: Option<PathBuf>,
}

impl LoadOptions {
    /// Load `dir` with no mapping.
    pub fn new(dir: impl AsRef<Path>) -> Self {
        LoadOptions {
            dir: dir.as_ref().to_path_buf(),
            mapping: Mapping::default(),
            data_end: None,
            mapping_file: None,
            features_from: None,
            cache: None,
        }
    }

    /// Every path this load reads: the data folder, the mapping file, and tables the mapping
    /// places elsewhere (`file = "../exports/customers.csv"`).
    pub fn input_paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.dir.clone()];
        paths.extend(self.mapping_file.clone());
        for name in table::ALL {
            if let Some(file) = &self.mapping.table(name).file {
                paths.push(self.dir.join(file));
            }
        }
        paths
    }

    /// Refuse a cache folder inside an input (the data folder, the mapping file) or holding one:
    /// the cache's files must never mix with the data.
    ///
    /// # Errors
    /// `Usage`, naming both.
    fn check_cache(&self, dir: &Path) -> Result<()> {
        let cache = crate::output::absolute(dir);
        for input in self.input_paths() {
            let input = crate::output::absolute(&input);
            if cache.starts_with(&input) || input.starts_with(&cache) {
                return Err(Error::Usage(format!(
                    "--cache {} would mix the cache's files with the input {}: choose a folder \
                     outside the data",
                    dir.display(),
                    input.display()
                )));
            }
        }
        Ok(())
    }

    /// The given end of the data: this option's, else the mapping's.
    ///
    /// # Errors
    /// `Usage` for a mapping `data_end` that is not a date.
    fn explicit_end(&self) -> Result<Option<Day>> {
        if self.data_end.is_some() {
            return Ok(self.data_end);
        }
        let Some(s) = &self.mapping.data_end else {
            return Ok(None);
        };
        let day = time::parse_iso_day(s)
            .ok_or_else(|| Error::Usage(format!("data end {s:?} is not a date (YYYY-MM-DD)")))?;
        Ok(Some(day))
    }
}

/// Load and validate every table.
///
/// # Errors
/// A missing required table or column, an unreadable file, any bad cell (named by table, column
/// and row), duplicate customer ids, empty required tables, rows dated after the data end.
pub fn load_history(opts: &LoadOptions) -> Result<History> {
    load_history_with(opts, &Silent)
}

/// [`load_history`], reporting one unit per table to `progress`.
///
/// # Errors
/// As [`load_history`].
pub fn load_history_with(opts: &LoadOptions, progress: &dyn Progress) -> Result<History> {
    let explicit_end = opts.explicit_end()?;
    if let Some(dir) = &opts.cache {
        opts.check_cache(dir)?;
    }
    let limit = TimeLimit::new(explicit_end);
    let mut summary = LoadSummary::default();
    progress.start("loading tables", table::ALL.len() as u64);
    // `event_type` is required but unused by any feature: checked in the header, and decoded
    // only from CSV parts.
    let events = TableData::locate(
        opts,
        table::EVENTS,
        &[col::CUSTOMER_ID, col::TIMESTAMP, col::QUANTITY],
        &[col::EVENT_TYPE],
    )?
    .ok_or_else(|| missing_table(opts, table::EVENTS))?;
    let mut customers = match opts.mapping.customers.derive {
        Some(Derive::FirstEvent) => derive_customers(&events, &opts.mapping.customers, limit)?,
        None => load_customers(opts, limit)?,
    };
    summary
        .rows
        .push((table::CUSTOMERS.into(), customers.len()));
    progress.advance(1);
    crate::util::log_memory("customers");
    let index = id_index(&customers.ids);
    let from = opts
        .features_from
        .map(|d| time::day_start(d - crate::features::MAX_WINDOW_DAYS));
    let (served, written) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let cache = match (&opts.cache, from) {
        (Some(dir), Some(from)) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            Some(CacheUse {
                dir,
                from,
                served: &served,
                written: &written,
            })
        }
        _ => None,
    };
    let (event_rows, event_span) = load_events(&events, &index, limit, from, cache, &mut summary)?;
    progress.advance(1);
    log::debug!(
        "events kept: {} rows",
        event_rows.iter().map(|p| p.rows.len()).sum::<usize>()
    );
    crate::util::log_memory("events");
    let tickets = load_tickets(opts, &index, limit, from, cache, &mut summary)?;
    let (tickets, ticket_span) = match tickets {
        Some((t, span)) => (Some(t), span),
        None => (None, NO_SPAN),
    };
    progress.advance(1);
    crate::util::log_memory("tickets");
    let nps = load_nps(opts, &index, limit, cache, &mut summary)?;
    progress.advance(1);
    let churn = load_churn(opts, &index, &customers, limit, &mut summary)?;
    progress.advance(1);
    if let Some(c) = cache {
        summary.cache = (
            served.load(Ordering::Relaxed),
            written.load(Ordering::Relaxed),
        );
        log::debug!(
            "cache {}: {} parts read from it, {} entries written",
            c.dir.display(),
            summary.cache.0,
            summary.cache.1
        );
    }
    crate::util::log_memory("nps and churn");
    let has_churn = churn.is_some();
    if let Some(churned) = churn {
        customers.churned_at = churned;
    }
    drop(index);
    progress.finish();
    let n = customers.len();
    let history = History {
        events: group_parts(n, event_rows),
        tickets: tickets.map(|t| group_parts(n, t)),
        nps: nps.map(|t| group_parts(n, t)),
        has_churn,
        data_end: 0,
        summary,
        customers,
    };
    Ok(finish(
        history,
        widen(event_span, ticket_span),
        explicit_end,
    ))
}

fn missing_table(opts: &LoadOptions, name: &str) -> Error {
    let looked_for = match &opts.mapping.table(name).file {
        Some(f) => opts.dir.join(f).display().to_string(),
        None => format!(
            "{0}.csv, {0}.parquet or a folder {0}/ in {1}",
            name,
            opts.dir.display()
        ),
    };
    Error::MissingTable {
        table: name.into(),
        looked_for,
    }
}

/// Set the time span and the data end once everything is loaded; `span` is the events' and
/// the tickets' (read before the windows dropped rows).
fn finish(mut h: History, span: Span, explicit_end: Option<Day>) -> History {
    let (mut first, mut last) = span;
    let mut see = |t: Ts| {
        first = first.min(t);
        last = last.max(t);
    };
    h.customers
        .signup
        .iter()
        .for_each(|&d| see(time::day_start(d)));
    h.customers
        .churned_at
        .iter()
        .flatten()
        .for_each(|&d| see(time::day_start(d)));
    if let Some(n) = &h.nps {
        n.rows.iter().for_each(|r| see(r.responded_at));
    }
    h.summary.first = first;
    h.summary.last = last;
    h.data_end = match explicit_end {
        Some(d) => time::day_start(d + 1),
        None => last,
    };
    for name in [table::TICKETS, table::NPS, table::CHURN] {
        let present = h.summary.rows.iter().any(|(t, _)| t == name);
        if !present {
            h.summary.absent.push(name.into());
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::group::PartRows;
    use super::*;
    use crate::frame::{ColumnValues, FeatureTable};

    #[test]
    fn group_sorts_each_customer_by_time_across_parts() {
        let part = |rows: &[(u32, Ts)]| {
            let mut p = PartRows::with_capacity(rows.len());
            rows.iter().for_each(|&(c, t)| p.push(Some(c), t));
            p
        };
        let g = group_parts(
            3,
            vec![part(&[(2, 9), (0, 5), (2, 1)]), part(&[(0, 3), (2, 4)])],
        );
        assert_eq!(g.of(0), [3, 5]);
        assert!(g.of(1).is_empty());
        assert_eq!(g.of(2), [1, 4, 9]);
    }

    #[test]
    fn id_index_finds_every_id() {
        let ids: Vec<String> = (0..50_000).map(|i| format!("C{i:07}")).collect();
        let index = id_index(&ids);
        assert!(ids
            .iter()
            .enumerate()
            .all(|(i, id)| index[id.as_str()] == i as u32));
        assert!(!index.contains_key("C9999999"));
    }

    #[test]
    fn the_first_bad_row_in_part_order_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            "customers.csv",
            "customer_id,signup_date,plan,monthly_revenue,contract_months\na1,2025-01-01,pro,9,1\n",
        );
        let header = "customer_id,timestamp,event_type\n";
        let good = "a1,2025-01-02T00:00:00Z,login\n";
        write("events/p0.csv", &format!("{header}{good}{good}"));
        write("events/p1.csv", &format!("{header}{good}a1,soon,login\n"));
        write("events/p2.csv", &format!("{header}a1,later,login\n"));
        for _ in 0..5 {
            let err = load_history(&LoadOptions::new(dir.path())).unwrap_err();
            match err {
                Error::BadValue { row, value, .. } => {
                    assert!(
                        row.starts_with("line 3 of ") && row.ends_with("p1.csv"),
                        "{row}"
                    );
                    assert_eq!(value, "soon");
                }
                other => panic!("unexpected {other}"),
            }
        }
    }

    /// A load that keeps only the events features from a date on can read gives those features
    /// exactly: several as-of dates on a generated history in parts, including ones where a
    /// customer's last event lies far before the window.
    #[test]
    fn a_load_for_features_from_a_date_gives_the_same_features() {
        use crate::data::generate::{generate, GenerateParams};
        use crate::features::{build_features, FeatureSpec, LabelDefinition};
        let dir = tempfile::tempdir().unwrap();
        let params = GenerateParams::new().customers(600).seed(11).part_size(250);
        params.check().unwrap();
        generate(&params, dir.path()).unwrap();
        let full = load_history(&LoadOptions::new(dir.path())).unwrap();
        for date in ["2024-05-01", "2025-01-17", "2025-12-01", "2026-01-01"] {
            let day = time::parse_iso_day(date).unwrap();
            let mut opts = LoadOptions::new(dir.path());
            opts.features_from = Some(day);
            let windowed = load_history(&opts).unwrap();
            assert!(
                windowed.events.rows.len() < full.events.rows.len(),
                "{date}"
            );
            let tickets = |h: &History| h.tickets.as_ref().unwrap().rows.len();
            assert!(tickets(&windowed) < tickets(&full), "{date}");
            assert_eq!(windowed.data_end, full.data_end);
            assert_eq!(windowed.summary.rows, full.summary.rows);
            assert_eq!(
                (windowed.summary.first, windowed.summary.last),
                (full.summary.first, full.summary.last)
            );
            let spec = FeatureSpec {
                cutoffs: vec![day, day + 30],
                horizon_days: 30,
                definition: LabelDefinition::Inactivity,
            };
            let a = build_features(&full, &spec).unwrap();
            let b = build_features(&windowed, &spec).unwrap();
            assert!(a.n_rows() > 0);
            assert_same_features(&a, &b, date);
        }
    }

    /// Everything a load gives but the cache's counts.
    fn assert_same_history(a: &History, b: &History, context: &str) {
        assert_eq!(a.customers.ids, b.customers.ids, "{context}");
        let grouped = |h: &History| {
            (
                (h.events.offsets.clone(), h.events.rows.clone()),
                h.tickets
                    .as_ref()
                    .map(|t| (t.offsets.clone(), t.rows.clone())),
                h.nps.as_ref().map(|t| (t.offsets.clone(), t.rows.clone())),
            )
        };
        assert!(grouped(a) == grouped(b), "{context}: rows differ");
        let summary = |h: &History| {
            let s = &h.summary;
            (
                s.rows.clone(),
                s.absent.clone(),
                s.warnings.clone(),
                s.first,
                s.last,
            )
        };
        assert_eq!(summary(a), summary(b), "{context}");
        assert_eq!(
            (a.data_end, a.has_churn),
            (b.data_end, b.has_churn),
            "{context}"
        );
    }

    /// A load through the cache is the load without it, whether the entries are written, read
    /// at the same or a later date, or refused for an earlier one (decoded and rewritten).
    #[test]
    fn a_load_through_the_cache_is_the_same_load() {
        use crate::data::generate::{generate, GenerateParams, TableFormat};
        for format in [TableFormat::Parquet, TableFormat::Csv] {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("data");
            let params = GenerateParams::new()
                .customers(500)
                .seed(5)
                .part_size(200)
                .format(format);
            generate(&params, &data).unwrap();
            let cache = dir.path().join("cache");
            let load = |date: &str, cached: bool| {
                let mut opts = LoadOptions::new(&data);
                opts.features_from = Some(time::parse_iso_day(date).unwrap());
                if cached {
                    opts.cache = Some(cache.clone());
                }
                load_history(&opts).unwrap()
            };
            // 3 parts each of events, tickets and NPS answers.
            let steps = [
                ("2025-06-01", (0, 9)),
                ("2025-06-01", (9, 0)),
                ("2025-09-15", (9, 0)),
                ("2025-01-01", (0, 9)),
                ("2025-09-15", (9, 0)),
            ];
            for (date, counts) in steps {
                let context = format!("{format:?} {date}");
                let cached = load(date, true);
                assert_eq!(cached.summary.cache, counts, "{context}");
                assert_same_history(&load(date, false), &cached, &context);
            }
        }
    }

    /// Entries hold every id, so a customer added later gets the rows its part already had; a
    /// changed or damaged part's entry is not used; a data end before a cached row is reported
    /// as without the cache; the cache may not lie inside the data.
    #[test]
    fn the_cache_follows_changes_and_refuses_what_it_cannot_serve() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let write = |name: &str, text: &str| std::fs::write(data.join(name), text).unwrap();
        let customers = "customer_id,signup_date,plan,monthly_revenue,contract_months
                         a1,2024-01-01,pro,9,1
";
        write("customers.csv", customers);
        let events = "customer_id,timestamp,event_type
                      a1,2024-03-01T00:00:00Z,login
a1,2024-12-20T00:00:00Z,login
                      z9,2024-02-01T00:00:00Z,login
z9,2024-12-21T00:00:00Z,login
";
        write("events.csv", events);
        let cache = dir.path().join("cache");
        let day = time::parse_iso_day("2025-01-01").unwrap();
        let opts = |cached: bool| {
            let mut o = LoadOptions::new(&data);
            o.features_from = Some(day);
            if cached {
                o.cache = Some(cache.clone());
            }
            o
        };
        let first = load_history(&opts(true)).unwrap();
        assert_eq!(first.summary.cache, (0, 1));
        assert_eq!(first.summary.warnings.len(), 1, "z9 is not a customer yet");
        // z9 signs up: its rows come from the entry.
        write(
            "customers.csv",
            &format!(
                "{customers}z9,2024-01-01,pro,9,1
"
            ),
        );
        let later = load_history(&opts(true)).unwrap();
        assert_eq!(later.summary.cache, (1, 0));
        assert_eq!(later.events.of(1).len(), 2);
        assert_same_history(&load_history(&opts(false)).unwrap(), &later, "new customer");
        // A changed part is decoded again, even with its old size and modification time kept.
        let file = data.join("events.csv");
        let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
        let changed = events.replace("2024-12-20", "2024-12-22");
        assert_eq!(changed.len(), events.len());
        write("events.csv", &changed);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let reread = load_history(&opts(true)).unwrap();
        assert_eq!(reread.summary.cache, (0, 1));
        assert_same_history(
            &load_history(&opts(false)).unwrap(),
            &reread,
            "changed part",
        );
        // A damaged entry is decoded again and rewritten.
        for entry in std::fs::read_dir(&cache).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        }
        let mended = load_history(&opts(true)).unwrap();
        assert_eq!(mended.summary.cache, (0, 1));
        assert_same_history(
            &load_history(&opts(false)).unwrap(),
            &mended,
            "damaged entry",
        );
        // A data end before the latest cached row: the decode names the row.
        let mut ended = opts(true);
        ended.data_end = Some(time::parse_iso_day("2024-12-21").unwrap());
        let mut plain = opts(false);
        plain.data_end = ended.data_end;
        let (a, b) = (load_history(&ended), load_history(&plain));
        assert_eq!(a.unwrap_err().to_string(), b.unwrap_err().to_string());
        // The cache's files never mix with the data.
        for inside in [data.join("cache"), data.clone(), dir.path().to_path_buf()] {
            let mut o = opts(true);
            o.cache = Some(inside.clone());
            match load_history(&o) {
                Err(Error::Usage(m)) => assert!(m.contains("--cache"), "{m}"),
                other => panic!("{}: {:?}", inside.display(), other.map(|_| ())),
            }
        }
        assert!(!data.join("cache").exists());
    }

    /// The same rows and labels, and every feature the same bit for bit (NaN included).
    fn assert_same_features(a: &FeatureTable, b: &FeatureTable, context: &str) {
        assert_eq!(
            (&a.ids, &a.as_of, &a.labels),
            (&b.ids, &b.as_of, &b.labels),
            "{context}"
        );
        assert_eq!(a.columns.len(), b.columns.len(), "{context}");
        for (x, y) in a.columns.iter().zip(&b.columns) {
            match (&x.values, &y.values) {
                (ColumnValues::Numeric(u), ColumnValues::Numeric(v)) => {
                    let bits = |w: &[f64]| w.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(u), bits(v), "{context} {}", x.name);
                }
                _ => assert_eq!(x, y, "{context}"),
            }
        }
    }

    /// A ticket opened before the window is kept while it may still be open at the as-of date
    /// (never resolved, or resolved on or after it): `open_tickets` counts it, and only it.
    #[test]
    fn a_load_for_features_keeps_old_tickets_that_may_be_open() {
        use crate::features::{build_features, FeatureSpec, LabelDefinition};
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "customers.csv",
            "customer_id,signup_date,plan,monthly_revenue,contract_months\n\
             a1,2024-01-01,pro,9,1\nb2,2024-01-01,pro,9,1\n",
        );
        write(
            "events.csv",
            "customer_id,timestamp,event_type\n\
             a1,2024-12-20T00:00:00Z,login\nb2,2024-12-21T00:00:00Z,login\n",
        );
        // As of 2025-01-01 the window starts 2024-10-03. a1: never resolved (open), resolved on
        // the as-of day (open), resolved the day before (closed); b2: one opened in the window.
        write(
            "tickets.csv",
            "customer_id,opened_at,resolved_at,priority,category\n\
             a1,2024-02-01T00:00:00Z,,low,bug\n\
             a1,2024-03-01T00:00:00Z,2025-01-01T00:00:00Z,low,bug\n\
             a1,2024-04-01T00:00:00Z,2024-12-31T23:59:59Z,low,bug\n\
             b2,2024-12-01T00:00:00Z,2024-12-02T00:00:00Z,urgent,billing\n",
        );
        let day = time::parse_iso_day("2025-01-01").unwrap();
        let mut opts = LoadOptions::new(dir.path());
        opts.data_end = Some(day);
        let full = load_history(&opts).unwrap();
        opts.features_from = Some(day);
        let windowed = load_history(&opts).unwrap();
        assert_eq!(full.tickets.as_ref().unwrap().rows.len(), 4);
        let kept = windowed.tickets.as_ref().unwrap();
        assert_eq!(kept.of(0).len(), 2);
        assert_eq!(kept.of(1).len(), 1);
        // The dropped ticket still counts for the summary and the span of the data.
        assert_eq!(windowed.summary.rows, full.summary.rows);
        assert_eq!(windowed.summary.first, full.summary.first);
        let spec = FeatureSpec {
            cutoffs: vec![day],
            horizon_days: 30,
            definition: LabelDefinition::Inactivity,
        };
        let a = build_features(&full, &spec).unwrap();
        let b = build_features(&windowed, &spec).unwrap();
        let open = |t: &FeatureTable| match &t
            .column(crate::schema::feature::OPEN_TICKETS)
            .unwrap()
            .values
        {
            ColumnValues::Numeric(v) => v.clone(),
            _ => unreachable!(),
        };
        assert_eq!(open(&a), vec![2.0, 0.0]);
        assert_same_features(&a, &b, "old tickets");
    }
}
