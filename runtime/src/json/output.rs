//! Output serialisation (SPEC §8.4): the JSON of a value, written straight from the value and its
//! static type.
//!
//! Takes: a value, its type and a layout. Gives: JSON appended to a `String` — integers for Int;
//! the Float text form of SPEC §8.3 for Float (so always with `.` or `e`; NaN and ±inf as `null`);
//! records as objects in canonical field order; `Map<String, V>` as an object in map order, other
//! maps as arrays of `[key, value]`; `None` as `null` and `Some(v)` as `v`; a union value as
//! `{"tag": "<canonical text of its member>", "value": ...}`.
//! Guarantees: valid JSON for every value (strings escaped, control characters as `\u00XX` or
//! their short escapes); never panics, even on a value that breaks the representation invariants
//! for its type (such a part is written as `null`). `Layout::Pretty` indents by two spaces like
//! serde_json's pretty printer.

use asterism_registry::{ListView, Type, Value, text};
use std::fmt::Write;

/// Whitespace in the written JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// No whitespace: `{"a":[1,2]}`.
    #[default]
    Compact,
    /// One member per line, indented by two spaces, `": "` after keys.
    Pretty,
}

/// Appends the JSON of `value`, whose static type is `ty`.
pub fn write_value(value: &Value, ty: &Type, layout: Layout, out: &mut String) {
    Writer::new(layout, out).value(value, ty);
}

/// Appends the outputs object `{"name": value, ...}`, keys in the given order.
pub fn write_outputs<'a>(
    outputs: impl IntoIterator<Item = (&'a str, &'a Value, &'a Type)>,
    layout: Layout,
    out: &mut String,
) {
    Writer::new(layout, out).members(outputs, |w, (name, value, ty)| {
        w.key(name);
        w.value(value, ty);
    });
}

/// The compact JSON of `value` as a new string.
pub fn to_json(value: &Value, ty: &Type) -> String {
    let mut out = String::new();
    write_value(value, ty, Layout::Compact, &mut out);
    out
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match escape {
            "" => {
                let _ = write!(out, "\\u{b:04x}");
            }
            escape => out.push_str(escape),
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

struct Writer<'o> {
    out: &'o mut String,
    pretty: bool,
    depth: usize,
}

impl<'o> Writer<'o> {
    fn new(layout: Layout, out: &'o mut String) -> Writer<'o> {
        Writer { out, pretty: layout == Layout::Pretty, depth: 0 }
    }

    fn value(&mut self, value: &Value, ty: &Type) {
        match (ty, value) {
            (Type::Optional(_), Value::None) => self.out.push_str("null"),
            (Type::Optional(inner), Value::Some(v)) => self.value(v, inner),
            (Type::Optional(inner), v) => self.value(v, inner),
            (Type::Union(members), Value::Tagged(i, v)) => match members.get(*i as usize) {
                Some(member) => self.tagged(member, v),
                None => self.out.push_str("null"),
            },
            (Type::Record(record), Value::Record(fields)) => {
                self.members(record.fields().iter().zip(fields.iter()), |w, ((name, ty), v)| {
                    w.key(name);
                    w.value(v, ty);
                })
            }
            (Type::Map(k, v), Value::Map(entries)) => self.map(k, v, entries),
            (Type::List(elem) | Type::Seq(elem), v) => match v.as_list() {
                Some(list) => self.list(list, elem),
                None => self.out.push_str("null"),
            },
            _ => self.scalar(value),
        }
    }

    fn scalar(&mut self, value: &Value) {
        match value {
            Value::Int(n) => {
                let _ = write!(self.out, "{n}");
            }
            Value::Float(x) => self.float(*x),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Str(s) => write_str(s, self.out),
            _ => self.out.push_str("null"),
        }
    }

    fn float(&mut self, x: f64) {
        if x.is_finite() {
            text::float(x, self.out);
        } else {
            self.out.push_str("null");
        }
    }

    fn list(&mut self, list: ListView<'_>, elem: &Type) {
        match list {
            ListView::Ints(ns) => self.items(ns, |w, n| {
                let _ = write!(w.out, "{n}");
            }),
            ListView::Floats(xs) => self.items(xs, |w, x| w.float(*x)),
            ListView::Values(vs) => self.items(vs, |w, v| w.value(v, elem)),
        }
    }

    fn map(&mut self, key_ty: &Type, value_ty: &Type, entries: &[(Value, Value)]) {
        if *key_ty == Type::String {
            self.members(entries, |w, (k, v)| {
                w.key(k.as_str().unwrap_or_default());
                w.value(v, value_ty);
            });
        } else {
            self.items(entries, |w, (k, v)| w.items([(k, key_ty), (v, value_ty)], |w, (x, t)| w.value(x, t)));
        }
    }

    fn tagged(&mut self, member: &Type, contents: &Value) {
        self.members([false, true], |w, is_value| {
            if is_value {
                w.key("value");
                w.value(contents, member);
            } else {
                w.key("tag");
                write_str(&member.to_string(), w.out);
            }
        });
    }

    fn key(&mut self, name: &str) {
        write_str(name, self.out);
        self.out.push_str(if self.pretty { ": " } else { ":" });
    }

    /// An array of `items`, each written by `each`.
    fn items<I: IntoIterator>(&mut self, items: I, each: impl FnMut(&mut Self, I::Item)) {
        self.enclose('[', ']', items, each);
    }

    /// An object whose members `each` writes (key, then value).
    fn members<I: IntoIterator>(&mut self, items: I, each: impl FnMut(&mut Self, I::Item)) {
        self.enclose('{', '}', items, each);
    }

    fn enclose<I: IntoIterator>(
        &mut self,
        open: char,
        close: char,
        items: I,
        mut each: impl FnMut(&mut Self, I::Item),
    ) {
        self.out.push(open);
        self.depth += 1;
        let mut empty = true;
        for item in items {
            if !empty {
                self.out.push(',');
            }
            empty = false;
            self.newline();
            each(self, item);
        }
        self.depth -= 1;
        if !empty {
            self.newline();
        }
        self.out.push(close);
    }

    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        write_str("a\"b\\c\n\t\u{1}\u{7f}é", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\t\\u0001\u{7f}é\"");
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), "a\"b\\c\n\t\u{1}\u{7f}é");
    }

    #[test]
    fn pretty_layout_matches_serde_json() {
        let ty = Type::record([("a".into(), Type::list(Type::Int)), ("b".into(), Type::list(Type::Float))]);
        let v = Value::Record([Value::Ints([1, 2].into()), Value::Floats([].into())].into());
        let mut out = String::new();
        write_value(&v, &ty, Layout::Pretty, &mut out);
        assert_eq!(out, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": []\n}");
    }
}
