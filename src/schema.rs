//! The data contract's names in one place: tables, columns, features, output columns.
//! See `docs/data-contract.md`; nothing else in the crate spells these as literals.

/// Table names (file stems in the data folder).
pub mod table {
    pub const CUSTOMERS: &str = "customers";
    pub const EVENTS: &str = "events";
    pub const TICKETS: &str = "tickets";
    pub const NPS: &str = "nps";
    pub const CHURN: &str = "churn";
    /// All tables, in load order.
    pub const ALL: [&str; 5] = [CUSTOMERS, EVENTS, TICKETS, NPS, CHURN];
}

/// Column names of the input tables.
pub mod col {
    pub const CUSTOMER_ID: &str = "customer_id";
    pub const SIGNUP_DATE: &str = "signup_date";
    pub const PLAN: &str = "plan";
    pub const MONTHLY_REVENUE: &str = "monthly_revenue";
    pub const CONTRACT_MONTHS: &str = "contract_months";
    pub const SEGMENT: &str = "segment";
    pub const AUTO_RENEW: &str = "auto_renew";
    pub const OWNER: &str = "owner";
    pub const TIMESTAMP: &str = "timestamp";
    pub const EVENT_TYPE: &str = "event_type";
    pub const QUANTITY: &str = "quantity";
    pub const TICKET_ID: &str = "ticket_id";
    pub const OPENED_AT: &str = "opened_at";
    pub const RESOLVED_AT: &str = "resolved_at";
    pub const PRIORITY: &str = "priority";
    pub const CATEGORY: &str = "category";
    pub const RESPONDED_AT: &str = "responded_at";
    pub const SCORE: &str = "score";
    pub const CHURNED_AT: &str = "churned_at";
}

/// Allowed ticket priorities.
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
/// Allowed ticket categories.
pub const CATEGORIES: [&str; 6] = [
    "bug",
    "how_to",
    "billing",
    "discount_request",
    "cancellation",
    "other",
];

/// Public feature names, in the contract's order (section 3).
pub mod feature {
    pub const EVENTS_7D: &str = "events_7d";
    pub const EVENTS_30D: &str = "events_30d";
    pub const EVENTS_90D: &str = "events_90d";
    pub const ACTIVE_DAYS_30D: &str = "active_days_30d";
    pub const DAYS_SINCE_LAST_EVENT: &str = "days_since_last_event";
    pub const EVENTS_TREND_30D: &str = "events_trend_30d";
    pub const TICKETS_30D: &str = "tickets_30d";
    pub const TICKETS_90D: &str = "tickets_90d";
    pub const OPEN_TICKETS: &str = "open_tickets";
    pub const URGENT_TICKETS_90D: &str = "urgent_tickets_90d";
    pub const BILLING_TICKETS_90D: &str = "billing_tickets_90d";
    pub const MEAN_RESOLUTION_HOURS_90D: &str = "mean_resolution_hours_90d";
    pub const NPS_LAST_SCORE: &str = "nps_last_score";
    pub const NPS_PASSIVE: &str = "nps_passive";
    pub const NPS_DETRACTOR: &str = "nps_detractor";
    pub const NPS_PROMOTER: &str = "nps_promoter";
    pub const NPS_NO_RESPONSE: &str = "nps_no_response";
    pub const NPS_DELTA: &str = "nps_delta";
    pub const DAYS_SINCE_NPS: &str = "days_since_nps";
    pub const TENURE_DAYS: &str = "tenure_days";
    pub const MONTHLY_REVENUE: &str = "monthly_revenue";
    pub const DAYS_TO_RENEWAL: &str = "days_to_renewal";
    pub const ANNUAL_CONTRACT: &str = "annual_contract";
    pub const PLAN: &str = "plan";
    pub const SEGMENT: &str = "segment";

    /// Every event-mode feature, in contract order.
    pub const ALL: [&str; 25] = [
        EVENTS_7D,
        EVENTS_30D,
        EVENTS_90D,
        ACTIVE_DAYS_30D,
        DAYS_SINCE_LAST_EVENT,
        EVENTS_TREND_30D,
        TICKETS_30D,
        TICKETS_90D,
        OPEN_TICKETS,
        URGENT_TICKETS_90D,
        BILLING_TICKETS_90D,
        MEAN_RESOLUTION_HOURS_90D,
        NPS_LAST_SCORE,
        NPS_PASSIVE,
        NPS_DETRACTOR,
        NPS_PROMOTER,
        NPS_NO_RESPONSE,
        NPS_DELTA,
        DAYS_SINCE_NPS,
        TENURE_DAYS,
        MONTHLY_REVENUE,
        DAYS_TO_RENEWAL,
        ANNUAL_CONTRACT,
        PLAN,
        SEGMENT,
    ];
    /// The categorical ones among them.
    pub const CATEGORICAL: [&str; 2] = [PLAN, SEGMENT];
}

/// Columns of `churn features` output around the features.
pub const OUT_CUSTOMER_ID: &str = "customer_id";
pub const OUT_AS_OF: &str = "as_of";
pub const OUT_LABEL: &str = "label";

/// Columns of the at-risk list, in contract order (section 5).
pub const AT_RISK_COLUMNS: [&str; 11] = [
    "rank",
    "customer_id",
    "churn_probability",
    "risk_tier",
    "revenue_at_risk",
    "reason_1",
    "reason_2",
    "reason_3",
    "suggested_action",
    "model_id",
    "as_of",
];

/// Columns of a model's holdout predictions file.
pub const PREDICTION_COLUMNS: [&str; 4] = ["customer_id", "as_of", "label", "probability"];

/// Label spellings understood without naming the positive value, as (positive, negative), lower
/// case.
pub const LABEL_PAIRS: [(&str, &str); 5] = [
    ("yes", "no"),
    ("true", "false"),
    ("1", "0"),
    ("1.0", "0.0"),
    ("churned", "active"),
];

/// One label cell in any of the understood spellings (any case, blanks around ignored).
pub fn parse_label(cell: &str) -> Option<bool> {
    let c = cell.trim();
    LABEL_PAIRS.iter().find_map(|(pos, neg)| {
        if c.eq_ignore_ascii_case(pos) {
            Some(true)
        } else if c.eq_ignore_ascii_case(neg) {
            Some(false)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_accept_common_spellings() {
        for (cell, want) in [
            ("1", true),
            ("Yes", true),
            (" TRUE ", true),
            ("0", false),
            ("no", false),
            ("False", false),
        ] {
            assert_eq!(parse_label(cell), Some(want), "{cell:?}");
        }
        assert_eq!(parse_label("2"), None);
        assert_eq!(parse_label(""), None);
    }
}
