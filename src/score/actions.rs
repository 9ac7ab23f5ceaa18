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

/// One reason: a feature, its raw value as text, and its push on the log-odds.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub feature: String,
    pub value: String,
    pub push: f64,
}

impl Reason {
    /// `open_tickets=4 (+0.61)`.
    pub fn render(&self) -> String {
        format!("{}={} ({:+.2})", self.feature, self.value, self.push)
    }
}

/// Format a raw numeric value for a reason: whole numbers without decimals, others to 2 places,
/// missing as `missing`.
pub fn format_value(x: f64) -> String {
    if x.is_nan() {
        "missing".into()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}

/// The top `k` positive contributions, largest first (ties by feature name).
pub fn top_reasons(mut candidates: Vec<Reason>, k: usize) -> Vec<Reason> {
    candidates.retain(|r| r.push > 0.0);
    candidates.sort_by(|a, b| {
        b.push
            .total_cmp(&a.push)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    candidates.truncate(k);
    candidates
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

/// The play whose reasons push hardest in total (ties: the play of the first reason).
pub fn suggest_action(reasons: &[Reason], tenure_days: Option<f64>) -> &'static str {
    let mut totals: Vec<(Play, f64)> = Vec::new();
    for r in reasons {
        let p = play_of(&r.feature, tenure_days);
        match totals.iter_mut().find(|(q, _)| *q == p) {
            Some((_, s)) => *s += r.push,
            None => totals.push((p, r.push)),
        }
    }
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

    fn r(feature: &str, push: f64) -> Reason {
        Reason {
            feature: feature.into(),
            value: "1".into(),
            push,
        }
    }

    #[test]
    fn renders_like_the_contract_example() {
        let reason = Reason {
            feature: "open_tickets".into(),
            value: format_value(4.0),
            push: 0.6149,
        };
        assert_eq!(reason.render(), "open_tickets=4 (+0.61)");
        assert_eq!(format_value(2.456), "2.46");
        assert_eq!(format_value(f64::NAN), "missing");
    }

    #[test]
    fn top_reasons_keep_only_positive_pushes_largest_first() {
        let top = top_reasons(
            vec![
                r("a", 0.1),
                r("b", -0.5),
                r("c", 0.7),
                r("d", 0.3),
                r("e", 0.2),
            ],
            3,
        );
        let names: Vec<&str> = top.iter().map(|x| x.feature.as_str()).collect();
        assert_eq!(names, ["c", "d", "e"]);
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
