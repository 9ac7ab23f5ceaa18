//! Batch scoring: ranked at-risk lists with tiers, reasons and suggested actions.
