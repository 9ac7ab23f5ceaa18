//! Contract boundary tests and the no-leak property: features of `T` see only rows before `T`.

use proptest::prelude::*;

use crate::data::history::{Customers, History, NpsAnswer, Texts, Ticket};
use crate::data::load::group;
use crate::frame::ColumnValues;
use crate::schema::feature;
use crate::time::{self, Day, Ts, SECS_PER_DAY};

use super::snapshot::{
    build_features, in_population, label, numeric_features, FeatureSpec, LabelDefinition,
};

fn d(s: &str) -> Day {
    time::parse_day(s, None).unwrap()
}

fn ts(s: &str) -> Ts {
    time::parse_ts(s, None).unwrap()
}

/// A small in-memory history; every table present.
#[derive(Clone, Debug)]
struct Rows {
    signup: Vec<Day>,
    months: Vec<u32>,
    churned: Vec<Option<Day>>,
    events: Vec<(u32, Ts)>,
    tickets: Vec<(u32, Ticket)>,
    nps: Vec<(u32, NpsAnswer)>,
}

impl Rows {
    fn history(&self, end: Ts) -> History {
        let n = self.signup.len();
        History {
            customers: Customers {
                ids: (0..n).map(|i| format!("c{i}")).collect(),
                signup: self.signup.clone(),
                plan: Texts::repeat(Some("pro"), n),
                segment: Texts::repeat(None, n),
                owner: Texts::repeat(None, n),
                monthly_revenue: vec![10.0; n],
                contract_months: self.months.clone(),
                churned_at: self.churned.clone(),
            },
            events: group(n, self.events.clone()),
            tickets: Some(group(n, self.tickets.clone())),
            nps: Some(group(n, self.nps.clone())),
            has_churn: true,
            data_end: end,
            summary: Default::default(),
        }
    }
}

fn one_customer(signup: &str) -> Rows {
    Rows {
        signup: vec![d(signup)],
        months: vec![1],
        churned: vec![None],
        events: vec![],
        tickets: vec![],
        nps: vec![],
    }
}

fn feature_at(h: &History, name: &str, t: Day) -> f64 {
    numeric_features(h, 0, t).get(name).unwrap()
}

const T: &str = "2025-06-01";

#[test]
fn event_at_cutoff_is_excluded_and_one_second_before_is_included() {
    let mut r = one_customer("2025-01-01");
    r.events = vec![(0, ts("2025-06-01T00:00:00Z"))];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::EVENTS_7D, d(T)), 0.0);
    r.events = vec![(0, ts("2025-05-31T23:59:59Z"))];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::EVENTS_7D, d(T)), 1.0);
    assert!((feature_at(&h, feature::DAYS_SINCE_LAST_EVENT, d(T)) - 1.0 / 86_400.0).abs() < 1e-12);
}

#[test]
fn ticket_resolved_exactly_at_cutoff_is_still_open() {
    let mut r = one_customer("2025-01-01");
    let t = |resolved: Option<&str>| Ticket {
        opened_at: ts("2025-05-20T10:00:00Z"),
        resolved_at: resolved.map(ts),
        priority: 3,
        category: 3,
    };
    r.tickets = vec![(0, t(Some("2025-06-01T00:00:00Z")))];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::OPEN_TICKETS, d(T)), 1.0);
    assert_eq!(
        feature_at(&h, feature::MEAN_RESOLUTION_HOURS_90D, d(T)),
        0.0
    );
    assert_eq!(feature_at(&h, feature::URGENT_TICKETS_90D, d(T)), 1.0);
    assert_eq!(feature_at(&h, feature::BILLING_TICKETS_90D, d(T)), 1.0);
    r.tickets = vec![(0, t(Some("2025-05-31T23:00:00Z")))];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::OPEN_TICKETS, d(T)), 0.0);
    assert!((feature_at(&h, feature::MEAN_RESOLUTION_HOURS_90D, d(T)) - 277.0).abs() < 1e-9);
}

