//! Rows in: each line of NDJSON, or each record of CSV, read as a run's inputs.
//!
//! Takes: a reader, its format and the pipeline. Gives: `Row`s in file order, each with its number
//! (1 for the first row of data) and its inputs, or the problems that kept them from being read
//! (`row 3, column 'age': expected Int, got "x"`). Guarantees: a bad row never stops the reading;
//! a CSV cell is taken as text for a `String` input, as null when empty for an optional one, and
//! as JSON otherwise (`42`, `true`, `[1, 2]`); empty lines of NDJSON are skipped.

use super::format::Format;
use crate::{Inputs, Pipeline, Type, Value};
use asterism_runtime::json::parse_value;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

/// One row of the input file.
#[derive(Debug)]
pub struct Row {
    pub number: u64,
    /// The row as the errors file shows it: the line, or the record as an object of its cells.
    pub source: Source,
    pub inputs: Result<Inputs, Vec<String>>,
}

#[derive(Debug)]
pub enum Source {
    Line(String),
    Record(Arc<[String]>, Vec<String>),
}

impl Source {
    /// The row as JSON: the line's value when it is JSON, else the line as a string; a record as
    /// an object of its columns.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Source::Line(line) => serde_json::from_str(line).unwrap_or_else(|_| line.as_str().into()),
            Source::Record(header, cells) => {
                header.iter().cloned().zip(cells.iter().map(|c| serde_json::Value::from(c.as_str()))).collect()
            }
        }
    }
}

/// What rows are read from.
pub type Input = BufReader<Box<dyn Read + Send>>;

/// The rows of `input`, read one at a time; the first `skip` are read past, not converted.
pub fn rows(pipeline: &Pipeline, input: Box<dyn Read + Send>, format: Format, skip: u64) -> Result<Rows, String> {
    let input = BufReader::with_capacity(1 << 16, input);
    Ok(match format {
        Format::Ndjson => Rows::Lines { pipeline: pipeline.clone(), input, number: 0, skip, line: String::new() },
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
            let header: Arc<[String]> = match reader.headers() {
                Ok(h) => h.iter().map(str::to_string).collect(),
                Err(e) => return Err(format!("cannot read the CSV header: {e}")),
            };
            let columns = columns(pipeline, &header, "the CSV header")?;
            Rows::Records { pipeline: pipeline.clone(), reader, header, columns, number: 0, skip }
        }
        // Parquet's footer comes last: it is read from a file (`parquet::reader`), as NDJSON.
        Format::Parquet => return Err("Parquet input is read from a file, as its rows' NDJSON".to_string()),
    })
}

/// Where each declared input is among the columns of `what`; every input must have one unless
/// optional.
pub(super) fn columns(pipeline: &Pipeline, header: &[String], what: &str) -> Result<Vec<Option<usize>>, String> {
    let mut columns = Vec::new();
    let mut missing = Vec::new();
    for (name, ty) in pipeline.inputs() {
        let at = header.iter().position(|h| h == name);
        if at.is_none() && !matches!(ty, Type::Optional(_)) {
            missing.push(format!("'{name}'"));
        }
        columns.push(at);
    }
    match missing.is_empty() {
        true => Ok(columns),
        false => Err(format!("{what} has no column for the input(s) {}", missing.join(", "))),
    }
}

pub enum Rows {
    Lines {
        pipeline: Pipeline,
        input: Input,
        number: u64,
        skip: u64,
        line: String,
    },
    Records {
        pipeline: Pipeline,
        reader: csv::Reader<Input>,
        header: Arc<[String]>,
        columns: Vec<Option<usize>>,
        number: u64,
        skip: u64,
    },
}

impl Rows {
    /// Whether everything read from the source so far has been taken: the next row may wait for
    /// the source (a pipe), so rows held back should go now.
    pub fn drained(&self) -> bool {
        match self {
            Rows::Lines { input, .. } => input.buffer().is_empty(),
            Rows::Records { reader, .. } => reader.get_ref().buffer().is_empty(),
        }
    }
}

impl Iterator for Rows {
    /// A row, or a failure to read the file itself (then the batch stops).
    type Item = Result<Row, String>;

    fn next(&mut self) -> Option<Result<Row, String>> {
        match self {
            Rows::Lines { pipeline, input, number, skip, line } => loop {
                line.clear();
                match input.read_line(line) {
                    Ok(0) => return None,
                    Err(e) => return Some(Err(format!("cannot read the input: {e}"))),
                    Ok(_) => {}
                }
                let text = line.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                *number += 1;
                if *number <= *skip {
                    continue;
                }
                let inputs = pipeline.parse_inputs(text.as_bytes());
                return Some(Ok(Row { number: *number, source: Source::Line(text.to_string()), inputs }));
            },
            Rows::Records { pipeline, reader, header, columns, number, skip } => loop {
                let mut record = csv::StringRecord::new();
                match reader.read_record(&mut record) {
                    Ok(false) => return None,
                    Err(e) => return Some(Err(format!("cannot read the CSV input: {e}"))),
                    Ok(true) => {
                        *number += 1;
                        if *number <= *skip {
                            continue;
                        }
                        let cells: Vec<String> = record.iter().map(str::to_string).collect();
                        let inputs = record_inputs(pipeline, header, columns, &cells, *number);
                        return Some(Ok(Row {
                            number: *number,
                            source: Source::Record(header.clone(), cells),
                            inputs,
                        }));
                    }
                }
            },
        }
    }
}

/// The inputs of a CSV record, each cell converted to its input's type.
fn record_inputs(
    pipeline: &Pipeline,
    header: &[String],
    columns: &[Option<usize>],
    cells: &[String],
    row: u64,
) -> Result<Inputs, Vec<String>> {
    let mut values = Vec::with_capacity(columns.len());
    let mut problems = Vec::new();
    for ((name, ty), column) in pipeline.inputs().zip(columns) {
        let cell = column.and_then(|c| cells.get(c)).map(String::as_str);
        let at = |detail: &str| {
            let column = column.map_or(name, |c| header[c].as_str());
            format!("row {row}, column '{column}': {detail}")
        };
        match cell_value(cell, ty, &pipeline.env.limits) {
            Ok(v) => values.push(v),
            Err(detail) => problems.push(at(&detail)),
        }
    }
    match problems.is_empty() {
        true => Ok(Inputs::from_values(values)),
        false => Err(problems),
    }
}

/// A cell as a value of `ty`.
fn cell_value(cell: Option<&str>, ty: &Type, limits: &crate::Limits) -> Result<Value, String> {
    match (cell, ty) {
        (None | Some(""), Type::Optional(_)) => Ok(Value::None),
        (None, _) => Err("no such cell".to_string()),
        (Some(text), Type::String) => Ok(Value::Str(text.into())),
        (Some(text), ty) => parse_value(text.trim().as_bytes(), ty, limits).map_err(|problems| {
            let shown = serde_json::Value::from(text.chars().take(40).collect::<String>());
            match problems.first().is_some_and(|p| p.starts_with("not valid JSON")) {
                true => format!("expected {ty}, got {shown}"),
                false => format!("{shown}: {}", problems.join("; ")),
            }
        }),
    }
}
