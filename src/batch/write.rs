//! Rows out: the outputs of each completed run as an NDJSON line or a CSV record, and each failed
//! row as a line of the errors file.
//!
//! Takes: the pipeline (its outputs name the CSV and Parquet columns), a writer and its format.
//! Gives: the header (CSV), then a row per completed run (Parquet: `parquet::Writer`); for the errors file, `{"row", "input", "errors",
//! "outputs"}` per failed row. Guarantees: a CSV cell of a `String` output is its text, of a
//! missing output empty, and JSON for every other type; nothing is written for a failed row but
//! its line in the errors file.

use super::format::Format;
use super::read::Row;
use crate::{Layout, Outcome, Pipeline, Type, Value};
use std::io::Write;

pub enum Out {
    Lines(Box<dyn Write + Send>),
    Records(Box<csv::Writer<Box<dyn Write + Send>>>),
    #[cfg(feature = "parquet")]
    Parquet(Box<super::parquet::Writer>),
}

impl Out {
    /// The output, its CSV header written when `header`.
    pub fn new(
        pipeline: &Pipeline,
        output: Box<dyn Write + Send>,
        format: Format,
        header: bool,
    ) -> std::io::Result<Out> {
        Ok(match format {
            Format::Ndjson => Out::Lines(output),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(output);
                if header {
                    writer.write_record(pipeline.outputs().map(|(name, _)| name))?;
                }
                Out::Records(Box::new(writer))
            }
            #[cfg(feature = "parquet")]
            Format::Parquet => Out::Parquet(Box::new(super::parquet::Writer::new(pipeline, output)?)),
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => return Err(std::io::Error::other(Format::Parquet.supported().unwrap_err())),
        })
    }

    /// Writes the outputs of a completed run.
    pub fn write(&mut self, pipeline: &Pipeline, outcome: &Outcome, line: &mut String) -> std::io::Result<()> {
        match self {
            Out::Lines(out) => {
                line.clear();
                outcome.write_outputs_json(Layout::Compact, line);
                line.push('\n');
                out.write_all(line.as_bytes())
            }
            Out::Records(out) => {
                let cells = pipeline.outputs().map(|(name, ty)| cell(outcome.get(name), ty));
                out.write_record(cells.collect::<Vec<String>>()).map_err(std::io::Error::other)
            }
            #[cfg(feature = "parquet")]
            Out::Parquet(out) => {
                let json =
                    |(name, ty): (&str, &Type)| outcome.get(name).map(|v| asterism_runtime::json::to_json(v, ty));
                let values: Vec<Option<String>> = pipeline.outputs().map(json).collect();
                out.write(pipeline, &values, line)
            }
        }
    }

    /// Writes what is held; the end of the output (a Parquet file's footer is written here).
    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::Lines(out) => out.flush(),
            Out::Records(out) => out.flush(),
            #[cfg(feature = "parquet")]
            Out::Parquet(out) => out.finish(),
        }
    }
}

/// A CSV cell: a string's text, else the value's JSON; empty when there is none.
fn cell(value: Option<&Value>, ty: &Type) -> String {
    match (value, ty) {
        (None, _) => String::new(),
        (Some(Value::Str(s)), Type::String) => s.to_string(),
        (Some(v), ty) => asterism_runtime::json::to_json(v, ty),
    }
}

/// The errors file's line of a failed row: its number, its input, its errors (with their lines
/// in the pipeline when they are run errors), and the outputs it did finish.
pub fn failure(row: &Row, outcome: Option<&Outcome>) -> String {
    let errors: Vec<serde_json::Value> = match (&row.inputs, outcome) {
        (Err(problems), _) => problems.iter().map(|p| serde_json::json!({ "message": p })).collect(),
        (Ok(_), Some(o)) => {
            o.errors().iter().map(|e| serde_json::json!({"message": e.message, "line": e.line})).collect()
        }
        (Ok(_), None) => Vec::new(),
    };
    let outputs: serde_json::Value = outcome
        .map(|o| serde_json::from_str(&o.outputs_json(Layout::Compact)).unwrap_or_default())
        .unwrap_or_else(|| serde_json::json!({}));
    let line =
        serde_json::json!({"row": row.number, "input": row.source.to_json(), "errors": errors, "outputs": outputs});
    format!("{line}\n")
}
