//! The load cache (`--cache DIR`): each events, tickets and NPS part's rows in a compact form,
//! kept between loads so that a load for features from a date (`features_from`, a nightly
//! score) need not decode an unchanged part again.
//!
//! An entry is one file per part. It holds what a windowed load keeps of the part (the rows from
//! the entry's date on, and each customer's latest older row), per customer id the row count and
//! the earliest and latest time, and the part's row count and time range. Ids are kept as text,
//! those of customers the customers table does not (yet) have included, so an entry does not
//! depend on the customers table: a new customer's rows are found the next night. An entry is
//! written only for a part that loaded without error, so every row it stands for was checked.
//!
//! An entry serves a load when all of these hold, and the part is decoded (and its entry
//! rewritten) otherwise:
//! - the part's key is the same: its canonical path, size, modification time, a hash of its last
//!   64 KiB (a Parquet file's footer: schema, row groups, statistics), the table's mapping and
//!   this format's version;
//! - the load's date is the entry's or later (an earlier one needs rows the entry dropped);
//! - the part's time range passes the load's time limit (a data end before the latest row needs
//!   the decode, which names the row).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustc_hash::FxHashMap;

use crate::config::TableMapping;
use crate::data::history::{NpsAnswer, Ticket};
use crate::data::read::{Cells, Part};
use crate::time::Ts;
use crate::util::sha256_hex;

use super::activity::{per_id_run, widen, Span, NO_SPAN};
use super::group::{IdIndex, PartRows};
use super::source::{TableData, TimeLimit};

/// Bytes at the end of a part that its key hashes (a Parquet footer is usually far smaller).
const TAIL_BYTES: u64 = 64 * 1024;
const MAGIC: &[u8; 8] = b"CHURNEV1";
const END: &[u8; 8] = b"CHURNEND";
/// An unresolved ticket's `resolved_at` in an entry.
const NONE: Ts = Ts::MIN;

/// A part's key (what must be unchanged for its entry to stand for it, see the module's notes)
/// and where its entry lives in the cache folder.
pub(super) struct PartKey {
    text: String,
    /// `<hash of the canonical path>.<table>`.
    entry: PathBuf,
}

/// The key of `part` and its entry's path in `dir`.
fn part_key<T: CachedRow>(
    dir: &Path,
    part: &Path,
    mapping: &TableMapping,
) -> std::io::Result<PartKey> {
    let canonical = part.canonicalize()?;
    let mut file = std::fs::File::open(&canonical)?;
    let meta = file.metadata()?;
    let len = meta.len();
    let mtime = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::with_capacity((len - start) as usize);
    file.read_to_end(&mut tail)?;
    let tail = sha256_hex(&tail);
    let mapping = serde_json::to_string(mapping).map_err(std::io::Error::other)?;
    let path = canonical.to_string_lossy();
    let name = &sha256_hex(path.as_bytes())[..32];
    Ok(PartKey {
        text: format!(
            "{} v1\npath {path}\nlen {len}\nmtime_ns {mtime}\ntail_sha256 {tail}\nmapping {mapping}",
            T::TABLE
        ),
        entry: dir.join(format!("{name}.{}", T::TABLE)),
    })
}

/// A row a cache entry can hold: a fixed-size encoding, its times, and the table's window rule.
pub(super) trait CachedRow: Copy + Ord + std::fmt::Debug {
    /// The table, for the key and the entry's file name.
    const TABLE: &'static str;
    /// Encoded bytes per row.
    const SIZE: usize;
    /// Whether a customer's latest row before the window is kept too (events: recency).
    const LATEST_OLDER: bool;
    fn put(&self, out: &mut Vec<u8>);
    fn get(b: &[u8]) -> Option<Self>;
    /// The earliest and latest time the row holds: the time limit checks both, and the span of
    /// the data covers both.
    fn times(&self) -> (Ts, Ts);
    /// Whether a load for features from `from` keeps this row (as the decoding load does).
    fn kept(&self, from: Ts) -> bool;
}

impl CachedRow for Ts {
    const TABLE: &'static str = crate::schema::table::EVENTS;
    const SIZE: usize = 8;
    const LATEST_OLDER: bool = true;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(b: &[u8]) -> Option<Self> {
        Some(Ts::from_le_bytes(b.try_into().ok()?))
    }
    fn times(&self) -> (Ts, Ts) {
        (*self, *self)
    }
    fn kept(&self, from: Ts) -> bool {
        *self >= from
    }
}

