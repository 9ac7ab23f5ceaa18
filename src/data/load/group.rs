//! Customer ids to table positions, and per-part rows grouped into per-customer slices sorted by
//! time (a counting sort by customer, then a sort of each customer's short slice).

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::data::history::Grouped;

/// Customer id -> position in the customers table. Ids are short strings looked up once per row:
/// FxHash (the Rust compiler's hasher), since SipHash's resistance to crafted keys costs a sizeable
/// share of load time and buys nothing here.
pub(super) type IdIndex<'a> = FxHashMap<&'a str, u32>;

pub(super) fn id_index(ids: &[String]) -> IdIndex<'_> {
    let mut index = IdIndex::with_capacity_and_hasher(ids.len(), Default::default());
    for (i, id) in ids.iter().enumerate() {
        index.insert(id.as_str(), i as u32);
    }
    index
}

/// The rows of one part that belong to known customers, with their customers: as runs of
/// `(customer, rows)` while the part keeps each customer's rows together (the usual layout: 276 MB
/// fewer than an index per row for the 69M events kept at 3M customers), as an index per row once
/// runs would cost more (rows in time order, customers interleaved).
pub(super) struct PartRows<T> {
    owners: Owners,
    pub(super) rows: Vec<T>,
    /// Rows read, including those of unknown customers.
    pub(super) n_read: usize,
    pub(super) unknown: usize,
}

/// The customer of each row of a [`PartRows`].
enum Owners {
    /// `(customer, number of rows)`, in row order.
    Runs(Vec<(u32, u32)>),
    /// One customer per row.
    Each(Vec<u32>),
}

/// Runs are kept while there are fewer than one per two rows (a run is 8 bytes, an index 4), or
/// fewer than this many.
const MIN_RUNS_CHECKED: usize = 1024;

impl<T> PartRows<T> {
    pub(super) fn with_capacity(n: usize) -> Self {
        PartRows {
            owners: Owners::Runs(Vec::new()),
            rows: Vec::with_capacity(n),
            n_read: n,
            unknown: 0,
        }
    }

    /// Room for `rows` rows in `runs` runs (a part whose counts are known: a cache entry, which
    /// sets `n_read` and `unknown` itself).
    pub(super) fn with_capacities(rows: usize, runs: usize) -> Self {
        PartRows {
            owners: Owners::Runs(Vec::with_capacity(runs)),
            rows: Vec::with_capacity(rows),
            n_read: 0,
            unknown: 0,
        }
    }

    /// Keep a row of customer `c`, or count it as unknown.
    pub(super) fn push(&mut self, c: Option<u32>, row: T) {
        let Some(c) = c else {
            self.unknown += 1;
            return;
        };
        match &mut self.owners {
            Owners::Each(each) => each.push(c),
            Owners::Runs(runs) => {
                let (n_runs, n_rows) = (runs.len(), self.rows.len());
                match runs.last_mut() {
                    Some((last, n)) if *last == c && *n < u32::MAX => *n += 1,
                    _ if n_runs >= MIN_RUNS_CHECKED && 2 * n_runs > n_rows => {
                        let mut each = Vec::with_capacity(self.rows.capacity());
                        for &(c, n) in runs.iter() {
                            each.extend(std::iter::repeat_n(c, n as usize));
                        }
                        each.push(c);
                        self.owners = Owners::Each(each);
                    }
                    _ => runs.push((c, 1)),
                }
            }
        }
        self.rows.push(row);
    }

    /// Give back the spare capacity (parts are held until every part is read).
    pub(super) fn shrink_to_fit(&mut self) {
        match &mut self.owners {
            Owners::Runs(runs) => runs.shrink_to_fit(),
            Owners::Each(each) => each.shrink_to_fit(),
        }
        self.rows.shrink_to_fit();
    }

    /// Add each customer's number of rows to `counts[customer + 1]`.
    fn count_into(&self, counts: &mut [usize]) {
        match &self.owners {
            Owners::Runs(runs) => runs
                .iter()
                .for_each(|&(c, n)| counts[c as usize + 1] += n as usize),
            Owners::Each(each) => each.iter().for_each(|&c| counts[c as usize + 1] += 1),
        }
    }

