//! Reason codes and the retention play suggested for each customer.
//!
//! Reasons are by signal group: a group's push is the sum of its features' pushes (coefficient x
//! standardised value, one-hot parts summed back to their source column), so collinear features
//! count once. A group with a positive push is a reason when one of its features has a value on
//! the risky side of that feature's own relationship with churn (its [`FeatureProfile`]); that
//! feature, the one pushing hardest among those, represents the group, shown with the typical
//! value: `events_30d=2 (typical 38) (+0.61)`. The play comes from the strongest reason whose group
//! a CS team can act on:
//!
//! | group | features | play |
//! |---|---|---|
//! | support | open_tickets, urgent_tickets_90d, tickets_30d, tickets_90d, mean_resolution_hours_90d | support follow-up |
//! | engagement | events_7d, events_30d, events_90d, active_days_30d, days_since_last_event, events_trend_30d | re-engagement (guided onboarding when tenure < 90 days) |
//! | NPS | nps_last_score, nps_passive, nps_detractor, nps_promoter, nps_no_response, nps_delta, days_since_nps | feedback call |
//! | price and billing | billing_tickets_90d, monthly_revenue, plan | renewal or loyalty offer |
//! | account and renewal (timing, not a cause) | tenure_days, days_to_renewal, annual_contract, segment | none |
//! | other (a table's own columns, one group each, unless their names place them above: see [`NAME_KEYWORDS`]) | | none |
//!
//! A customer whose reasons are all timing or other columns, or who has no reason the data
//! supports, gets "account review"; the low risk tier gets "monitor".

use crate::model::artifact::FeatureProfile;

use crate::schema::feature as f;

/// A raw numeric value as shown in a reason: whole numbers without decimals, others to 2
/// places by [`crate::util::fmt2`] (a rule SQL engines reproduce), missing as `missing`.
pub struct ReasonValue(pub f64);

impl std::fmt::Display for ReasonValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x.is_nan() {
            f.write_str("missing")
        } else if x.fract() == 0.0 && x.abs() < 1e15 {
            write!(f, "{}", x as i64)
        } else {
            f.write_str(&crate::util::fmt2(x, false))
        }
    }
}

