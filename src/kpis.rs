//! Retention KPIs per calendar period: churn rate and customer retention rate (CRR).
