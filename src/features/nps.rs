//! NPS features: the latest answer before `T` (ties at one timestamp: the lower score), its
//! class (passive 7-8, detractor 0-6, promoter 9-10), change and age.

use crate::data::load::History;
use crate::time::{Ts, SECS_PER_DAY};

/// `nps_last_score, nps_passive, nps_detractor, nps_promoter, nps_no_response, nps_delta,
/// days_since_nps`. With no NPS table every one is zero ("no such signal", contract section 1).
pub fn fill(history: &History, c: usize, at: Ts, out: &mut [f64]) {
    let Some(nps) = &history.nps else { return };
    let answers = nps.of(c);
    let end = answers.partition_point(|a| a.responded_at < at);
    if end == 0 {
        out[0] = f64::NAN;
        out[4] = 1.0;
        out[6] = f64::NAN;
        return;
    }
    // Answers are sorted by (time, score): the first answer at the latest time has the lowest score.
    let last_time = answers[end - 1].responded_at;
    let first_at_last = answers[..end].partition_point(|a| a.responded_at < last_time);
    let last = answers[first_at_last];
    let score = last.score as f64;
    out[0] = score;
    out[1] = f64::from(u8::from((7..=8).contains(&last.score)));
    out[2] = f64::from(u8::from(last.score <= 6));
    out[3] = f64::from(u8::from(last.score >= 9));
    out[4] = 0.0;
    out[5] = if first_at_last == 0 {
        0.0
    } else {
        // The answer before it: the latest earlier time, again the lower score on ties.
        let prev_time = answers[first_at_last - 1].responded_at;
        let prev =
            answers[answers[..first_at_last].partition_point(|a| a.responded_at < prev_time)];
        score - prev.score as f64
    };
    out[6] = (at - last_time) as f64 / SECS_PER_DAY as f64;
}