#[test]
fn population_and_labels_at_the_cutoff_boundaries() {
    let r = Rows {
        signup: vec![
            d("2025-06-01"),
            d("2025-01-01"),
            d("2025-01-01"),
            d("2025-01-01"),
        ],
        months: vec![1; 4],
        churned: vec![
            None,
            Some(d("2025-06-01")),
            Some(d("2025-05-31")),
            Some(d("2025-07-01")),
        ],
        events: vec![],
        tickets: vec![],
        nps: vec![],
    };
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    let t = d(T);
    assert!(
        !in_population(&h, 0, t),
        "signup on T is not in the population"
    );
    assert!(in_population(&h, 1, t), "churn on T is in the population");
    assert!(!in_population(&h, 2, t), "churn the day before T is not");
    let spec = FeatureSpec {
        cutoffs: vec![t],
        horizon_days: 30,
        definition: LabelDefinition::Cancellation,
    };
    assert_eq!(label(&h, &spec, 1, t), Some(true), "churn on T is label 1");
    assert_eq!(
        label(&h, &spec, 3, t),
        Some(false),
        "churn at T + 30 is outside [T, T + 30)"
    );
    let table = build_features(&h, &spec).unwrap();
    assert_eq!(table.ids, ["c1", "c3"]);
}

#[test]
fn incomplete_label_window_is_empty() {
    let r = one_customer("2025-01-01");
    let spec = FeatureSpec {
        cutoffs: vec![d(T)],
        horizon_days: 30,
        definition: LabelDefinition::Cancellation,
    };
    assert_eq!(
        label(&r.history(ts("2025-06-30T00:00:00Z")), &spec, 0, d(T)),
        None
    );
    assert_eq!(
        label(&r.history(ts("2025-07-01T00:00:00Z")), &spec, 0, d(T)),
        Some(false)
    );
}

#[test]
fn inactivity_label_looks_for_any_event_in_the_window() {
    let mut r = one_customer("2025-01-01");
    let spec = FeatureSpec {
        cutoffs: vec![d(T)],
        horizon_days: 30,
        definition: LabelDefinition::Inactivity,
    };
    r.events = vec![(0, ts("2025-07-01T00:00:00Z"))];
    assert_eq!(
        label(&r.history(ts("2025-12-31T00:00:00Z")), &spec, 0, d(T)),
        Some(true)
    );
    r.events = vec![(0, ts("2025-06-30T23:59:59Z"))];
    assert_eq!(
        label(&r.history(ts("2025-12-31T00:00:00Z")), &spec, 0, d(T)),
        Some(false)
    );
}

#[test]
fn nps_ties_at_one_timestamp_take_the_lower_score() {
    let mut r = one_customer("2025-01-01");
    let a = |at: &str, score| {
        (
            0,
            NpsAnswer {
                responded_at: ts(at),
                score,
            },
        )
    };
    r.nps = vec![
        a("2025-03-01T09:00:00Z", 9),
        a("2025-05-01T09:00:00Z", 9),
        a("2025-05-01T09:00:00Z", 7),
    ];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::NPS_LAST_SCORE, d(T)), 7.0);
    assert_eq!(feature_at(&h, feature::NPS_PASSIVE, d(T)), 1.0);
    assert_eq!(feature_at(&h, feature::NPS_PROMOTER, d(T)), 0.0);
    assert_eq!(feature_at(&h, feature::NPS_DELTA, d(T)), -2.0);
    assert_eq!(feature_at(&h, feature::NPS_NO_RESPONSE, d(T)), 0.0);
    assert!((feature_at(&h, feature::DAYS_SINCE_NPS, d(T)) - (31.0 - 9.0 / 24.0)).abs() < 1e-9);
}

/// An NPS answer of customer 0 at `at`.
fn answer_of_customer_0(at: &str, score: u8) -> (u32, NpsAnswer) {
    (
        0,
        NpsAnswer {
            responded_at: ts(at),
            score,
        },
    )
}

#[test]
fn nps_delta_compares_with_the_answer_before_in_the_contracts_order() {
    let mut r = one_customer("2025-01-01");
    let a = answer_of_customer_0;
    // Order: (Mar, 5), (May, 9), (May, 7): the last is 7, the one before it the 9 at the same
    // instant, so the delta is 7 - 9, not 7 - 5.
    r.nps = vec![
        a("2025-03-01T09:00:00Z", 5),
        a("2025-05-01T09:00:00Z", 9),
        a("2025-05-01T09:00:00Z", 7),
    ];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::NPS_DELTA, d(T)), -2.0);
    // A same-instant pair alone: lower minus higher.
    r.nps = vec![a("2025-05-01T09:00:00Z", 3), a("2025-05-01T09:00:00Z", 8)];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::NPS_LAST_SCORE, d(T)), 3.0);
    assert_eq!(feature_at(&h, feature::NPS_DELTA, d(T)), -5.0);
}

