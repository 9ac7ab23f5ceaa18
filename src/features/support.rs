//! Support-volume features from the tickets table (zero when the table is absent).

use crate::data::load::History;
use crate::time::{Ts, SECS_PER_DAY};

const PRIORITY_HIGH: u8 = 2;
const PRIORITY_URGENT: u8 = 3;
const CATEGORY_BILLING: u8 = 2;
const CATEGORY_DISCOUNT: u8 = 3;

/// `tickets_30d, tickets_90d, open_tickets, urgent_tickets_90d, billing_tickets_90d,
/// mean_resolution_hours_90d`.
pub fn fill(history: &History, c: usize, at: Ts, out: &mut [f64]) {
    let Some(tickets) = &history.tickets else {
        return;
    };
    let tk = tickets.of(c);
    let end = tk.partition_point(|t| t.opened_at < at);
    let before = &tk[..end];
    let from30 = at - 30 * SECS_PER_DAY;
    let from90 = at - 90 * SECS_PER_DAY;
    let last90 = &before[before.partition_point(|t| t.opened_at < from90)..];
    out[0] = last90.iter().filter(|t| t.opened_at >= from30).count() as f64;
    out[1] = last90.len() as f64;
    out[2] = before
        .iter()
        .filter(|t| t.resolved_at.is_none_or(|r| r >= at))
        .count() as f64;
    out[3] = last90
        .iter()
        .filter(|t| t.priority == PRIORITY_HIGH || t.priority == PRIORITY_URGENT)
        .count() as f64;
    out[4] = last90
        .iter()
        .filter(|t| t.category == CATEGORY_BILLING || t.category == CATEGORY_DISCOUNT)
        .count() as f64;
    let (hours, n) = last90
        .iter()
        .filter_map(|t| {
            t.resolved_at
                .filter(|&r| r < at)
                .map(|r| (r - t.opened_at) as f64 / 3600.0)
        })
        .fold((0.0, 0usize), |(sum, n), h| (sum + h, n + 1));
    out[5] = if n == 0 { 0.0 } else { hours / n as f64 };
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
