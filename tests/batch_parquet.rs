//! `asterism batch` with Parquet (feature `parquet`): a Parquet file in, its rows run; outputs
//! out as typed Parquet columns (lists and records as Arrow lists and structs, other types as JSON
//! text); a row with a null required cell fails alone; a file without a required column, or not
//! Parquet at all, is refused before anything runs; Parquet → NDJSON → Parquet keeps every value.

use arrow_array::{Array, Float64Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

fn asterism(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asterism"))
        .args(args)
        .current_dir(dir)
        .env("ASTERISM_NO_CACHE", "1")
        .output()
        .unwrap()
}

const PIPELINE: &str = "\
in name: String
in n: Int
in score: Optional<Float>
label = \"${name}:${n}\"
twice = n * 2
tags = [name, \"x\"]
info = {name: name, big: n > 2}
kept = score ?? -1.0
pairs = if (n > 2) name else n
out label
out twice
out tags
out info
out kept
out pairs
";

/// A Parquet file of names, counts (one null) and optional scores, in row groups of 2.
fn input(path: &Path) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("n", DataType::Int64, true),
        Field::new("score", DataType::Float64, true),
        Field::new("unused", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["ada", "bob", "cy", "dee", "eve"])),
            Arc::new(Int64Array::from(vec![Some(1), Some(2), None, Some(4), Some(5)])),
            Arc::new(Float64Array::from(vec![Some(0.5), None, Some(1.5), Some(2.5), None])),
            Arc::new(StringArray::from(vec![Some("u"), None, None, None, None])),
        ],
    )
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(2)).build();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn read(path: &Path) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap().build().unwrap();
    let mut batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.len(), 1, "a few rows make one row group");
    batches.remove(0)
}

#[test]
fn parquet_rows_run_and_outputs_come_back_as_typed_columns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cst"), PIPELINE).unwrap();
    input(&dir.path().join("in.parquet"));
    let out = asterism(&["batch", "p.cst", "in.parquet", "-o", "out.parquet", "--errors", "err.ndjson"], dir.path());
    assert_eq!(out.status.code(), Some(2), "one row fails: {}", String::from_utf8_lossy(&out.stderr));
    let errors = std::fs::read_to_string(dir.path().join("err.ndjson")).unwrap();
    let failed: serde_json::Value = serde_json::from_str(errors.trim()).unwrap();
    assert_eq!(failed["row"], 3);
    assert_eq!(failed["input"]["name"], "cy", "the row's cells, as read: {failed}");
    assert!(failed["errors"][0]["message"].as_str().unwrap().contains('n'), "{failed}");

    let batch = read(&dir.path().join("out.parquet"));
    assert_eq!(batch.num_rows(), 4);
    let schema = batch.schema();
    let ty = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(ty("label"), DataType::Utf8);
    assert_eq!(ty("twice"), DataType::Int64);
    assert_eq!(ty("kept"), DataType::Float64);
    assert!(matches!(ty("tags"), DataType::List(f) if *f.data_type() == DataType::Utf8));
    assert!(matches!(ty("info"), DataType::Struct(_)));
    assert_eq!(ty("pairs"), DataType::Utf8, "a union is kept as its JSON text");
    let column = |name: &str| batch.column_by_name(name).unwrap().clone();
    let labels = column("label");
    let labels = labels.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(labels.iter().flatten().collect::<Vec<_>>(), ["ada:1", "bob:2", "dee:4", "eve:5"]);
    let twice = column("twice");
    assert_eq!(twice.as_any().downcast_ref::<Int64Array>().unwrap().values(), &[2, 4, 8, 10]);
    let kept = column("kept");
    assert_eq!(kept.as_any().downcast_ref::<Float64Array>().unwrap().values(), &[0.5, -1.0, 2.5, -1.0]);
    let tags = column("tags");
    let tags = tags.as_any().downcast_ref::<ListArray>().unwrap();
    let first = tags.value(0);
    assert_eq!(
        first.as_any().downcast_ref::<StringArray>().unwrap().iter().flatten().collect::<Vec<_>>(),
        ["ada", "x"]
    );
    let info = column("info");
    let info = info.as_any().downcast_ref::<StructArray>().unwrap();
    let big = info.column_by_name("big").unwrap();
    let big = big.as_any().downcast_ref::<arrow_array::BooleanArray>().unwrap();
    assert_eq!(big.iter().flatten().collect::<Vec<_>>(), [false, false, true, true]);
    let pairs = column("pairs");
    assert_eq!(pairs.as_any().downcast_ref::<StringArray>().unwrap().value(0), r#"{"tag":"Int","value":1}"#);
}

#[test]
fn parquet_to_ndjson_and_back_keeps_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let copy = "in name: String\nin n: Int\nin score: Optional<Float>\nout name\nout n\nout score\n";
    std::fs::write(dir.path().join("copy.cst"), copy).unwrap();
    input(&dir.path().join("in.parquet"));
    let out = asterism(&["batch", "copy.cst", "in.parquet", "-o", "a.ndjson", "--errors", "e1.ndjson"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = asterism(&["batch", "copy.cst", "a.ndjson", "-o", "b.parquet"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = asterism(&["batch", "copy.cst", "b.parquet", "-o", "c.ndjson"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let a = std::fs::read_to_string(dir.path().join("a.ndjson")).unwrap();
    assert_eq!(a.lines().count(), 4);
    assert_eq!(a, std::fs::read_to_string(dir.path().join("c.ndjson")).unwrap());
}

#[test]
fn a_file_without_a_required_column_or_not_parquet_is_refused_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cst"), "in name: String\nin age: Int\nout age\n").unwrap();
    input(&dir.path().join("in.parquet"));
    let out = asterism(&["batch", "p.cst", "in.parquet"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the Parquet file has no column for the input(s) 'age'"));
    std::fs::write(dir.path().join("fake.parquet"), "name\nada\n").unwrap();
    let out = asterism(&["batch", "p.cst", "fake.parquet"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Parquet file"));
    let out = asterism(&["batch", "p.cst", "-", "--format", "parquet"], dir.path());
    assert_eq!(out.status.code(), Some(10), "Parquet is not read from standard input");
}