impl CachedRow for Ticket {
    const TABLE: &'static str = crate::schema::table::TICKETS;
    const SIZE: usize = 18;
    const LATEST_OLDER: bool = false;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.opened_at.to_le_bytes());
        // No checked time is `Ts::MIN` (the earliest is 1900): it stands for "not resolved".
        out.extend_from_slice(&self.resolved_at.unwrap_or(NONE).to_le_bytes());
        out.push(self.priority);
        out.push(self.category);
    }
    fn get(b: &[u8]) -> Option<Self> {
        let resolved = Ts::from_le_bytes(b.get(8..16)?.try_into().ok()?);
        Some(Ticket {
            opened_at: Ts::from_le_bytes(b.get(..8)?.try_into().ok()?),
            resolved_at: (resolved != NONE).then_some(resolved),
            priority: *b.get(16)?,
            category: *b.get(17)?,
        })
    }
    fn times(&self) -> (Ts, Ts) {
        (self.opened_at, self.resolved_at.unwrap_or(self.opened_at))
    }
    fn kept(&self, from: Ts) -> bool {
        super::activity::ticket_kept(self, from)
    }
}

impl CachedRow for NpsAnswer {
    const TABLE: &'static str = crate::schema::table::NPS;
    const SIZE: usize = 9;
    const LATEST_OLDER: bool = false;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.responded_at.to_le_bytes());
        out.push(self.score);
    }
    fn get(b: &[u8]) -> Option<Self> {
        Some(NpsAnswer {
            responded_at: Ts::from_le_bytes(b.get(..8)?.try_into().ok()?),
            score: *b.get(8)?,
        })
    }
    fn times(&self) -> (Ts, Ts) {
        (self.responded_at, self.responded_at)
    }
    /// Every answer is read: the NPS features look at a customer's whole history.
    fn kept(&self, _from: Ts) -> bool {
        true
    }
}

/// One id's rows in a part.
#[derive(Clone, Copy, Debug, PartialEq)]
struct IdStats<T> {
    rows: u32,
    min: Ts,
    max: Ts,
    /// The latest row not kept (only where [`CachedRow::LATEST_OLDER`]).
    older: Option<T>,
}

/// A part's cached extract.
#[derive(Debug, PartialEq)]
pub(super) struct Entry<T> {
    /// The date of the load that wrote it: rows it keeps are kept whole.
    from: Ts,
    n_read: u64,
    /// Earliest and latest time of any row (unknown customers' too), for the time limit.
    lo: Ts,
    hi: Ts,
    /// Trimmed ids in order of first appearance; the stats and runs index them.
    ids: Vec<String>,
    stats: Vec<IdStats<T>>,
    /// `(id, rows)` in row order, over `rows`.
    runs: Vec<(u32, u32)>,
    /// The kept rows.
    rows: Vec<T>,
}

/// Each row's position in a part's own list of ids, from a text column without nulls, looked up
/// once per run of equal string views ([`per_id_run`]). `None` when a cell is blank (the load
/// reports it), or the part has more ids than a `u32` counts.
pub(super) fn local_ids(ca: &polars::prelude::StringChunked) -> Option<(Vec<String>, Vec<u32>)> {
    if ca.null_count() > 0 {
        return None;
    }
    let mut ids: Vec<String> = Vec::new();
    let mut seen: FxHashMap<String, u32> = FxHashMap::default();
    let local = per_id_run(ca, |id| {
        if id.is_empty() {
            return None;
        }
        if let Some(&l) = seen.get(id) {
            return Some(l);
        }
        let l = u32::try_from(ids.len()).ok()?;
        seen.insert(id.to_string(), l);
        ids.push(id.to_string());
        Some(l)
    })?;
    Some((ids, local))
}

/// Builds an [`Entry`] from a part's checked rows, in row order.
pub(super) struct Builder<T> {
    from: Ts,
    n_read: u64,
    lo: Ts,
    hi: Ts,
    stats: Vec<IdStats<T>>,
    runs: Vec<(u32, u32)>,
    rows: Vec<T>,
}

