//! Checks of `with` clauses (SPEC §6.2–§6.3): value ranges (E016), options without effect (W002),
//! high retry counts (W003), the fallback's type (E017) and the type change of `on_error: wrap`.

use super::Checker;
use super::call::wrapped;
use crate::typed::TExpr;
use asterism_lang::ast::options::{OnError, Opt, WithClause};
use asterism_lang::{Code, Diagnostic, Span};
use asterism_registry::{Type, is_subtype};

/// The most retries a call may ask for (SPEC §6.2).
const MAX_RETRY: i64 = 1000;

impl Checker<'_> {
    /// Checks the options of a call of `function` (as written, and whether its binding takes
    /// batches) whose value has type `ty`; gives the call's final type and the typed fallback.
    pub(crate) fn options(
        &mut self,
        with: Option<&WithClause>,
        ty: Type,
        function: &str,
        takes_batches: bool,
    ) -> (Type, Option<TExpr>) {
        let Some(with) = with else { return (ty, None) };
        let o = &with.options;
        fn positive<T: PartialOrd + Default>(c: &mut Checker<'_>, name: &str, opt: &Option<Opt<T>>, what: &str) {
            if let Some(opt) = opt
                && opt.value <= T::default()
            {
                let message = format!("Invalid value for '{name}': {} ({what})", opt.text);
                c.error(Code::E016, opt.span, message);
            }
        }
        if let Some(retry) = &o.retry {
            if retry.value < 0 {
                let message = format!("Invalid value for 'retry': {} (must be >= 0)", retry.text);
                self.error(Code::E016, retry.span, message);
            } else if retry.value > MAX_RETRY {
                let message = format!("Invalid value for 'retry': {} (must be <= {MAX_RETRY})", retry.text);
                self.error(Code::E016, retry.span, message);
            } else if retry.value > 10 {
                let message = format!(
                    "High retry count ({}) - consider using a lower value with exponential backoff",
                    retry.value
                );
                self.error(Code::W003, retry.span, message);
            }
        }
        positive(self, "timeout", &o.timeout, "must be > 0");
        positive(self, "delay", &o.delay, "must be > 0");
        positive(self, "cache", &o.cache, "must be > 0");
        positive(self, "concurrency", &o.concurrency, "must be > 0");
        positive(self, "batch", &o.batch, "must be > 0");
        positive(self, "batch_timeout", &o.batch_timeout, "must be > 0");
        positive(self, "checkpoint", &o.checkpoint, "must be > 0");
        if let Some(throttle) = &o.throttle
            && throttle.value.count == 0
        {
            let message = format!("Invalid value for 'throttle': {} (count must be > 0)", throttle.text);
            self.error(Code::E016, throttle.span, message);
        }

        let without = |name: &str, other: &str| format!("'{name}' without '{other}' has no effect");
        let warn = |c: &mut Checker<'_>, span: Span, message: String| {
            c.report(Diagnostic::new(Code::W002, span, message));
        };
        if let Some(delay) = &o.delay
            && o.retry.is_none()
        {
            warn(self, delay.span, without("delay", "retry"));
        }
        if let Some(backoff) = &o.backoff {
            if o.delay.is_none() {
                warn(self, backoff.span, without("backoff", "delay"));
            }
            if o.retry.is_none() {
                warn(self, backoff.span, without("backoff", "retry"));
            }
        }
        if let Some(backend) = &o.cache_backend
            && o.cache.is_none()
        {
            warn(self, backend.span, without("cache_backend", "cache"));
        }
        if let Some(bt) = &o.batch_timeout
            && o.batch.is_none()
        {
            warn(self, bt.span, without("batch_timeout", "batch"));
        }
        if let (Some(_), Some(batch)) = (&o.window, &o.batch) {
            let message = "'window' and 'batch' are mutually exclusive; 'batch' will be ignored".to_string();
            warn(self, batch.span, message);
        } else if let Some(batch) = o.batch.as_ref().filter(|b| b.value > 0 && !takes_batches) {
            warn(self, batch.span, format!("'batch' has no effect: '{function}' does not take batches"));
        }

        let ty = match &o.on_error {
            Some(e) if e.value == OnError::Wrap && !ty.has_error() => wrapped(ty),
            _ => ty,
        };
        let fallback = o.fallback.as_ref().map(|f| {
            let typed = self.infer(&f.expr);
            if is_subtype(&typed.ty, &ty) {
                Self::convert(typed, &ty)
            } else {
                if !ty.has_error() && !typed.ty.has_error() {
                    let message = format!("Fallback type mismatch: module returns {ty} but fallback is {}", typed.ty);
                    self.error(Code::E017, typed.span, message);
                }
                typed
            }
        });
        (ty, fallback)
    }
}
