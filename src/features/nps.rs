//! NPS features: answers before `T` in the contract's order (by time; at equal times the lower
//! score counts as the later), the last one's score and class (passive 7-8, detractor 0-6,
//! promoter 9-10), its change from the one before it in that order, and its age.

use crate::data::history::History;
use crate::schema::feature;
use crate::time::{Ts, SECS_PER_DAY};

/// The NPS features of one customer at one cutoff (NaN where the contract says empty).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Nps {
    pub nps_last_score: f64,
    pub nps_passive: f64,
    pub nps_detractor: f64,
    pub nps_promoter: f64,
    pub nps_no_response: f64,
    pub nps_delta: f64,
    pub days_since_nps: f64,
}

impl Nps {
    /// Each feature with its public name, in contract order.
    pub fn named(&self) -> [(&'static str, f64); 7] {
        [
            (feature::NPS_LAST_SCORE, self.nps_last_score),
            (feature::NPS_PASSIVE, self.nps_passive),
            (feature::NPS_DETRACTOR, self.nps_detractor),
            (feature::NPS_PROMOTER, self.nps_promoter),
            (feature::NPS_NO_RESPONSE, self.nps_no_response),
            (feature::NPS_DELTA, self.nps_delta),
            (feature::DAYS_SINCE_NPS, self.days_since_nps),
        ]
    }
}

/// The NPS features of customer `c` at `at`. With no NPS table every one is zero ("no such
/// signal", contract section 1).
pub fn nps(history: &History, c: usize, at: Ts) -> Nps {
    let Some(nps) = &history.nps else {
        return Nps::default();
    };
    let answers = nps.of(c);
    let end = answers.partition_point(|a| a.responded_at < at);
    if end == 0 {
        return Nps {
            nps_last_score: f64::NAN,
            nps_no_response: 1.0,
            days_since_nps: f64::NAN,
            ..Nps::default()
        };
    }
    // Answers are sorted by (time, score): the first answer at the latest time has the lowest score.
    let last_time = answers[end - 1].responded_at;
    let first_at_last = answers[..end].partition_point(|a| a.responded_at < last_time);
    let last = answers[first_at_last];
    let score = last.score as f64;
    let flag = |b: bool| f64::from(u8::from(b));
    // The contract's order: by time, and at equal times the lower score counts as the later.
    // Stored (time, score) ascending, the last in that order is the first at the latest time,
    // and the one before it is the next at that same time, else the first at the time before.
    let before = if first_at_last + 1 < end {
        Some(answers[first_at_last + 1])
    } else if first_at_last > 0 {
        let prev_time = answers[first_at_last - 1].responded_at;
        Some(answers[answers[..first_at_last].partition_point(|a| a.responded_at < prev_time)])
    } else {
        None
    };
    let nps_delta = before.map_or(0.0, |b| score - b.score as f64);
    Nps {
        nps_last_score: score,
        nps_passive: flag((7..=8).contains(&last.score)),
        nps_detractor: flag(last.score <= 6),
        nps_promoter: flag(last.score >= 9),
        nps_no_response: 0.0,
        nps_delta,
        days_since_nps: (at - last_time) as f64 / SECS_PER_DAY as f64,
    }
}