impl<T: CachedRow> Builder<T> {
    pub(super) fn new(from: Ts, n_ids: usize) -> Self {
        let empty = IdStats {
            rows: 0,
            min: Ts::MAX,
            max: Ts::MIN,
            older: None,
        };
        Builder {
            from,
            n_read: 0,
            lo: Ts::MAX,
            hi: Ts::MIN,
            stats: vec![empty; n_ids],
            runs: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// A checked row of local id `l`.
    pub(super) fn row(&mut self, l: u32, r: T) {
        let (a, b) = r.times();
        self.n_read += 1;
        self.lo = self.lo.min(a);
        self.hi = self.hi.max(b);
        let s = &mut self.stats[l as usize];
        s.rows = s.rows.saturating_add(1);
        s.min = s.min.min(a);
        s.max = s.max.max(b);
        if !r.kept(self.from) {
            if T::LATEST_OLDER {
                s.older = s.older.max(Some(r));
            }
            return;
        }
        match self.runs.last_mut() {
            Some((last, n)) if *last == l && *n < u32::MAX => *n += 1,
            _ => self.runs.push((l, 1)),
        }
        self.rows.push(r);
    }

    /// The entry, unless an id's row count overflowed (such a part is not cached).
    pub(super) fn finish(self, ids: Vec<String>) -> Option<Entry<T>> {
        if self.stats.iter().any(|s| s.rows == u32::MAX) {
            return None;
        }
        Some(Entry {
            from: self.from,
            n_read: self.n_read,
            lo: self.lo,
            hi: self.hi,
            ids,
            stats: self.stats,
            runs: self.runs,
            rows: self.rows,
        })
    }
}

impl<T: CachedRow> Entry<T> {
    /// Write the entry for `key` to `dest` through a temporary file in its folder: a reader sees
    /// the old entry or the new one, never part of one.
    pub(super) fn write(&self, key: &str, dest: &Path) -> std::io::Result<()> {
        let dir = dest.parent().unwrap_or_else(|| Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir)?;
        {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file());
            w.write_all(MAGIC)?;
            put_bytes(&mut w, key.as_bytes())?;
            for v in [self.from, self.lo, self.hi] {
                w.write_all(&v.to_le_bytes())?;
            }
            w.write_all(&self.n_read.to_le_bytes())?;
            w.write_all(&(self.ids.len() as u64).to_le_bytes())?;
            let mut buf = Vec::with_capacity(1 << 16);
            for (id, s) in self.ids.iter().zip(&self.stats) {
                put_bytes(&mut w, id.as_bytes())?;
                w.write_all(&s.rows.to_le_bytes())?;
                w.write_all(&s.min.to_le_bytes())?;
                w.write_all(&s.max.to_le_bytes())?;
                buf.clear();
                match s.older {
                    Some(r) => {
                        buf.push(1);
                        r.put(&mut buf);
                    }
                    None => buf.resize(1 + T::SIZE, 0),
                }
                w.write_all(&buf)?;
            }
            w.write_all(&(self.runs.len() as u64).to_le_bytes())?;
            for &(l, n) in &self.runs {
                w.write_all(&l.to_le_bytes())?;
                w.write_all(&n.to_le_bytes())?;
            }
            w.write_all(&(self.rows.len() as u64).to_le_bytes())?;
            for chunk in self.rows.chunks(4096) {
                buf.clear();
                for r in chunk {
                    r.put(&mut buf);
                }
                w.write_all(&buf)?;
            }
            w.write_all(END)?;
            w.flush()?;
        }
        tmp.persist(dest).map_err(|e| e.error)?;
        Ok(())
    }
}

/// A load's use of the cache: its folder, the load's date, and counts for the log.
#[derive(Clone, Copy)]
pub(super) struct CacheUse<'a> {
    pub(super) dir: &'a Path,
    pub(super) from: Ts,
    pub(super) served: &'a AtomicUsize,
    pub(super) written: &'a AtomicUsize,
}

