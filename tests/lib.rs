//! Shared helpers for the workspace integration tests: where the spec data
//! lives, and how to reach the independent peers (a Python venv under `target/`).
#![allow(missing_docs)]

use std::path::PathBuf;

/// The project root (the workspace directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The MongoDB specification suites and RFC vectors: `MONGOAUTH_SPEC_TESTS`, or
/// `../shared/spec-tests` beside the project root. A missing folder fails loudly.
pub fn spec_tests() -> PathBuf {
    let dir = std::env::var_os("MONGOAUTH_SPEC_TESTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/spec-tests"));
    assert!(
        dir.is_dir(),
        "spec test data not found at {} (set MONGOAUTH_SPEC_TESTS)",
        dir.display()
    );
    dir
}

/// Read and parse one JSON file of the spec data.
pub fn spec_json(rel: &str) -> serde_json::Value {
    let path = spec_tests().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}
