//! Parquet in and out of a batch (feature `parquet`), through Arrow record batches and Arrow's
//! JSON codec, so that a Parquet row is read, and an output written, by the same rules as an
//! NDJSON line.
//!
//! Takes: a Parquet file and the pipeline (reading), or the pipeline's outputs and a writer
//! (writing). Gives: the file's rows as NDJSON lines, one record batch of `BATCH` rows at a time
//! (`reader`); a Parquet file of a column per output (`Writer`): `String`, `Int`, `Float`,
//! `Boolean`, lists and records of them as the Arrow types they are, any other type (a map, a
//! union) as its JSON text. Guarantees: memory bounded by one record batch either way; a file
//! without a column for a required input is refused before any row runs; a null or absent cell is
//! a missing input (an optional one is `None`); the written file is complete only after `finish`
//! (Parquet's footer comes last).

use crate::{Pipeline, Type};
use arrow_array::RecordBatch;
use arrow_json::reader::Decoder;
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::io::{Read, Write};
use std::sync::Arc;

/// Rows per record batch, read or written.
const BATCH: usize = 4096;

/// The rows of a Parquet file as NDJSON lines, for the pipeline's inputs.
pub fn reader(file: std::fs::File, pipeline: &Pipeline) -> Result<Box<dyn Read + Send>, String> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| format!("not a Parquet file: {e}"))?;
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    super::read::columns(pipeline, &header, "the Parquet file")?;
    let batches = builder.with_batch_size(BATCH).build().map_err(|e| format!("cannot read the Parquet file: {e}"))?;
    Ok(Box::new(Lines { batches, buffer: Vec::new(), at: 0 }))
}

/// A Parquet file read as NDJSON: each record batch written out as lines when the last is taken.
struct Lines {
    batches: ParquetRecordBatchReader,
    buffer: Vec<u8>,
    at: usize,
}

impl Read for Lines {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.buffer.len() {
            let Some(batch) = self.batches.next() else { return Ok(0) };
            let batch = batch.map_err(|e| std::io::Error::other(format!("a Parquet row group: {e}")))?;
            self.buffer.clear();
            self.at = 0;
            let mut writer = arrow_json::LineDelimitedWriter::new(&mut self.buffer);
            writer.write(&batch).and_then(|()| writer.finish()).map_err(std::io::Error::other)?;
        }
        let n = out.len().min(self.buffer.len() - self.at);
        out[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Outputs written as Parquet: rows decoded into a record batch, each full batch a row group.
pub struct Writer {
    writer: ArrowWriter<Box<dyn Write + Send>>,
    decoder: Decoder,
    /// For each output, whether its column holds its JSON text.
    text: Vec<bool>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("text", &self.text).finish_non_exhaustive()
    }
}

impl Writer {
    pub fn new(pipeline: &Pipeline, output: Box<dyn Write + Send>) -> std::io::Result<Writer> {
        let mut text = Vec::new();
        let fields: Vec<Field> = pipeline
            .outputs()
            .map(|(name, ty)| {
                let arrow = arrow_type(ty);
                text.push(arrow.is_none());
                Field::new(name, arrow.unwrap_or(DataType::Utf8), true)
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let decoder = arrow_json::ReaderBuilder::new(schema.clone())
            .with_batch_size(BATCH)
            .build_decoder()
            .map_err(std::io::Error::other)?;
        let writer = ArrowWriter::try_new(output, schema, None).map_err(std::io::Error::other)?;
        Ok(Writer { writer, decoder, text })
    }

    /// Writes a row: `values` are the outputs' JSON, in output order (none when missing).
    pub fn write(&mut self, pipeline: &Pipeline, values: &[Option<String>], line: &mut String) -> std::io::Result<()> {
        line.clear();
        line.push('{');
        let mut first = true;
        for (((name, _), value), text) in pipeline.outputs().zip(values).zip(&self.text) {
            let Some(value) = value else { continue };
            if !std::mem::take(&mut first) {
                line.push(',');
            }
            line.push_str(&serde_json::Value::from(name).to_string());
            line.push(':');
            match text {
                true => line.push_str(&serde_json::Value::from(value.as_str()).to_string()),
                false => line.push_str(value),
            }
        }
        line.push_str("}\n");
        let mut bytes = line.as_bytes();
        while !bytes.is_empty() {
            let n = self.decoder.decode(bytes).map_err(std::io::Error::other)?;
            bytes = &bytes[n..];
            if self.decoder.len() >= BATCH || n == 0 {
                self.group()?;
            }
        }
        Ok(())
    }

    /// Writes the rows decoded so far.
    fn group(&mut self) -> std::io::Result<()> {
        let batch: Option<RecordBatch> = self.decoder.flush().map_err(std::io::Error::other)?;
        match batch {
            Some(batch) => self.writer.write(&batch).map_err(std::io::Error::other),
            None => Ok(()),
        }
    }

    /// Writes the last rows and the footer: the file is complete.
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.group()?;
        self.writer.finish().map_err(std::io::Error::other)?;
        self.writer.inner_mut().flush()
    }
}

/// The Arrow type of a column of `ty`; none for a type kept as JSON text.
fn arrow_type(ty: &Type) -> Option<DataType> {
    Some(match ty {
        Type::String => DataType::Utf8,
        Type::Int => DataType::Int64,
        Type::Float => DataType::Float64,
        Type::Boolean => DataType::Boolean,
        Type::Optional(t) => arrow_type(t)?,
        Type::List(t) | Type::Seq(t) => DataType::List(Arc::new(Field::new("item", arrow_type(t)?, true))),
        Type::Record(r) => {
            let fields: Option<Vec<Field>> =
                r.fields().iter().map(|(name, t)| Some(Field::new(&**name, arrow_type(t)?, true))).collect();
            DataType::Struct(Fields::from(fields?))
        }
        _ => return None,
    })
}
