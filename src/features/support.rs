//! Support-volume features from the tickets table (zero when the table is absent).

use crate::data::history::{History, Ticket};
use crate::schema::feature;
use crate::time::{Ts, SECS_PER_DAY};

/// The support-volume features of one customer at one cutoff.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Support {
    pub tickets_30d: f64,
    pub tickets_90d: f64,
    pub open_tickets: f64,
    pub urgent_tickets_90d: f64,
    pub billing_tickets_90d: f64,
    pub mean_resolution_hours_90d: f64,
}

impl Support {
    /// Each feature with its public name, in contract order.
    pub fn named(&self) -> [(&'static str, f64); 6] {
        [
            (feature::TICKETS_30D, self.tickets_30d),
            (feature::TICKETS_90D, self.tickets_90d),
            (feature::OPEN_TICKETS, self.open_tickets),
            (feature::URGENT_TICKETS_90D, self.urgent_tickets_90d),
            (feature::BILLING_TICKETS_90D, self.billing_tickets_90d),
            (
                feature::MEAN_RESOLUTION_HOURS_90D,
                self.mean_resolution_hours_90d,
            ),
        ]
    }
}

const PRIORITY_HIGH: u8 = 2;
const PRIORITY_URGENT: u8 = 3;
const CATEGORY_BILLING: u8 = 2;
const CATEGORY_DISCOUNT: u8 = 3;

/// The support features of customer `c` at `at`; all zero without a tickets table.
pub fn support(history: &History, c: usize, at: Ts) -> Support {
    let Some(tickets) = &history.tickets else {
        return Support::default();
    };
    let tk = tickets.of(c);
    let end = tk.partition_point(|t| t.opened_at < at);
    let before = &tk[..end];
    let from30 = at - 30 * SECS_PER_DAY;
    let from90 = at - 90 * SECS_PER_DAY;
    let last90 = &before[before.partition_point(|t| t.opened_at < from90)..];
    let count = |pick: &dyn Fn(&&Ticket) -> bool| last90.iter().filter(pick).count() as f64;
    let (hours, n) = last90
        .iter()
        .filter_map(|t| {
            t.resolved_at
                .filter(|&r| r < at)
                .map(|r| (r - t.opened_at) as f64 / 3600.0)
        })
        .fold((0.0, 0usize), |(sum, n), h| (sum + h, n + 1));
    Support {
        tickets_30d: count(&|t| t.opened_at >= from30),
        tickets_90d: last90.len() as f64,
        open_tickets: before
            .iter()
            .filter(|t| t.resolved_at.is_none_or(|r| r >= at))
            .count() as f64,
        urgent_tickets_90d: count(&|t| {
            t.priority == PRIORITY_HIGH || t.priority == PRIORITY_URGENT
        }),
        billing_tickets_90d: count(&|t| {
            t.category == CATEGORY_BILLING || t.category == CATEGORY_DISCOUNT
        }),
        mean_resolution_hours_90d: if n == 0 { 0.0 } else { hours / n as f64 },
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::{CATEGORIES, PRIORITIES};

    #[test]
    fn category_and_priority_codes_match_the_schema() {
        assert_eq!(PRIORITIES[super::PRIORITY_HIGH as usize], "high");
        assert_eq!(PRIORITIES[super::PRIORITY_URGENT as usize], "urgent");
        assert_eq!(CATEGORIES[super::CATEGORY_BILLING as usize], "billing");
        assert_eq!(
            CATEGORIES[super::CATEGORY_DISCOUNT as usize],
            "discount_request"
        );
    }
}
