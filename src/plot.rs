//! Shared plotting setup: the embedded font and common chart helpers (plotters).