/// A part's rows from its entry when one serves this load; otherwise the part's key (`None`
/// without a cache, or when the part's key cannot be read), for [`PartCache::start`].
pub(super) fn try_cached<T: CachedRow>(
    cache: Option<CacheUse>,
    t: &TableData,
    part: &Part,
    index: &IdIndex,
    limit: TimeLimit,
) -> std::result::Result<(PartRows<T>, Span), Option<PartKey>> {
    let Some(c) = cache else {
        return Err(None);
    };
    // The key is taken before the part is read: a part changed while it is decoded gets a newer
    // modification time than the key its entry is written under, so that entry never serves.
    let key = match part_key::<T>(c.dir, &part.path, t.mapping) {
        Ok(key) => key,
        Err(e) => {
            log::debug!("cache: no key for {}: {e}", part.path.display());
            return Err(None);
        }
    };
    // Each worker thread reads its parts' entries into one buffer: a fresh one per part costs
    // more in page faults than the read itself.
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with(|buffer| {
        let mut bytes = buffer.borrow_mut();
        bytes.clear();
        let read = std::fs::File::open(&key.entry).and_then(|mut f| f.read_to_end(&mut bytes));
        match read.ok().and_then(|_| View::<T>::parse(&bytes, &key.text)) {
            Some(e) if e.serves(c.from, |lo, hi| limit.admits(lo, hi)) => {
                c.served.fetch_add(1, Ordering::Relaxed);
                Ok(e.part_rows(index, c.from))
            }
            _ => Err(Some(key)),
        }
    })
}

/// The entry being built while a part is decoded.
pub(super) struct PartCache<'a, T> {
    cache: CacheUse<'a>,
    key: PartKey,
    ids: Vec<String>,
    local: Vec<u32>,
    builder: Builder<T>,
}

impl<'a, T: CachedRow> PartCache<'a, T> {
    /// Start an entry for a part decoded under `key`, unless its ids are not plain text.
    pub(super) fn start(
        cache: Option<CacheUse<'a>>,
        key: Option<PartKey>,
        ids: &Cells,
    ) -> Option<Self> {
        let (cache, key) = (cache?, key?);
        let (names, local) = local_ids(ids.col.str().ok()?)?;
        let builder = Builder::new(cache.from, names.len());
        Some(PartCache {
            cache,
            key,
            ids: names,
            local,
            builder,
        })
    }

    /// Data row `i` of the part, checked.
    pub(super) fn row(&mut self, i: usize, r: T) {
        self.builder.row(self.local[i], r);
    }

    /// Write the entry of a part whose every row was checked. A cache that cannot be written
    /// costs the next load its speed, not its result: a warning, not an error.
    pub(super) fn finish(self) {
        let Some(entry) = self.builder.finish(self.ids) else {
            return;
        };
        let dest = &self.key.entry;
        match entry.write(&self.key.text, dest) {
            Ok(()) => {
                self.cache.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => log::warn!("cache: could not write {}: {e}", dest.display()),
        }
    }
}

/// A part's entry as read: ids and rows stay in the file's bytes.
pub(super) struct View<'a, T> {
    from: Ts,
    n_read: u64,
    lo: Ts,
    hi: Ts,
    ids: Vec<&'a str>,
    stats: Vec<IdStats<T>>,
    runs: Vec<(u32, u32)>,
    /// The kept rows, [`CachedRow::SIZE`] bytes each.
    rows: &'a [u8],
}

impl<'a, T: CachedRow> View<'a, T> {
    /// The entry in `bytes` if it was written for `key` and is whole; `None` otherwise
    /// (another part's or version's, truncated, damaged).
    pub(super) fn parse(bytes: &'a [u8], key: &str) -> Option<Self> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(8)? != MAGIC || r.bytes()? != key.as_bytes() {
            return None;
        }
        let (from, lo, hi) = (r.i64()?, r.i64()?, r.i64()?);
        let n_read = r.u64()?;
        let n_ids = usize::try_from(r.u64()?).ok()?;
        // Refuse counts the file cannot hold before allocating for them.
        let per_id = 8 + 4 + 16 + 1 + T::SIZE;
        if n_ids > r.left() / per_id {
            return None;
        }
        let mut ids = Vec::with_capacity(n_ids);
        let mut stats = Vec::with_capacity(n_ids);
        for _ in 0..n_ids {
            ids.push(std::str::from_utf8(r.bytes()?).ok()?);
            let (rows, min, max) = (r.u32()?, r.i64()?, r.i64()?);
            let flag = r.take(1)?[0];
            let row = r.take(T::SIZE)?;
            let older = match flag {
                0 => None,
                1 => Some(T::get(row)?),
                _ => return None,
            };
            stats.push(IdStats {
                rows,
                min,
                max,
                older,
            });
        }
        let n_runs = usize::try_from(r.u64()?).ok()?;
        if n_runs > r.left() / 8 {
            return None;
        }
        let mut runs = Vec::with_capacity(n_runs);
        let mut total = 0u64;
        for _ in 0..n_runs {
            let (l, n) = (r.u32()?, r.u32()?);
            if l as usize >= n_ids {
                return None;
            }
            total += u64::from(n);
            runs.push((l, n));
        }
        let n_rows = usize::try_from(r.u64()?).ok()?;
        if total != n_rows as u64 || n_rows > r.left() / T::SIZE {
            return None;
        }
        let rows = r.take(n_rows * T::SIZE)?;
        if r.take(8)? != END || r.left() != 0 {
            return None;
        }
        Some(View {
            from,
            n_read,
            lo,
            hi,
            ids,
            stats,
            runs,
            rows,
        })
    }

    /// The entry as it was written.
    #[cfg(test)]
    fn to_entry(&self) -> Entry<T> {
        Entry {
            from: self.from,
            n_read: self.n_read,
            lo: self.lo,
            hi: self.hi,
            ids: self.ids.iter().map(|s| s.to_string()).collect(),
            stats: self.stats.clone(),
            runs: self.runs.clone(),
            rows: self
                .rows
                .chunks_exact(T::SIZE)
                .map(|r| T::get(r).expect("a row's bytes"))
                .collect(),
        }
    }
}

