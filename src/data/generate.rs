//! The synthetic SaaS history generator behind `churn generate` (to be written).
