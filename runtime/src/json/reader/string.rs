//! A JSON string: borrowed from the document when it holds no escape, else unescaped into a
//! scratch buffer.
//!
//! Takes: the document, the position just past the opening quote, and the scratch buffer. Gives:
//! the string's text, the position moved past the closing quote; `Refused` for what serde_json
//! refuses too: a control character, invalid UTF-8, an unknown escape, a surrogate escape not in
//! a pair, an unterminated string.

use super::Refused;

/// A string's text, where it lives.
pub(super) enum Text<'de, 's> {
    Borrowed(&'de str),
    Scratch(&'s str),
}

/// Reads the string whose text starts at `*at`.
#[inline]
pub(super) fn read<'de, 's>(
    doc: &'de [u8],
    at: &mut usize,
    scratch: &'s mut Vec<u8>,
) -> Result<Text<'de, 's>, Refused> {
    let start = *at;
    let end = plain_run(doc, start);
    match doc.get(end) {
        Some(b'"') => {
            *at = end + 1;
            std::str::from_utf8(&doc[start..end]).map(Text::Borrowed).map_err(|_| Refused)
        }
        Some(b'\\') => {
            scratch.clear();
            scratch.extend_from_slice(&doc[start..end]);
            *at = end;
            escaped(doc, at, scratch)?;
            std::str::from_utf8(scratch).map(Text::Scratch).map_err(|_| Refused)
        }
        _ => Err(Refused),
    }
}

/// Where the bytes from `i` that stand for themselves end: at a quote, a backslash, a control
/// character or the end of the document.
#[inline]
fn plain_run(doc: &[u8], mut i: usize) -> usize {
    while let Some(&b) = doc.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// Unescapes the rest of a string that has an escape at `*at` into `out`, through its closing
/// quote.
fn escaped(doc: &[u8], at: &mut usize, out: &mut Vec<u8>) -> Result<(), Refused> {
    loop {
        match doc.get(*at) {
            Some(b'"') => {
                *at += 1;
                return Ok(());
            }
            Some(b'\\') => {
                let escape = *doc.get(*at + 1).ok_or(Refused)?;
                *at += 2;
                let byte = match escape {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0C,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        let c = unicode(doc, at)?;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        continue;
                    }
                    _ => return Err(Refused),
                };
                out.push(byte);
            }
            Some(_) => {
                let end = plain_run(doc, *at);
                if end == *at {
                    return Err(Refused); // a control character
                }
                out.extend_from_slice(&doc[*at..end]);
                *at = end;
            }
            None => return Err(Refused),
        }
    }
}

/// The character of a `\u` escape whose hex digits start at `*at`: one code unit, or a high
/// surrogate followed by `\u` and a low one.
fn unicode(doc: &[u8], at: &mut usize) -> Result<char, Refused> {
    let unit = hex4(doc, at)?;
    let code = match unit {
        0xD800..=0xDBFF => {
            if doc.get(*at..*at + 2) != Some(b"\\u") {
                return Err(Refused);
            }
            *at += 2;
            let low = hex4(doc, at)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return Err(Refused);
            }
            0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        }
        0xDC00..=0xDFFF => return Err(Refused),
        unit => unit,
    };
    char::from_u32(code).ok_or(Refused)
}

/// Four hex digits at `*at`.
fn hex4(doc: &[u8], at: &mut usize) -> Result<u32, Refused> {
    let digits = doc.get(*at..*at + 4).ok_or(Refused)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + char::from(d).to_digit(16).ok_or(Refused)?;
    }
    *at += 4;
    Ok(n)
}
