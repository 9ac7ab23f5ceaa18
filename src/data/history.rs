//! The loaded history: customers with their events, tickets and NPS answers grouped per customer
//! and sorted by time. These are the domain types that features read; [`super::load`] builds them
//! from the tables and validates every cell on the way.

use rustc_hash::FxHashMap;

use crate::time::{Day, Ts};

/// The customers table, one entry per customer, indexed by position.
#[derive(Debug, Clone, Default)]
pub struct Customers {
    pub ids: Vec<String>,
    pub signup: Vec<Day>,
    pub plan: Texts,
    pub segment: Texts,
    /// The account's customer-success manager (the optional `owner` column).
    pub owner: Texts,
    pub monthly_revenue: Vec<f64>,
    pub contract_months: Vec<u32>,
    /// First day the customer is gone, from the churn table.
    pub churned_at: Vec<Option<Day>>,
}

impl Customers {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no customers.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A text column with few distinct values (plans, segments, owners), one code per row: a
/// million customers cost 4 bytes each instead of a string each (0.25 GB at 3M customers). Each
/// distinct value is kept once, plus a copy in the lookup while rows are pushed (see
/// [`Texts::seal`]).
#[derive(Debug, Clone, Default)]
pub struct Texts {
    values: Vec<String>,
    codes: Vec<u32>,
    /// Value -> code, for `push`; empty once sealed (rebuilt by the next `push`).
    lookup: FxHashMap<String, u32>,
}

/// Equal when every row's value is.
impl PartialEq for Texts {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

/// The code of a missing value.
const MISSING: u32 = u32::MAX;

impl Texts {
    /// `n` rows of one value.
    pub fn repeat(value: Option<&str>, n: usize) -> Self {
        let mut t = Texts::default();
        t.push(value);
        t.codes.resize(n, t.codes[0]);
        t.seal();
        t
    }

    /// Free the lookup and spare capacity once every row is pushed.
    pub fn seal(&mut self) {
        self.lookup = FxHashMap::default();
        self.codes.shrink_to_fit();
    }

    /// Row `i`'s value; `None` where it is missing.
    ///
    /// # Panics
    /// When `i` is not a row.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self.codes[i] {
            MISSING => None,
            k => Some(&self.values[k as usize]),
        }
    }

    /// Append a row.
    pub fn push(&mut self, value: Option<&str>) {
        if self.lookup.len() < self.values.len() {
            let pairs = self.values.iter().enumerate();
            self.lookup = pairs.map(|(k, v)| (v.clone(), k as u32)).collect();
        }
        let code = match value {
            None => MISSING,
            Some(v) => match self.lookup.get(v) {
                Some(&k) => k,
                None => {
                    let k = self.values.len() as u32;
                    self.values.push(v.to_string());
                    self.lookup.insert(v.to_string(), k);
                    k
                }
            },
        };
        self.codes.push(code);
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

impl<'a> Extend<Option<&'a str>> for Texts {
    fn extend<I: IntoIterator<Item = Option<&'a str>>>(&mut self, iter: I) {
        iter.into_iter().for_each(|v| self.push(v));
    }
}

impl<'a> FromIterator<Option<&'a str>> for Texts {
    fn from_iter<I: IntoIterator<Item = Option<&'a str>>>(iter: I) -> Self {
        let mut t = Texts::default();
        t.extend(iter);
        t.seal();
        t
    }
}

/// Per-customer rows in compressed form: rows of customer `c` are `offsets[c]..offsets[c + 1]`.
#[derive(Debug, Clone, Default)]
pub struct Grouped<T> {
    pub offsets: Vec<usize>,
    pub rows: Vec<T>,
}

impl<T> Grouped<T> {
    /// The rows of customer `c`.
    pub fn of(&self, c: usize) -> &[T] {
        &self.rows[self.offsets[c]..self.offsets[c + 1]]
    }
}

/// One ticket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket {
    pub opened_at: Ts,
    pub resolved_at: Option<Ts>,
    /// Index into `schema::PRIORITIES`.
    pub priority: u8,
    /// Index into `schema::CATEGORIES`.
    pub category: u8,
}

/// One NPS answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct NpsAnswer {
    pub responded_at: Ts,
    pub score: u8,
}

/// Rows per table and other facts for `churn validate`'s summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoadSummary {
    /// (table, rows read) for each table present.
    pub rows: Vec<(String, usize)>,
    /// Optional tables that are absent.
    pub absent: Vec<String>,
    /// Warnings (rows of unknown customers, ...).
    pub warnings: Vec<String>,
    /// Earliest and latest time in any table.
    pub first: Ts,
    pub last: Ts,
    /// With a cache: parts read from it, and entries written to it.
    #[serde(skip)]
    pub cache: (usize, usize),
}

/// A validated history: customers plus their events, tickets and NPS answers, each sorted by time.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub customers: Customers,
    /// Event timestamps per customer, ascending.
    pub events: Grouped<Ts>,
    /// Tickets per customer, by `opened_at`; `None` when the table is absent.
    pub tickets: Option<Grouped<Ticket>>,
    /// NPS answers per customer, by time then score; `None` when the table is absent.
    pub nps: Option<Grouped<NpsAnswer>>,
    /// Whether a churn table was present.
    pub has_churn: bool,
    /// End of the data: the latest time in any table, or with a given `data_end` date the start
    /// of the day after it (the data covers that whole day). A cutoff's labels are complete
    /// when `T + H <= data_end`.
    pub data_end: Ts,
    pub summary: LoadSummary,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_keep_each_row_and_each_distinct_value_once() {
        let rows = [
            Some("pro"),
            None,
            Some("basic"),
            Some("pro"),
            Some(""),
            None,
        ];
        let t: Texts = rows.iter().copied().collect();
        assert_eq!(t.len(), rows.len());
        assert_eq!((0..t.len()).map(|i| t.get(i)).collect::<Vec<_>>(), rows);
        assert_eq!(t.values, ["pro", "basic", ""]);
        let r = Texts::repeat(Some("x"), 3);
        assert_eq!((r.len(), r.get(2), r.values.len()), (3, Some("x"), 1));
        assert!(Texts::repeat(None, 0).is_empty());
        assert_eq!(Texts::repeat(None, 2).get(1), None);
        // Sealed: no lookup; a later push still finds the values there are.
        let mut t = t;
        assert!(t.lookup.is_empty());
        t.push(Some("basic"));
        assert_eq!((t.get(6), t.values.len()), (Some("basic"), 3));
        assert_eq!(Texts::repeat(Some("x"), 0), Texts::default());
    }
}
