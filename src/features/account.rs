//! Account features: tenure, revenue, days to the next renewal, annual contract.

use chrono::Datelike;

use crate::data::history::History;
use crate::schema::feature;
use crate::time::{self, Day};

/// The account features of one customer at one cutoff.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Account {
    pub tenure_days: f64,
    pub monthly_revenue: f64,
    pub days_to_renewal: f64,
    pub annual_contract: f64,
}

impl Account {
    /// Each feature with its public name, in contract order.
    pub fn named(&self) -> [(&'static str, f64); 4] {
        [
            (feature::TENURE_DAYS, self.tenure_days),
            (feature::MONTHLY_REVENUE, self.monthly_revenue),
            (feature::DAYS_TO_RENEWAL, self.days_to_renewal),
            (feature::ANNUAL_CONTRACT, self.annual_contract),
        ]
    }
}

/// The first renewal date `>= t`: `signup + k * months` calendar months (k >= 1), clamped to the
/// month's last day.
pub fn next_renewal(signup: Day, months: u32, t: Day) -> Day {
    let (s, d) = (time::date_of(signup), time::date_of(t));
    let months_apart = (d.year() - s.year()) * 12 + d.month() as i32 - s.month() as i32;
    let m = months as i32;
    // Start one period early so the first candidate is never past the answer.
    let mut k = (months_apart / m - 1).max(1);
    loop {
        let r = time::add_months(signup, k * m);
        if r >= t {
            return r;
        }
        k += 1;
    }
}

/// The account features of customer `c` at cutoff `t`.
pub fn account(history: &History, c: usize, t: Day) -> Account {
    let cu = &history.customers;
    Account {
        tenure_days: (t - cu.signup[c]) as f64,
        monthly_revenue: cu.monthly_revenue[c],
        days_to_renewal: (next_renewal(cu.signup[c], cu.contract_months[c], t) - t) as f64,
        annual_contract: f64::from(u8::from(cu.contract_months[c] >= 12)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        time::parse_day(s, None).unwrap()
    }

    #[test]
    fn monthly_renewals_clamp_to_month_end() {
        let s = d("2024-01-31");
        assert_eq!(
            time::format_day(next_renewal(s, 1, d("2024-02-01"))),
            "2024-02-29"
        );
        assert_eq!(
            time::format_day(next_renewal(s, 1, d("2024-03-01"))),
            "2024-03-31"
        );
        assert_eq!(
            time::format_day(next_renewal(s, 1, d("2024-04-01"))),
            "2024-04-30"
        );
        assert_eq!(
            time::format_day(next_renewal(s, 1, d("2025-02-01"))),
            "2025-02-28"
        );
    }

    #[test]
    fn renewal_on_the_cutoff_is_zero_days_away() {
        let s = d("2023-06-15");
        assert_eq!(next_renewal(s, 12, d("2024-06-15")), d("2024-06-15"));
        assert_eq!(next_renewal(s, 12, d("2024-06-16")), d("2025-06-15"));
        // The first renewal is one period after signup, never the signup itself.
        assert_eq!(next_renewal(s, 12, d("2023-06-16")), d("2024-06-15"));
    }
}