#[test]
fn no_nps_answer_leaves_score_and_age_empty() {
    let r = one_customer("2025-01-01");
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert!(feature_at(&h, feature::NPS_LAST_SCORE, d(T)).is_nan());
    assert!(feature_at(&h, feature::DAYS_SINCE_NPS, d(T)).is_nan());
    assert_eq!(feature_at(&h, feature::NPS_NO_RESPONSE, d(T)), 1.0);
    assert_eq!(feature_at(&h, feature::NPS_DELTA, d(T)), 0.0);
}

#[test]
fn renewals_clamp_and_land_on_the_cutoff() {
    let r = one_customer("2024-01-31");
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(
        feature_at(&h, feature::DAYS_TO_RENEWAL, d("2024-02-01")),
        28.0
    ); // Feb 29
    assert_eq!(
        feature_at(&h, feature::DAYS_TO_RENEWAL, d("2024-03-01")),
        30.0
    ); // Mar 31
    assert_eq!(
        feature_at(&h, feature::DAYS_TO_RENEWAL, d("2024-04-01")),
        29.0
    ); // Apr 30
    let mut annual = one_customer("2024-06-01");
    annual.months = vec![12];
    let h = annual.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::DAYS_TO_RENEWAL, d(T)), 0.0);
    assert_eq!(feature_at(&h, feature::ANNUAL_CONTRACT, d(T)), 1.0);
    assert_eq!(feature_at(&h, feature::TENURE_DAYS, d(T)), 365.0);
}

#[test]
fn engagement_windows_active_days_and_trend() {
    let mut r = one_customer("2025-01-01");
    r.events = vec![
        (0, ts("2025-05-31T10:00:00Z")),
        (0, ts("2025-05-31T11:00:00Z")),
        (0, ts("2025-05-20T11:00:00Z")),
        (0, ts("2025-04-20T11:00:00Z")),
        (0, ts("2025-03-10T11:00:00Z")),
    ];
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    assert_eq!(feature_at(&h, feature::EVENTS_7D, d(T)), 2.0);
    assert_eq!(feature_at(&h, feature::EVENTS_30D, d(T)), 3.0);
    assert_eq!(feature_at(&h, feature::EVENTS_90D, d(T)), 5.0);
    assert_eq!(feature_at(&h, feature::ACTIVE_DAYS_30D, d(T)), 2.0);
    assert!((feature_at(&h, feature::EVENTS_TREND_30D, d(T)) - (4.0f64 / 2.0).ln()).abs() < 1e-12);
}

#[test]
fn absent_optional_tables_give_zero_features() {
    let r = one_customer("2025-01-01");
    let mut h = r.history(ts("2025-12-31T00:00:00Z"));
    h.tickets = None;
    h.nps = None;
    let v = numeric_features(&h, 0, d(T));
    let mut support_and_nps = v.support.named().into_iter().chain(v.nps.named());
    assert!(support_and_nps.all(|(_, x)| x == 0.0), "{v:?}");
}

#[test]
fn one_row_per_customer_and_cutoff_in_contract_order() {
    let r = Rows {
        signup: vec![d("2025-01-01"), d("2025-03-15")],
        months: vec![1, 12],
        churned: vec![None, None],
        events: vec![],
        tickets: vec![],
        nps: vec![],
    };
    let h = r.history(ts("2025-12-31T00:00:00Z"));
    let spec = FeatureSpec {
        cutoffs: vec![d("2025-03-01"), d("2025-04-01")],
        horizon_days: 30,
        definition: LabelDefinition::Cancellation,
    };
    let t = build_features(&h, &spec).unwrap();
    assert_eq!(t.ids, ["c0", "c0", "c1"]);
    assert_eq!(t.feature_names(), feature::ALL.map(String::from).to_vec());
    assert!(matches!(t.columns[23].values, ColumnValues::Categorical(_)));
}

// ---- the no-leak property ----

const CUTOFF: Day = 20_000; // 2024-10-04
const DAY: Ts = SECS_PER_DAY;

fn at_cutoff() -> Ts {
    time::day_start(CUTOFF)
}

/// Times within 200 days either side of the cutoff, to the second.
fn any_time() -> impl Strategy<Value = Ts> {
    (-200 * DAY..200 * DAY).prop_map(|o| at_cutoff() + o)
}

