//! Point-in-time features and labels: event mode (snapshots of the history) and tabular mode.

pub mod tabular;
