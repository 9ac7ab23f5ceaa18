//! Point-in-time features and labels. Event mode snapshots a loaded history at cutoffs `T`
//! (features see only rows before `T`, labels only `[T, T + H)`); tabular mode reads one row per
//! customer. Both produce a [`crate::frame::FeatureTable`].

pub mod account;
pub mod engagement;
pub mod nps;
pub mod output;
pub mod read;
pub mod snapshot;
pub mod support;
pub mod tabular;

/// The longest window a feature looks back over, in days (`events_90d` and the 90-day ticket
/// counts); older rows matter only as the last event before `T`.
pub const MAX_WINDOW_DAYS: crate::time::Day = 90;

pub use snapshot::{build_features, build_features_with, FeatureSpec, LabelDefinition};

#[cfg(test)]
mod tests;
