//! The file formats of `asterism batch`: which one a path or `--format` names.

use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A JSON object per line (inputs in, outputs out).
    Ndjson,
    /// A header row naming the columns, then a row per run.
    Csv,
    /// Apache Parquet (needs the feature `parquet`): a column per input or output.
    Parquet,
}

impl Format {
    /// `ndjson`, `jsonl`, `csv` or `parquet`.
    pub fn parse(name: &str) -> Result<Format, String> {
        match name.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" | "json" => Ok(Format::Ndjson),
            "csv" => Ok(Format::Csv),
            "parquet" | "pq" => Ok(Format::Parquet),
            _ => Err(format!("unknown format '{name}': expected ndjson, csv or parquet")),
        }
    }

    /// Refused when this build cannot read or write it.
    pub fn supported(self) -> Result<Format, String> {
        match self {
            Format::Parquet if !cfg!(feature = "parquet") => {
                Err("this asterism was built without Parquet: build it with `--features parquet`".to_string())
            }
            format => Ok(format),
        }
    }

    /// The format of `path` by its extension; none for `-` or an unknown extension.
    pub fn of(path: &Path) -> Option<Format> {
        Format::parse(path.extension()?.to_str()?).ok()
    }
}
