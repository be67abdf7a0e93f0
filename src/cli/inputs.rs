//! The inputs of `run`: an optional `-f` JSON object, overridden key by key by `-i NAME=VALUE`
//! (SPEC §11.1). VALUE is JSON when it parses as JSON, else a string.

use super::read;

/// The inputs document to parse, or the input errors (an unreadable or non-object `-f`).
pub fn document(file: Option<&str>, pairs: &[(String, String)]) -> Result<Vec<u8>, Vec<String>> {
    let base = match file {
        Some(path) => read(path).map_err(|e| vec![format!("{e:#}")])?,
        None => b"{}".to_vec(),
    };
    if pairs.is_empty() {
        return Ok(base);
    }
    let mut doc: serde_json::Value =
        serde_json::from_slice(&base).map_err(|e| vec![format!("cannot parse inputs: {e}")])?;
    let Some(object) = doc.as_object_mut() else { return Err(vec!["inputs must be a JSON object".to_string()]) };
    for (name, value) in pairs {
        let value = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.clone()));
        object.insert(name.clone(), value);
    }
    Ok(doc.to_string().into_bytes())
}

/// Splits `-i` arguments at their first `=`; `Err` names a malformed one.
pub fn pairs(args: &[String]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
            _ => Err(format!("malformed input '{a}': write -i NAME=VALUE")),
        })
        .collect()
}