    /// Move the rows to `out`, each customer's at its `next` position (advanced past them).
    fn place(self, out: &mut [T], next: &mut [usize]) {
        let mut rows = self.rows.into_iter();
        match self.owners {
            Owners::Runs(runs) => {
                for (c, n) in runs {
                    let k = &mut next[c as usize];
                    for (slot, r) in out[*k..*k + n as usize].iter_mut().zip(&mut rows) {
                        *slot = r;
                    }
                    *k += n as usize;
                }
            }
            Owners::Each(each) => {
                for (c, r) in each.into_iter().zip(rows) {
                    let k = &mut next[c as usize];
                    out[*k] = r;
                    *k += 1;
                }
            }
        }
    }
}

/// Rows tagged with their customer index, grouped into per-customer slices sorted by time.
pub fn group<T: Ord + Send + Copy + Default>(
    n_customers: usize,
    rows: Vec<(u32, T)>,
) -> Grouped<T> {
    let mut part = PartRows::with_capacity(rows.len());
    for (c, r) in rows {
        part.push(Some(c), r);
    }
    group_parts(n_customers, vec![part])
}

/// Per-part rows grouped into per-customer slices sorted by time: a counting sort by customer
/// (each part freed once placed), then a sort of each customer's short slice.
pub(super) fn group_parts<T: Ord + Send + Copy + Default>(
    n_customers: usize,
    parts: Vec<PartRows<T>>,
) -> Grouped<T> {
    let mut offsets = vec![0usize; n_customers + 1];
    for p in &parts {
        p.count_into(&mut offsets);
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let mut rows = vec![T::default(); offsets[n_customers]];
    let mut next = offsets[..n_customers].to_vec();
    for p in parts {
        p.place(&mut rows, &mut next);
    }
    sort_each_customer(&offsets, &mut rows);
    Grouped { offsets, rows }
}

/// Sort every customer's slice. Slices are independent: blocks of customers sort in parallel.
fn sort_each_customer<T: Ord + Send>(offsets: &[usize], rows: &mut [T]) {
    let n = offsets.len() - 1;
    let block = (n / (8 * rayon::current_num_threads())).max(1024);
    let mut blocks = Vec::new();
    let mut rest = rows;
    for first in (0..n).step_by(block) {
        let end = (first + block).min(n);
        let (head, tail) = rest.split_at_mut(offsets[end] - offsets[first]);
        blocks.push((first, end, head));
        rest = tail;
    }
    blocks.into_par_iter().for_each(|(first, end, slice)| {
        let base = offsets[first];
        for c in first..end {
            slice[offsets[c] - base..offsets[c + 1] - base].sort_unstable();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of customers in runs, then interleaved (a part in time order): the runs give way to
    /// an index per row, and the grouping equals a plain sort either way.
    #[test]
    fn runs_and_indices_group_the_same() {
        let n_customers = 40;
        let mut rows: Vec<(u32, i64)> = Vec::new();
        for c in 0..n_customers {
            rows.extend((0..60).map(|k| (c, (k * 7919 + c as i64 * 31) % 1000)));
        }
        let runs_only = rows.len();
        rows.extend((0..5000).map(|k| ((k * 13 % n_customers as i64) as u32, k % 977)));
        let mut part = PartRows::with_capacity(rows.len());
        let mut switched_at = None;
        for (i, &(c, t)) in rows.iter().enumerate() {
            part.push(Some(c), t);
            if switched_at.is_none() && matches!(part.owners, Owners::Each(_)) {
                switched_at = Some(i);
            }
        }
        let at = switched_at.expect("interleaved rows switch to an index per row");
        assert!(at > runs_only, "{at}");
        let mut expected = rows.clone();
        expected.sort();
        let g = group_parts(n_customers as usize, vec![part]);
        for c in 0..n_customers {
            let want: Vec<i64> = expected.iter().filter(|r| r.0 == c).map(|r| r.1).collect();
            assert_eq!(g.of(c as usize), want, "customer {c}");
        }
        // A part that keeps its runs groups the same.
        let mut part = PartRows::with_capacity(runs_only);
        rows[..runs_only]
            .iter()
            .for_each(|&(c, t)| part.push(Some(c), t));
        assert!(matches!(part.owners, Owners::Runs(_)));
        let g = group_parts(n_customers as usize, vec![part]);
        let mut first: Vec<(u32, i64)> = rows[..runs_only].to_vec();
        first.sort();
        let flat: Vec<(u32, i64)> = (0..n_customers)
            .flat_map(|c| g.of(c as usize).iter().map(move |&t| (c, t)))
            .collect();
        assert_eq!(flat, first);
    }
}
