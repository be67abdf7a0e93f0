//! Building `with` clauses: the grammar reads each option as a `RawOption` (a name and a value of
//! some shape); `WithClause::build` turns the list into typed `CallOptions` (`ast::options`),
//! reporting unknown names and values of the wrong shape as E020. Range checks (E016) and
//! warnings (W002, W003) belong to the checker. A repeated option: the last one wins, without a
//! diagnostic.

use crate::ast::Expr;
use crate::ast::options::{Backoff, CallOptions, Fallback, Join, OPTION_NAMES, OnError, Opt, Rate, Window, WithClause};
use crate::diagnostic::{Code, Diagnostic};
use crate::span::Span;
use crate::suggest;

/// The value of one option as the grammar read it.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue<'src> {
    /// `lazy` written without a value.
    Absent,
    Int(i128),
    Float(f64),
    Duration(u64),
    Rate(u64, u64),
    Word(&'src str),
    Call(&'src str, Vec<RawValue<'src>>),
    Str(String),
    /// An interpolated string (never valid as an option value).
    Interp,
    Bool(bool),
    Fallback(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawOption<'src> {
    pub name: &'src str,
    pub name_span: Span,
    /// The span of `name: value`.
    pub span: Span,
    /// The span of the value alone.
    pub value_span: Span,
    pub value: RawValue<'src>,
}

impl WithClause {
    /// Types the raw options of one clause; problems are pushed to `errors` as E020.
    pub fn build(span: Span, raw: Vec<RawOption<'_>>, src: &str, errors: &mut Vec<Diagnostic>) -> WithClause {
        let mut options = CallOptions::default();
        for option in raw {
            if let Err(diagnostic) = options.set(option, src) {
                errors.push(diagnostic);
            }
        }
        WithClause { span, options }
    }
}

fn expectation(name: &str) -> &'static str {
    match name {
        "retry" | "concurrency" | "batch" => "an integer such as 3",
        "timeout" | "delay" | "cache" | "batch_timeout" | "checkpoint" => "a duration such as 500ms",
        "backoff" => "one of fixed, linear, exponential",
        "cache_backend" => "a string literal such as \"shared\"",
        "throttle" => "a rate such as 100/1min",
        "on_error" => "one of propagate, skip, log, wrap",
        "lazy" => "true or false",
        "priority" => "one of critical, high, normal, low, background, or an integer",
        "window" => "tumbling(D), sliding(D, D) or count(N)",
        "join" => "one of combine_latest, zip, buffer(D)",
        _ => "an expression",
    }
}

fn opt<T>(span: Span, text: &str, value: T) -> Opt<T> {
    Opt { value, span, text: text.to_string() }
}

impl RawOption<'_> {
    /// Checks the option's name and the shape of its value (E020), without keeping it.
    pub fn validate(&self, src: &str) -> Result<(), Diagnostic> {
        match self.value {
            RawValue::Fallback(_) => Ok(()),
            _ => CallOptions::default().set_value(self, src),
        }
    }
}

impl CallOptions {
    fn set(&mut self, option: RawOption<'_>, src: &str) -> Result<(), Diagnostic> {
        match option.value {
            RawValue::Fallback(expr) => {
                self.fallback = Some(Fallback { expr: std::sync::Arc::new(expr), span: option.span });
                Ok(())
            }
            _ => self.set_value(&option, src),
        }
    }

