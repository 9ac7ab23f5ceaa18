//! From a feature table to a fitted, oriented logistic churn model, and the model registry.
