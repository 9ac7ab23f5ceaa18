//! The hand-off between feature extraction and modelling: a column-oriented table of
//! (customer, as-of) rows with named features and an optional label. Polars stays upstream.

use crate::time::Day;

/// Values of one feature column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers; `NaN` means missing (an empty cell).
    Numeric(Vec<f64>),
    /// Categories; `None` means missing.
    Categorical(Vec<Option<String>>),
}

impl ColumnValues {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Numeric(v) => v.len(),
            ColumnValues::Categorical(v) => v.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One named feature column.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureColumn {
    /// Public feature name (contract name in event mode, source header in tabular mode).
    pub name: String,
    /// The values.
    pub values: ColumnValues,
}

/// Rows of (customer, as-of) with features and labels, column-oriented.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureTable {
    /// Customer id per row.
    pub ids: Vec<String>,
    /// As-of date per row; `None` in tabular mode.
    pub as_of: Vec<Option<Day>>,
    /// Feature columns, in output order.
    pub columns: Vec<FeatureColumn>,
    /// Label per row: `Some(true)` churned, `None` when the label window is incomplete or unknown.
    pub labels: Vec<Option<bool>>,
}

impl FeatureTable {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.ids.len()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    /// The column called `name`, if any.
    pub fn column(&self, name: &str) -> Option<&FeatureColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Feature names in order.
    pub fn feature_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// A new table holding only the rows at `idx`, in that order.
    pub fn take(&self, idx: &[usize]) -> FeatureTable {
        let columns = self
            .columns
            .iter()
            .map(|c| FeatureColumn {
                name: c.name.clone(),
                values: match &c.values {
                    ColumnValues::Numeric(v) => {
                        ColumnValues::Numeric(idx.iter().map(|&i| v[i]).collect())
                    }
                    ColumnValues::Categorical(v) => {
                        ColumnValues::Categorical(idx.iter().map(|&i| v[i].clone()).collect())
                    }
                },
            })
            .collect();
        FeatureTable {
            ids: idx.iter().map(|&i| self.ids[i].clone()).collect(),
            as_of: idx.iter().map(|&i| self.as_of[i]).collect(),
            columns,
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// Indices of rows whose label is known.
    pub fn labelled_rows(&self) -> Vec<usize> {
        (0..self.n_rows())
            .filter(|&i| self.labels[i].is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_selects_rows_in_order() {
        let t = FeatureTable {
            ids: vec!["a".into(), "b".into(), "c".into()],
            as_of: vec![None; 3],
            columns: vec![
                FeatureColumn {
                    name: "x".into(),
                    values: ColumnValues::Numeric(vec![1.0, 2.0, 3.0]),
                },
                FeatureColumn {
                    name: "plan".into(),
                    values: ColumnValues::Categorical(vec![
                        Some("a".into()),
                        None,
                        Some("c".into()),
                    ]),
                },
            ],
            labels: vec![Some(true), None, Some(false)],
        };
        let s = t.take(&[2, 0]);
        assert_eq!(s.ids, vec!["c", "a"]);
        assert_eq!(s.columns[0].values, ColumnValues::Numeric(vec![3.0, 1.0]));
        assert_eq!(s.labelled_rows(), vec![0, 1]);
    }
}
