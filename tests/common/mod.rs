//! Helpers shared by the integration tests: paths to the copied fixtures.
#![allow(dead_code)]

pub mod hostile;

use serde_json::Value;
use std::path::PathBuf;

/// A path under the project root.
pub fn project(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Parses a golden JSON file under `tests/golden/`.
pub fn golden(name: &str) -> Value {
    let path = project(&format!("tests/golden/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The reference MIDI file, copied from `shared/data/original_metheny.mid`.
pub fn metheny() -> PathBuf {
    project("data/original_metheny.mid")
}

/// A JSON array of strings.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// Checks the CLI failure contract: exit status 2, one line on stderr that says
/// `needle`, no panic.
pub fn assert_fails(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
