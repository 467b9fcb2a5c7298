//! Placeholder bench: filled in by its own issue.
fn main() {}
