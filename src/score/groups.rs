//! Control groups for measuring the plays: each customer's group (`outreach` or `control`) is a
//! keyed hash of (campaign, customer id), so it stays the same night after night and whatever
//! the model, and the control share holds within every risk tier in expectation.
//!
//! The hash is spelled out (FNV-1a 64 over `campaign`, a 0x1F byte and `customer_id`, then the
//! SplitMix64 finaliser; the top 53 bits as a number in [0, 1)), so a warehouse can reproduce a
//! group without this crate: a customer is in the control group when that number is below the
//! share.

use serde::Serialize;

use crate::error::{Error, Result};

/// The campaign when none is named.
pub const DEFAULT_CAMPAIGN: &str = "default";

/// Which side of the experiment a customer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Contacted by the CS team.
    Outreach,
    /// Held back, so the plays can be measured against them.
    Control,
}

impl Group {
    /// The list's spelling: `outreach` or `control`.
    pub fn name(self) -> &'static str {
        match self {
            Group::Outreach => "outreach",
            Group::Control => "control",
        }
    }

    /// Parse the list's spelling.
    pub fn parse(s: &str) -> Option<Group> {
        match s {
            "outreach" => Some(Group::Outreach),
            "control" => Some(Group::Control),
            _ => None,
        }
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// A campaign's split: the share held back and the campaign name that keys the hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlGroups {
    share: f64,
    campaign: String,
}

impl ControlGroups {
    /// A split holding back `share` of the customers of `campaign`.
    ///
    /// # Errors
    /// `Usage` for a share outside (0, 1) or an empty campaign name.
    pub fn new(share: f64, campaign: &str) -> Result<Self> {
        if !(share > 0.0 && share < 1.0) {
            return Err(Error::Usage(format!(
                "the control share must be above 0 and below 1, not {share}"
            )));
        }
        if campaign.trim().is_empty() {
            return Err(Error::Usage("the campaign name must not be empty".into()));
        }
        Ok(ControlGroups {
            share,
            campaign: campaign.to_string(),
        })
    }

    /// The share held back.
    pub fn share(&self) -> f64 {
        self.share
    }

    /// The campaign name.
    pub fn campaign(&self) -> &str {
        &self.campaign
    }

    /// The group of `customer_id` in this campaign.
    pub fn group(&self, customer_id: &str) -> Group {
        if unit_hash(&self.campaign, customer_id) < self.share {
            Group::Control
        } else {
            Group::Outreach
        }
    }
}

/// A number in [0, 1) that depends only on (`campaign`, `customer_id`), spread uniformly.
pub fn unit_hash(campaign: &str, customer_id: &str) -> f64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let bytes = campaign.bytes().chain([0x1f]).chain(customer_id.bytes());
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    // SplitMix64's finaliser: FNV's low bits are weak, these are not.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_pinned_so_warehouses_can_reproduce_it() {
        // Values from an independent Python transcription of the documented algorithm.
        // Changing the hash moves customers between groups mid-campaign: never do it silently.
        assert_eq!(unit_hash("default", "C0000001"), 0.22012929399882786);
        assert_eq!(unit_hash("spring", "C0000001"), 0.8397524561823055);
        assert_eq!(unit_hash("default", ""), 0.31239656184370435);
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(unit_hash("ab", "c"), unit_hash("a", "bc"));
    }

    #[test]
    fn the_share_holds_and_groups_depend_on_the_campaign() {
        let spring = ControlGroups::new(0.1, "spring").unwrap();
        let autumn = ControlGroups::new(0.1, "autumn").unwrap();
        let n = 100_000;
        let ids: Vec<String> = (0..n).map(|i| format!("C{i:06}")).collect();
        let control = |g: &ControlGroups| {
            ids.iter()
                .filter(|id| g.group(id) == Group::Control)
                .count()
        };
        // Binomial(100000, 0.1): sd ~ 95, so +-600 is over 6 sd.
        assert!((control(&spring) as i64 - 10_000).abs() < 600);
        let both = ids
            .iter()
            .filter(|id| spring.group(id) == Group::Control && autumn.group(id) == Group::Control)
            .count();
        // Independent campaigns: about 1 % in both.
        assert!((both as i64 - 1_000).abs() < 200, "{both}");
    }

    #[test]
    fn bad_shares_are_refused() {
        for share in [0.0, 1.0, -0.1, f64::NAN, 1.5] {
            assert!(ControlGroups::new(share, "x").is_err(), "{share}");
        }
        assert!(ControlGroups::new(0.5, " ").is_err());
    }
}
