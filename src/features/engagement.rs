//! Engagement features: event counts in windows, active days, recency and trend.

use crate::data::load::History;
use crate::time::{self, Ts, SECS_PER_DAY};

/// Events of a sorted slice in `[at - days, at)`, given the index of the first event at or after `at`.
fn in_window(events: &[Ts], end_idx: usize, at: Ts, days: i64) -> usize {
    end_idx - events[..end_idx].partition_point(|&t| t < at - days * SECS_PER_DAY)
}

/// `events_7d, events_30d, events_90d, active_days_30d, days_since_last_event, events_trend_30d`.
pub fn fill(history: &History, c: usize, at: Ts, out: &mut [f64]) {
    let ev = history.events.of(c);
    let end = ev.partition_point(|&t| t < at);
    let e30 = in_window(ev, end, at, 30);
    out[0] = in_window(ev, end, at, 7) as f64;
    out[1] = e30 as f64;
    out[2] = in_window(ev, end, at, 90) as f64;
    let start30 = end - e30;
    // Events are sorted: distinct days are the changes of day along the window.
    let mut previous = None;
    out[3] = ev[start30..end]
        .iter()
        .map(|&t| time::day_of_ts(t))
        .filter(|&d| previous.replace(d) != Some(d))
        .count() as f64;
    let last = if end > 0 {
        ev[end - 1]
    } else {
        time::day_start(history.customers.signup[c])
    };
    out[4] = (at - last) as f64 / SECS_PER_DAY as f64;
    let e60 = in_window(ev, end, at, 60);
    out[5] = ((e30 as f64 + 1.0) / ((e60 - e30) as f64 + 1.0)).ln();
}