fn future_time() -> impl Strategy<Value = Ts> {
    (0..200 * DAY).prop_map(|o| at_cutoff() + o)
}

fn ticket(opened: Ts, resolved: Option<Ts>, p: u8, c: u8) -> Ticket {
    Ticket {
        opened_at: opened,
        resolved_at: resolved.map(|r| r.max(opened)),
        priority: p,
        category: c,
    }
}

fn history_rows() -> impl Strategy<Value = Rows> {
    let n = 3usize;
    (
        prop::collection::vec(-400i32..-1, n),
        prop::collection::vec(prop::sample::select(vec![1u32, 3, 12]), n),
        prop::collection::vec(prop::option::of(0i32..120), n),
        prop::collection::vec((0..n as u32, any_time()), 0..40),
        prop::collection::vec(
            (
                0..n as u32,
                any_time(),
                prop::option::of(0..40 * DAY),
                0u8..4,
                0u8..6,
            ),
            0..12,
        ),
        prop::collection::vec((0..n as u32, any_time(), 0u8..=10), 0..10),
    )
        .prop_map(|(signup, months, churn, events, tickets, nps)| Rows {
            signup: signup.iter().map(|s| CUTOFF + s).collect(),
            months,
            churned: churn.iter().map(|c| c.map(|c| CUTOFF + c)).collect(),
            events,
            tickets: tickets
                .into_iter()
                .map(|(c, o, r, p, k)| (c, ticket(o, r.map(|r| o + r), p, k)))
                .collect(),
            nps: nps
                .into_iter()
                .map(|(c, t, s)| {
                    (
                        c,
                        NpsAnswer {
                            responded_at: t,
                            score: s,
                        },
                    )
                })
                .collect(),
        })
}

/// Apply edits that touch only rows dated on or after the cutoff.
fn edit_future(mut r: Rows, added: Vec<(u32, Ts)>, new_time: Ts, drop_every: usize) -> Rows {
    let future = |t: Ts| t >= at_cutoff();
    let mut k = 0;
    r.events.retain(|(_, t)| {
        k += 1;
        !(future(*t) && k % drop_every == 0)
    });
    r.events.extend(added.iter().copied());
    for (_, t) in r.tickets.iter_mut() {
        if future(t.opened_at) {
            t.opened_at = new_time;
            t.resolved_at = None;
            t.priority = 3;
        } else if t.resolved_at.is_none_or(future) {
            // Still open at the cutoff: when it is resolved later must not matter.
            t.resolved_at = Some(new_time);
        }
    }
    for (_, a) in r.nps.iter_mut() {
        if future(a.responded_at) {
            a.responded_at = new_time;
            a.score = 0;
        }
    }
    r.nps.extend(added.iter().map(|&(c, t)| {
        (
            c,
            NpsAnswer {
                responded_at: t,
                score: 3,
            },
        )
    }));
    r.tickets
        .extend(added.iter().map(|&(c, t)| (c, ticket(t, None, 3, 3))));
    for ch in r.churned.iter_mut() {
        if ch.is_some_and(|c| c >= CUTOFF) {
            *ch = Some(time::day_of_ts(new_time).max(CUTOFF));
        }
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn features_ignore_rows_on_or_after_the_cutoff(
        rows in history_rows(),
        added in prop::collection::vec((0..3u32, future_time()), 0..8),
        new_time in future_time(),
        drop_every in 1usize..4,
    ) {
        let end = at_cutoff() + 300 * DAY;
        let spec = FeatureSpec { cutoffs: vec![CUTOFF], horizon_days: 30, definition: LabelDefinition::Cancellation };
        let before = build_features(&rows.history(end), &spec).unwrap();
        let edited = edit_future(rows, added, new_time, drop_every);
        let after = build_features(&edited.history(end), &spec).unwrap();
        prop_assert_eq!(&before.ids, &after.ids);
        for (a, b) in before.columns.iter().zip(&after.columns) {
            match (&a.values, &b.values) {
                (ColumnValues::Numeric(x), ColumnValues::Numeric(y)) => {
                    for (u, v) in x.iter().zip(y) {
                        prop_assert!(u == v || (u.is_nan() && v.is_nan()), "{} changed: {} -> {}", a.name, u, v);
                    }
                }
                (x, y) => prop_assert_eq!(x, y),
            }
        }
    }
}
