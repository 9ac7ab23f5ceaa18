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

/// The rows of one part that belong to known customers, with their customer indices as runs:
/// parts usually hold each customer's rows together, so a run of `(customer, rows)` costs far
/// less than an index per row (276 MB fewer for the 69M events kept at 3M customers).
pub(super) struct PartRows<T> {
    /// `(customer, number of rows)`, in row order.
    runs: Vec<(u32, u32)>,
    pub(super) rows: Vec<T>,
    /// Rows read, including those of unknown customers.
    pub(super) n_read: usize,
    pub(super) unknown: usize,
}

impl<T> PartRows<T> {
    pub(super) fn with_capacity(n: usize) -> Self {
        PartRows {
            runs: Vec::new(),
            rows: Vec::with_capacity(n),
            n_read: n,
            unknown: 0,
        }
    }

    /// Keep a row of customer `c`, or count it as unknown.
    pub(super) fn push(&mut self, c: Option<u32>, row: T) {
        let Some(c) = c else {
            self.unknown += 1;
            return;
        };
        match self.runs.last_mut() {
            Some((last, n)) if *last == c && *n < u32::MAX => *n += 1,
            _ => self.runs.push((c, 1)),
        }
        self.rows.push(row);
    }

    /// Give back the spare capacity (parts are held until every part is read).
    pub(super) fn shrink_to_fit(&mut self) {
        self.runs.shrink_to_fit();
        self.rows.shrink_to_fit();
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
        for &(c, n) in &p.runs {
            offsets[c as usize + 1] += n as usize;
        }
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let mut rows = vec![T::default(); offsets[n_customers]];
    let mut next = offsets[..n_customers].to_vec();
    for p in parts {
        let mut part_rows = p.rows.into_iter();
        for (c, n) in p.runs {
            let k = &mut next[c as usize];
            for (slot, r) in rows[*k..*k + n as usize].iter_mut().zip(&mut part_rows) {
                *slot = r;
            }
            *k += n as usize;
        }
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
