//! Reason codes and the retention play suggested for each customer.
//!
//! A reason is a feature with a positive push on the score (its contribution, coefficient x
//! standardised value, one-hot parts summed back to their source column). The suggested action
//! is the play whose features push hardest among a customer's top reasons:
//!
//! | play | features |
//! |---|---|
//! | support follow-up | open_tickets, urgent_tickets_90d, tickets_30d, tickets_90d, mean_resolution_hours_90d |
//! | re-engagement (guided onboarding when tenure < 90 days) | events_7d, events_30d, events_90d, active_days_30d, days_since_last_event, events_trend_30d, tenure_days |
//! | feedback call | nps_last_score, nps_passive, nps_detractor, nps_promoter, nps_no_response, nps_delta, days_since_nps |
//! | renewal or loyalty offer | days_to_renewal, billing_tickets_90d, annual_contract, monthly_revenue, plan, segment |
//!
//! Features outside the table (tabular mode) count for "account review"; a customer with no
//! positive reason, or in the low risk tier, gets "monitor".

use crate::schema::feature as f;

/// A raw numeric value as shown in a reason: whole numbers without decimals, others to 2
/// places, missing as `missing`.
pub struct ReasonValue(pub f64);

impl std::fmt::Display for ReasonValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x.is_nan() {
            f.write_str("missing")
        } else if x.fract() == 0.0 && x.abs() < 1e15 {
            write!(f, "{}", x as i64)
        } else {
            write!(f, "{x:.2}")
        }
    }
}

/// The top `K` positive pushes, largest first (ties by feature name), as indices into
/// `pushes`, and how many there are (fewer than `K` when fewer pushes are positive).
pub fn top_pushes<const K: usize>(pushes: &[f64], names: &[String]) -> ([usize; K], usize) {
    let mut best = [0usize; K];
    let mut n = 0;
    let better = |a: usize, b: usize| {
        pushes[a] > pushes[b] || (pushes[a] == pushes[b] && names[a] < names[b])
    };
    for (i, &p) in pushes.iter().enumerate() {
        if p <= 0.0 || p.is_nan() {
            continue;
        }
        let mut pos = n;
        while pos > 0 && better(i, best[pos - 1]) {
            pos -= 1;
        }
        if pos == K {
            continue;
        }
        let end = if n < K { n } else { K - 1 };
        for q in (pos..end).rev() {
            best[q + 1] = best[q];
        }
        best[pos] = i;
        n = (n + 1).min(K);
    }
    (best, n)
}

/// The retention plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Play {
    SupportFollowUp,
    ReEngagement,
    GuidedOnboarding,
    FeedbackCall,
    RenewalOffer,
    AccountReview,
}

impl Play {
    /// The text shown in the list.
    pub fn label(self) -> &'static str {
        match self {
            Play::SupportFollowUp => "support follow-up",
            Play::ReEngagement => "re-engagement",
            Play::GuidedOnboarding => "guided onboarding",
            Play::FeedbackCall => "feedback call",
            Play::RenewalOffer => "renewal or loyalty offer",
            Play::AccountReview => "account review",
        }
    }
}

/// Tenure below which usage problems call for onboarding rather than re-engagement.
pub const NEW_CUSTOMER_DAYS: f64 = 90.0;

fn play_of(feature: &str, tenure_days: Option<f64>) -> Play {
    const SUPPORT: [&str; 5] = [
        f::OPEN_TICKETS,
        f::URGENT_TICKETS_90D,
        f::TICKETS_30D,
        f::TICKETS_90D,
        f::MEAN_RESOLUTION_HOURS_90D,
    ];
    const USAGE: [&str; 7] = [
        f::EVENTS_7D,
        f::EVENTS_30D,
        f::EVENTS_90D,
        f::ACTIVE_DAYS_30D,
        f::DAYS_SINCE_LAST_EVENT,
        f::EVENTS_TREND_30D,
        f::TENURE_DAYS,
    ];
    const NPS: [&str; 7] = [
        f::NPS_LAST_SCORE,
        f::NPS_PASSIVE,
        f::NPS_DETRACTOR,
        f::NPS_PROMOTER,
        f::NPS_NO_RESPONSE,
        f::NPS_DELTA,
        f::DAYS_SINCE_NPS,
    ];
    const RENEWAL: [&str; 6] = [
        f::DAYS_TO_RENEWAL,
        f::BILLING_TICKETS_90D,
        f::ANNUAL_CONTRACT,
        f::MONTHLY_REVENUE,
        f::PLAN,
        f::SEGMENT,
    ];
    if SUPPORT.contains(&feature) {
        Play::SupportFollowUp
    } else if USAGE.contains(&feature) {
        if tenure_days.is_some_and(|t| t < NEW_CUSTOMER_DAYS) {
            Play::GuidedOnboarding
        } else {
            Play::ReEngagement
        }
    } else if NPS.contains(&feature) {
        Play::FeedbackCall
    } else if RENEWAL.contains(&feature) {
        Play::RenewalOffer
    } else {
        Play::AccountReview
    }
}