impl<T: CachedRow> View<'_, T> {
    /// Whether this entry can serve a load keeping rows for features from `from`, under a time
    /// limit that `admits` the part's time range.
    pub(super) fn serves(&self, from: Ts, admits: impl Fn(Ts, Ts) -> bool) -> bool {
        from >= self.from && (self.n_read == 0 || admits(self.lo, self.hi))
    }

    /// What a load for features from `from` keeps of the part, as the decoding load keeps it
    /// (the rows the table's window keeps; for events each known customer's latest older row
    /// too; rows of unknown customers counted), and the time range of the known customers' rows.
    /// `from` must be the entry's date or later ([`View::serves`]).
    pub(super) fn part_rows(&self, index: &IdIndex, from: Ts) -> (PartRows<T>, Span) {
        debug_assert!(from >= self.from);
        let known: Vec<Option<u32>> = self.ids.iter().map(|id| index.get(id).copied()).collect();
        // Count first, so the part's vectors are allocated once at their size: parts are held
        // until all are read, and grown vectors' slack was 170 MB at 3M customers.
        let rows_of = |k: usize, n: u32| {
            self.rows[k * T::SIZE..(k + n as usize) * T::SIZE]
                .chunks_exact(T::SIZE)
                .map(|r| T::get(r).expect("a row's bytes"))
        };
        let mut has_older: Vec<bool> = self.stats.iter().map(|s| s.older.is_some()).collect();
        let (mut n_kept, mut k) = (0, 0);
        for &(l, n) in &self.runs {
            if known[l as usize].is_some() {
                for r in rows_of(k, n) {
                    if r.kept(from) {
                        n_kept += 1;
                    } else if T::LATEST_OLDER {
                        has_older[l as usize] = true;
                    }
                }
            }
            k += n as usize;
        }
        let n_older = (0..self.ids.len())
            .filter(|&l| has_older[l] && known[l].is_some())
            .count();
        let mut out = PartRows::with_capacities(n_kept + n_older, self.runs.len() + n_older);
        let mut older: Vec<Option<T>> = self.stats.iter().map(|s| s.older).collect();
        let mut k = 0;
        for &(l, n) in &self.runs {
            let rows = rows_of(k, n);
            k += n as usize;
            let Some(c) = known[l as usize] else {
                continue;
            };
            for r in rows {
                if r.kept(from) {
                    out.push(Some(c), r);
                } else if T::LATEST_OLDER {
                    let o = &mut older[l as usize];
                    *o = (*o).max(Some(r));
                }
            }
        }
        let mut span = NO_SPAN;
        let mut unknown = 0usize;
        for (l, s) in self.stats.iter().enumerate() {
            match known[l] {
                Some(c) => {
                    if let Some(r) = older[l] {
                        out.push(Some(c), r);
                    }
                    if s.rows > 0 {
                        span = widen(span, (s.min, s.max));
                    }
                }
                None => unknown += s.rows as usize,
            }
        }
        out.n_read = self.n_read as usize;
        out.unknown = unknown;
        debug_assert_eq!(out.rows.len(), n_kept + n_older);
        (out, span)
    }
}

fn put_bytes(w: &mut impl Write, b: &[u8]) -> std::io::Result<()> {
    w.write_all(&(b.len() as u64).to_le_bytes())?;
    w.write_all(b)
}