/// The top `K` positive pushes, largest first (ties by feature name), as indices into
/// `pushes`, and how many there are (fewer than `K` when fewer pushes are positive).
pub fn top_pushes<const K: usize, S: AsRef<str>>(
    pushes: &[f64],
    names: &[S],
) -> ([usize; K], usize) {
    let mut best = [0usize; K];
    let mut n = 0;
    let better = |a: usize, b: usize| {
        pushes[a] > pushes[b] || (pushes[a] == pushes[b] && names[a].as_ref() < names[b].as_ref())
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

/// The signal groups reasons are built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalGroup {
    Engagement,
    Support,
    Nps,
    Billing,
    Account,
    /// A column outside the contract's features (tabular mode): a group of its own.
    Other,
}

/// The group of a source feature.
pub fn signal_group(feature: &str) -> SignalGroup {
    const ENGAGEMENT: [&str; 6] = [
        f::EVENTS_7D,
        f::EVENTS_30D,
        f::EVENTS_90D,
        f::ACTIVE_DAYS_30D,
        f::DAYS_SINCE_LAST_EVENT,
        f::EVENTS_TREND_30D,
    ];
    const SUPPORT: [&str; 5] = [
        f::OPEN_TICKETS,
        f::URGENT_TICKETS_90D,
        f::TICKETS_30D,
        f::TICKETS_90D,
        f::MEAN_RESOLUTION_HOURS_90D,
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
    const BILLING: [&str; 3] = [f::BILLING_TICKETS_90D, f::MONTHLY_REVENUE, f::PLAN];
    const ACCOUNT: [&str; 4] = [
        f::TENURE_DAYS,
        f::DAYS_TO_RENEWAL,
        f::ANNUAL_CONTRACT,
        f::SEGMENT,
    ];
    let is = |set: &[&str]| set.contains(&feature);
    if is(&ENGAGEMENT) {
        SignalGroup::Engagement
    } else if is(&SUPPORT) {
        SignalGroup::Support
    } else if is(&NPS) {
        SignalGroup::Nps
    } else if is(&BILLING) {
        SignalGroup::Billing
    } else if is(&ACCOUNT) {
        SignalGroup::Account
    } else {
        group_by_name(feature)
    }
}

/// Words in a table's own column names that place it in a signal group, checked in this
/// order (so `Customer service calls` is support, not usage); a name with none of them stays
/// a group of its own. A keyword matches whole words of the name ([`crate::util::name_words`]),
/// in the singular or with an `s`; a two-word keyword matches two words in a row.
pub const NAME_KEYWORDS: [(SignalGroup, &[&str]); 5] = [
    (
        SignalGroup::Support,
        &[
            "ticket",
            "complain",
            "complaint",
            "customer service",
            "service call",
            "support call",
            "escalation",
        ],
    ),
    (
        SignalGroup::Nps,
        &["nps", "satisfaction", "csat", "survey", "feedback"],
    ),
    (
        SignalGroup::Billing,
        &[
            "charge", "price", "bill", "billing", "payment", "revenue", "discount", "fee", "spend",
        ],
    ),
    (
        SignalGroup::Engagement,
        // Not minutes, calls or messages: a telecom's billed consumption is not engagement (a
        // heavy user who leaves is a price case, not a re-engagement one).
        &["usage", "login", "session", "active", "visit", "event"],
    ),
    (
        SignalGroup::Account,
        &["tenure", "contract", "renewal", "account length", "signup"],
    ),
];

/// The group of a column outside the contract's features, by the words of its name.
fn group_by_name(feature: &str) -> SignalGroup {
    let words = crate::util::name_words(feature);
    let is = |w: &str, k: &str| w == k || w.strip_suffix('s') == Some(k);
    let matches = |keyword: &str| {
        let k: Vec<&str> = keyword.split(' ').collect();
        words
            .windows(k.len())
            .any(|win| win.iter().zip(&k).all(|(w, k)| is(w, k)))
    };
    NAME_KEYWORDS
        .iter()
        .find(|(_, keywords)| keywords.iter().any(|k| matches(k)))
        .map_or(SignalGroup::Other, |(g, _)| *g)
}

/// The source features of a model in groups: indices into `names`, one group per contract
/// signal group present and one per other column, in order of first appearance.
pub fn group_members(names: &[String]) -> Vec<(SignalGroup, Vec<usize>)> {
    let mut groups: Vec<(SignalGroup, Vec<usize>)> = Vec::new();
    for (s, name) in names.iter().enumerate() {
        let g = signal_group(name);
        match groups
            .iter_mut()
            .find(|(k, _)| *k == g && g != SignalGroup::Other)
        {
            Some((_, members)) => members.push(s),
            None => groups.push((g, vec![s])),
        }
    }
    groups
}

/// Whether a feature's value may be given as a reason: on the risky side of its profile (a
/// model without profiles, written before they existed, allows any value).
pub fn is_risky(profile: Option<&FeatureProfile>, value: &crate::score::list::RawValue) -> bool {
    use crate::score::list::RawValue;
    let Some(p) = profile else { return true };
    match value {
        RawValue::Number(x) => p.is_risky_number(*x),
        RawValue::Text(level) => p.risky_levels.iter().any(|l| l == level),
        RawValue::Missing => false,
    }
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

/// The play of the strongest reason whose group is actionable, given the reasons' groups
/// strongest first; "account review" when none is, or when no reason is supported by the data
/// (a customer at risk still deserves a look).
pub fn suggest_action(groups: &[SignalGroup], tenure_days: Option<f64>) -> &'static str {
    let play = groups.iter().find_map(|g| match g {
        SignalGroup::Support => Some(Play::SupportFollowUp),
        SignalGroup::Engagement if tenure_days.is_some_and(|t| t < NEW_CUSTOMER_DAYS) => {
            Some(Play::GuidedOnboarding)
        }
        SignalGroup::Engagement => Some(Play::ReEngagement),
        SignalGroup::Nps => Some(Play::FeedbackCall),
        SignalGroup::Billing => Some(Play::RenewalOffer),
        SignalGroup::Account | SignalGroup::Other => None,
    });
    play.unwrap_or(Play::AccountReview).label()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_raw_values_for_reasons() {
        assert_eq!(ReasonValue(4.0).to_string(), "4");
        assert_eq!(ReasonValue(2.456).to_string(), "2.46");
        assert_eq!(ReasonValue(f64::NAN).to_string(), "missing");
    }

    #[test]
    fn top_pushes_keep_only_positive_ones_largest_first_ties_by_name() {
        let names: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec();
        let (best, n) = top_pushes::<3, String>(&[0.1, -0.5, 0.7, 0.3, 0.3, 0.05], &names);
        assert_eq!(&best[..n], [2, 3, 4]);
        let (best, n) = top_pushes::<3, String>(&[0.2, 0.9, 0.1, 0.5, 0.8, 0.3], &names);
        assert_eq!(&best[..n], [1, 4, 3]);
        let (_, n) = top_pushes::<3, String>(&[-0.1, 0.0, f64::NAN], &names[..3]);
        assert_eq!(n, 0);
        let (best, n) = top_pushes::<3, String>(&[0.0, 0.4], &names[..2]);
        assert_eq!(&best[..n], [1]);
    }

    #[test]
    fn plays_come_from_the_strongest_actionable_group() {
        use SignalGroup::*;
        assert_eq!(
            suggest_action(&[Support, Engagement], Some(400.0)),
            "support follow-up"
        );
        assert_eq!(
            suggest_action(&[Account, Engagement], Some(400.0)),
            "re-engagement"
        );
        assert_eq!(
            suggest_action(&[Engagement], Some(30.0)),
            "guided onboarding"
        );
        assert_eq!(suggest_action(&[Nps, Support], None), "feedback call");
        assert_eq!(
            suggest_action(&[Account, Billing], None),
            "renewal or loyalty offer"
        );
        assert_eq!(suggest_action(&[Account], None), "account review");
        assert_eq!(suggest_action(&[Other], None), "account review");
        assert_eq!(suggest_action(&[], None), "account review");
    }

    #[test]
    fn contract_features_group_by_signal_and_other_columns_stand_alone() {
        let names: Vec<String> = [
            "events_7d",
            "gender",
            "events_30d",
            "open_tickets",
            "Partner",
        ]
        .map(String::from)
        .to_vec();
        let groups = group_members(&names);
        assert_eq!(groups[0], (SignalGroup::Engagement, vec![0, 2]));
        assert_eq!(groups[1], (SignalGroup::Other, vec![1]));
        assert_eq!(groups[2], (SignalGroup::Support, vec![3]));
        assert_eq!(groups[3], (SignalGroup::Other, vec![4]));
        assert_eq!(signal_group("days_to_renewal"), SignalGroup::Account);
        assert_eq!(signal_group("billing_tickets_90d"), SignalGroup::Billing);
        // A table's own columns by the words of their names.
        assert_eq!(signal_group("Customer service calls"), SignalGroup::Support);
        assert_eq!(signal_group("Total day minutes"), SignalGroup::Other);
        assert_eq!(signal_group("weekly_logins"), SignalGroup::Engagement);
        assert_eq!(signal_group("Total day charge"), SignalGroup::Billing);
        assert_eq!(signal_group("MonthlyCharges"), SignalGroup::Billing);
        assert_eq!(signal_group("tenure"), SignalGroup::Account);
        assert_eq!(signal_group("Contract"), SignalGroup::Account);
        assert_eq!(signal_group("TechSupport"), SignalGroup::Other);
        assert_eq!(
            signal_group("feedback_score"),
            SignalGroup::Nps,
            "not a fee"
        );
        assert_eq!(signal_group("contractor"), SignalGroup::Other);
        assert_eq!(signal_group("interactive"), SignalGroup::Other);
    }

    #[test]
    fn a_value_on_the_safe_side_is_never_a_reason() {
        use crate::score::list::RawValue;
        let p = FeatureProfile {
            feature: "events_30d".into(),
            typical: Some(38.0),
            direction: -1,
            risky_levels: vec![],
        };
        assert!(is_risky(Some(&p), &RawValue::Number(2.0)));
        assert!(!is_risky(Some(&p), &RawValue::Number(550.0)));
        assert!(!is_risky(Some(&p), &RawValue::Number(38.0)));
        assert!(!is_risky(Some(&p), &RawValue::Missing));
        let plan = FeatureProfile {
            feature: "plan".into(),
            typical: None,
            direction: 0,
            risky_levels: vec!["basic".into()],
        };
        assert!(is_risky(Some(&plan), &RawValue::Text("basic".into())));
        assert!(!is_risky(Some(&plan), &RawValue::Text("pro".into())));
    }
}