/// The play whose reasons push hardest in total (ties: the play of the first reason), given
/// the reasons as (feature, push), largest first.
pub fn suggest_action(reasons: &[(&str, f64)], tenure_days: Option<f64>) -> &'static str {
    let mut totals: [(Play, f64); 3] = [(Play::AccountReview, 0.0); 3];
    let mut n = 0;
    for &(feature, push) in reasons.iter().take(3) {
        let p = play_of(feature, tenure_days);
        match totals[..n].iter_mut().find(|(q, _)| *q == p) {
            Some((_, s)) => *s += push,
            None => {
                totals[n] = (p, push);
                n += 1;
            }
        }
    }
    let totals = &totals[..n];
    // Strictly greater keeps the earliest (largest single reason's) play on ties.
    let best = totals
        .iter()
        .fold(None::<(Play, f64)>, |acc, &(p, s)| match acc {
            Some((_, b)) if s <= b => acc,
            _ => Some((p, s)),
        });
    best.map_or("monitor", |(p, _)| p.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(feature: &str, push: f64) -> (&str, f64) {
        (feature, push)
    }

    #[test]
    fn formats_raw_values_for_reasons() {
        assert_eq!(ReasonValue(4.0).to_string(), "4");
        assert_eq!(ReasonValue(2.456).to_string(), "2.46");
        assert_eq!(ReasonValue(f64::NAN).to_string(), "missing");
    }

    #[test]
    fn top_pushes_keep_only_positive_ones_largest_first_ties_by_name() {
        let names: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec();
        let (best, n) = top_pushes::<3>(&[0.1, -0.5, 0.7, 0.3, 0.3, 0.05], &names);
        assert_eq!(&best[..n], [2, 3, 4]);
        let (best, n) = top_pushes::<3>(&[0.2, 0.9, 0.1, 0.5, 0.8, 0.3], &names);
        assert_eq!(&best[..n], [1, 4, 3]);
        let (_, n) = top_pushes::<3>(&[-0.1, 0.0, f64::NAN], &names[..3]);
        assert_eq!(n, 0);
        let (best, n) = top_pushes::<3>(&[0.0, 0.4], &names[..2]);
        assert_eq!(&best[..n], [1]);
    }

    #[test]
    fn actions_follow_the_table() {
        assert_eq!(
            suggest_action(&[r("open_tickets", 0.5), r("events_30d", 0.2)], Some(400.0)),
            "support follow-up"
        );
        assert_eq!(
            suggest_action(&[r("events_30d", 0.4), r("nps_passive", 0.3)], Some(400.0)),
            "re-engagement"
        );
        assert_eq!(
            suggest_action(&[r("days_since_last_event", 0.4)], Some(30.0)),
            "guided onboarding"
        );
        assert_eq!(
            suggest_action(
                &[
                    r("nps_passive", 0.3),
                    r("nps_delta", 0.3),
                    r("open_tickets", 0.5)
                ],
                None
            ),
            "feedback call"
        );
        assert_eq!(
            suggest_action(
                &[r("days_to_renewal", 0.3), r("billing_tickets_90d", 0.2)],
                None
            ),
            "renewal or loyalty offer"
        );
        assert_eq!(
            suggest_action(&[r("Contract", 0.3)], None),
            "account review"
        );
        assert_eq!(suggest_action(&[], None), "monitor");
    }
}
