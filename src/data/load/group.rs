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

/// The rows of one part that belong to known customers, with their customer indices.
pub(super) struct PartRows<T> {
    pub(super) customers: Vec<u32>,
    pub(super) rows: Vec<T>,
    /// Rows read, including those of unknown customers.
    pub(super) n_read: usize,
    pub(super) unknown: usize,
}

impl<T> PartRows<T> {
    pub(super) fn with_capacity(n: usize) -> Self {
        PartRows {
            customers: Vec::with_capacity(n),
            rows: Vec::with_capacity(n),
            n_read: n,
            unknown: 0,
        }
    }

    /// Keep a row of customer `c`, or count it as unknown.
    pub(super) fn push(&mut self, c: Option<u32>, row: T) {
        match c {
            Some(c) => {
                self.customers.push(c);
                self.rows.push(row);
            }
            None => self.unknown += 1,
        }
    }
}

/// Rows tagged with their customer index, grouped into per-customer slices sorted by time.
pub fn group<T: Ord + Send + Copy + Default>(
    n_customers: usize,
    rows: Vec<(u32, T)>,
) -> Grouped<T> {
    let n_read = rows.len();
    let (customers, rows) = rows.into_iter().unzip();
    let part = PartRows {
        customers,
        rows,
        n_read,
        unknown: 0,
    };
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
        for &c in &p.customers {
            offsets[c as usize + 1] += 1;
        }
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let mut rows = vec![T::default(); offsets[n_customers]];
    let mut next = offsets[..n_customers].to_vec();
    for p in parts {
        for (c, r) in p.customers.into_iter().zip(p.rows) {
            let k = &mut next[c as usize];
            rows[*k] = r;
            *k += 1;
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
