//! The notebook-style HTML and Markdown export of a model.