/// Bounds-checked little-endian reads: any overrun is `None`.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.b.len() - self.at
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T: CachedRow>(path: &Path, key: &str) -> Option<Entry<T>> {
        let bytes = std::fs::read(path).unwrap();
        View::<T>::parse(&bytes, key).map(|v| v.to_entry())
    }

    fn entry() -> Entry<Ts> {
        let mut b = Builder::new(100, 3);
        for (l, t) in [
            (0, 50),
            (0, 120),
            (0, 90),
            (1, 10),
            (2, 200),
            (2, 130),
            (0, 101),
        ] {
            b.row(l, t);
        }
        b.finish(vec!["a".into(), "gone".into(), "c".into()])
            .expect("no overflow")
    }

    #[test]
    fn an_entry_reads_back_as_written_and_only_for_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.events");
        let e = entry();
        e.write("key", &path).unwrap();
        assert_eq!(read(&path, "key"), Some(e));
        assert_eq!(read::<Ts>(&path, "other key"), None);
        // Truncated or extended files are refused, wherever the cut.
        let bytes = std::fs::read(&path).unwrap();
        for cut in [0, 7, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert_eq!(read::<Ts>(&path, "key"), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        std::fs::write(&path, &longer).unwrap();
        assert_eq!(read::<Ts>(&path, "key"), None);
    }

    #[test]
    fn tickets_and_answers_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tickets");
        let mut b = Builder::new(1_000_000_000, 1);
        let t = |opened_at, resolved_at, priority, category| Ticket {
            opened_at,
            resolved_at,
            priority,
            category,
        };
        b.row(0, t(1_000_000_100, None, 2, 3));
        b.row(0, t(1_000_000_000, Some(1_000_000_050), 0, 1));
        // Opened and resolved long before the window: not kept.
        b.row(0, t(900_000_000, Some(900_000_001), 1, 1));
        let e = b.finish(vec!["a".into()]).unwrap();
        assert_eq!(e.rows.len(), 2);
        e.write("k", &path).unwrap();
        assert_eq!(read(&path, "k"), Some(e));
        let mut b = Builder::new(0, 2);
        let answer = |responded_at, score| NpsAnswer {
            responded_at,
            score,
        };
        b.row(1, answer(-5, 10));
        b.row(0, answer(7, 0));
        let e = b.finish(vec!["a".into(), "b".into()]).unwrap();
        e.write("k", &path).unwrap();
        assert_eq!(read(&path, "k"), Some(e));
    }

    #[test]
    fn rows_from_a_later_date_keep_what_a_decode_would() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.events");
        entry().write("key", &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let e = View::<Ts>::parse(&bytes, "key").unwrap();
        let (a, c) = ("a".to_string(), "c".to_string());
        let index: IdIndex = [(a.as_str(), 7u32), (c.as_str(), 9u32)]
            .into_iter()
            .collect();
        for from in [100, 121, 150, 300] {
            let (rows, span) = e.part_rows(&index, from);
            // What the decoding load keeps: rows from `from` on, and each customer's latest
            // older one; "gone" is not a customer, so its row is counted as unknown.
            let all = [(7, 50), (7, 120), (7, 90), (9, 200), (9, 130), (7, 101)];
            let mut want: Vec<(u32, Ts)> = all.iter().copied().filter(|r| r.1 >= from).collect();
            for c in [7, 9] {
                if let Some(t) = all
                    .iter()
                    .filter(|r| r.0 == c && r.1 < from)
                    .map(|r| r.1)
                    .max()
                {
                    want.push((c, t));
                }
            }
            want.sort();
            let grouped = super::super::group::group_parts(10, vec![rows]);
            let mut got = Vec::new();
            for c in 0..10u32 {
                for &t in grouped.of(c as usize) {
                    got.push((c, t));
                }
            }
            assert_eq!(got, want, "from {from}");
            assert_eq!(span, (50, 200));
        }
        let (rows, _) = e.part_rows(&index, 100);
        assert_eq!((rows.n_read, rows.unknown), (7, 1));
        assert!(e.serves(100, |_, _| true) && e.serves(150, |_, _| true));
        assert!(
            !e.serves(99, |_, _| true),
            "an earlier date needs dropped rows"
        );
        assert!(
            !e.serves(150, |_, hi| hi < 200),
            "a limit before the latest row"
        );
    }
}
