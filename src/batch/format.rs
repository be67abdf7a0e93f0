//! The file formats of `asterism batch`: which one a path or `--format` names.

use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A JSON object per line (inputs in, outputs out).
    Ndjson,
    /// A header row naming the columns, then a row per run.
    Csv,
}

impl Format {
    /// `ndjson`, `jsonl` or `csv`.
    pub fn parse(name: &str) -> Result<Format, String> {
        match name.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" | "json" => Ok(Format::Ndjson),
            "csv" => Ok(Format::Csv),
            _ => Err(format!("unknown format '{name}': expected ndjson or csv")),
        }
    }

    /// The format of `path` by its extension; none for `-` or an unknown extension.
    pub fn of(path: &Path) -> Option<Format> {
        Format::parse(path.extension()?.to_str()?).ok()
    }
}
