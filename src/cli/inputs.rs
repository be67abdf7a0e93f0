//! The inputs of `run`: an optional `-f` JSON object, overridden key by key by `-i NAME=VALUE`
//! (SPEC §11.1). VALUE is JSON when it parses as JSON, else a string; each is read once, by the
//! pipeline, against its input's type.

use super::read;
use std::path::Path;

/// The inputs document (`{}` without `-f`), or the input error of an unreadable `-f`.
pub fn document(file: Option<&Path>) -> Result<Vec<u8>, Vec<String>> {
    match file {
        Some(path) => read(path).map_err(|e| vec![format!("{e:#}")]),
        None => Ok(b"{}".to_vec()),
    }
}

/// Splits `-i` arguments at their first `=`; `Err` names a malformed one.
pub fn pairs(args: &[String]) -> Result<Vec<(&str, &str)>, String> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name, value)),
            _ => Err(format!("malformed input '{a}': write -i NAME=VALUE")),
        })
        .collect()
}
