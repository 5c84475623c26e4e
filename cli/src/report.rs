//! Printing results: a human sentence or one JSON object on stdout.

use serde_json::Value;

/// Prints `json` (pretty) when `as_json`, else `text`.
pub fn emit(as_json: bool, json: Value, text: &str) {
    if as_json {
        println!("{json:#}");
    } else {
        println!("{text}");
    }
}
