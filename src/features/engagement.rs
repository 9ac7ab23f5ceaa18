//! Engagement features: event counts in windows, active days, recency and trend.

use crate::data::history::History;
use crate::schema::feature;
use crate::time::{self, Ts, SECS_PER_DAY};

/// The engagement features of one customer at one cutoff.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Engagement {
    pub events_7d: f64,
    pub events_30d: f64,
    pub events_90d: f64,
    pub active_days_30d: f64,
    pub days_since_last_event: f64,
    pub events_trend_30d: f64,
}

impl Engagement {
    /// Each feature with its public name, in contract order.
    pub fn named(&self) -> [(&'static str, f64); 6] {
        [
            (feature::EVENTS_7D, self.events_7d),
            (feature::EVENTS_30D, self.events_30d),
            (feature::EVENTS_90D, self.events_90d),
            (feature::ACTIVE_DAYS_30D, self.active_days_30d),
            (feature::DAYS_SINCE_LAST_EVENT, self.days_since_last_event),
            (feature::EVENTS_TREND_30D, self.events_trend_30d),
        ]
    }
}

/// Events of a sorted slice in `[at - days, at)`, given the index of the first event at or after `at`.
fn in_window(events: &[Ts], end_idx: usize, at: Ts, days: i64) -> usize {
    end_idx - events[..end_idx].partition_point(|&t| t < at - days * SECS_PER_DAY)
}

/// The engagement features of customer `c` at `at`.
pub fn engagement(history: &History, c: usize, at: Ts) -> Engagement {
    let ev = history.events.of(c);
    let end = ev.partition_point(|&t| t < at);
    let e30 = in_window(ev, end, at, 30);
    let start30 = end - e30;
    // Events are sorted: distinct days are the changes of day along the window.
    let mut previous = None;
    let active_days_30d = ev[start30..end]
        .iter()
        .map(|&t| time::day_of_ts(t))
        .filter(|&d| previous.replace(d) != Some(d))
        .count() as f64;
    let last = if end > 0 {
        ev[end - 1]
    } else {
        time::day_start(history.customers.signup[c])
    };
    let e60 = in_window(ev, end, at, 60);
    Engagement {
        events_7d: in_window(ev, end, at, 7) as f64,
        events_30d: e30 as f64,
        events_90d: in_window(ev, end, at, i64::from(super::MAX_WINDOW_DAYS)) as f64,
        active_days_30d,
        days_since_last_event: (at - last) as f64 / SECS_PER_DAY as f64,
        events_trend_30d: ((e30 as f64 + 1.0) / ((e60 - e30) as f64 + 1.0)).ln(),
    }
}