    fn set_value(&mut self, option: &RawOption<'_>, src: &str) -> Result<(), Diagnostic> {
        let name = option.name;
        if !OPTION_NAMES.contains(&name) && name != "lazy" {
            let mut d = Diagnostic::new(Code::E020, option.name_span, format!("unknown option '{name}'"));
            if let Some(help) = suggest::did_you_mean(name, OPTION_NAMES.iter().copied(), false) {
                d = d.with_help(help);
            }
            return Err(d);
        }
        let text = src.get(option.value_span.start..option.value_span.end).unwrap_or_default().to_string();
        let span = option.span;
        let wrong = || {
            Diagnostic::new(
                Code::E020,
                option.value_span,
                format!("invalid value for option '{name}': expected {}", expectation(name)),
            )
        };
        let int = |v: &RawValue<'_>| match *v {
            RawValue::Int(n) => {
                i64::try_from(n).map_err(|_| Diagnostic::new(Code::E020, option.value_span, crate::lex::INT_RANGE))
            }
            _ => Err(wrong()),
        };
        let duration = |v: &RawValue<'_>| match *v {
            RawValue::Duration(ms) => Ok(ms),
            _ => Err(wrong()),
        };
        let value = &option.value;
        match name {
            "retry" => self.retry = Some(opt(span, &text, int(value)?)),
            "concurrency" => self.concurrency = Some(opt(span, &text, int(value)?)),
            "batch" => self.batch = Some(opt(span, &text, int(value)?)),
            "timeout" => self.timeout = Some(opt(span, &text, duration(value)?)),
            "delay" => self.delay = Some(opt(span, &text, duration(value)?)),
            "cache" => self.cache = Some(opt(span, &text, duration(value)?)),
            "batch_timeout" => self.batch_timeout = Some(opt(span, &text, duration(value)?)),
            "checkpoint" => self.checkpoint = Some(opt(span, &text, duration(value)?)),
            "backoff" => {
                let b = match value {
                    RawValue::Word("fixed") => Backoff::Fixed,
                    RawValue::Word("linear") => Backoff::Linear,
                    RawValue::Word("exponential") => Backoff::Exponential,
                    _ => return Err(wrong()),
                };
                self.backoff = Some(opt(span, &text, b));
            }
            "on_error" => {
                let e = match value {
                    RawValue::Word("propagate") => OnError::Propagate,
                    RawValue::Word("skip") => OnError::Skip,
                    RawValue::Word("log") => OnError::Log,
                    RawValue::Word("wrap") => OnError::Wrap,
                    _ => return Err(wrong()),
                };
                self.on_error = Some(opt(span, &text, e));
            }
            "cache_backend" => match value {
                RawValue::Str(s) => self.cache_backend = Some(opt(span, &text, s.clone())),
                _ => return Err(wrong()),
            },
            "throttle" => match *value {
                RawValue::Rate(count, per_ms) => self.throttle = Some(opt(span, &text, Rate { count, per_ms })),
                _ => return Err(wrong()),
            },
            "lazy" => match *value {
                RawValue::Absent => self.lazy = Some(Opt { value: true, span, text: String::new() }),
                RawValue::Bool(b) => self.lazy = Some(opt(span, &text, b)),
                _ => return Err(wrong()),
            },
            "priority" => {
                let p = match *value {
                    RawValue::Word("critical") => 100,
                    RawValue::Word("high") => 80,
                    RawValue::Word("normal") => 50,
                    RawValue::Word("low") => 20,
                    RawValue::Word("background") => 0,
                    RawValue::Int(n) => n.clamp(0, 100) as u8,
                    _ => return Err(wrong()),
                };
                self.priority = Some(opt(span, &text, p));
            }
            "window" => {
                let w = match value {
                    RawValue::Call("tumbling", args) => match args[..] {
                        [RawValue::Duration(d)] => Window::Tumbling(d),
                        _ => return Err(wrong()),
                    },
                    RawValue::Call("sliding", args) => match args[..] {
                        [RawValue::Duration(a), RawValue::Duration(b)] => Window::Sliding(a, b),
                        _ => return Err(wrong()),
                    },
                    RawValue::Call("count", args) => match &args[..] {
                        [n] => Window::Count(int(n)?),
                        _ => return Err(wrong()),
                    },
                    _ => return Err(wrong()),
                };
                self.window = Some(opt(span, &text, w));
            }
            "join" => {
                let j = match value {
                    RawValue::Word("combine_latest") => Join::CombineLatest,
                    RawValue::Word("zip") => Join::Zip,
                    RawValue::Call("buffer", args) => match args[..] {
                        [RawValue::Duration(d)] => Join::Buffer(d),
                        _ => return Err(wrong()),
                    },
                    _ => return Err(wrong()),
                };
                self.join = Some(opt(span, &text, j));
            }
            "fallback" => return Err(wrong()),
            _ => unreachable!("every name of OPTION_NAMES is handled"),
        }
        Ok(())
    }
}
