//! Registering Rust functions as modules: argument and result types map to language types.
//!
//! `i64` ↔ `Int`, `f64` ↔ `Float`, `bool` ↔ `Boolean`, `String` ↔ `String`, `Vec<T>` ↔ `List<T>`,
//! `Option<T>` ↔ `Optional<T>`. A function may return its value or a `Result` whose error becomes
//! the call's failure detail. The signature (with the given parameter names) is derived from the
//! Rust types, so it cannot disagree with the implementation.

use asterism_registry::module::{BoxFuture, ModuleResult};
use asterism_registry::value::{ElemKind, ListBuilder, Value};
use asterism_registry::{Module, ModuleError, Name, Param, Signature, Type};
use std::fmt::Display;
use std::future::Future;

/// A Rust type that stands for a language type.
pub trait LangType {
    fn lang_type() -> Type;
}

/// Reads a language value as a Rust value.
pub trait FromValue: Sized {
    fn from_value(v: Value) -> Option<Self>;
}

/// Turns a Rust value into a language value of `Self::lang_type()`.
pub trait IntoValue {
    fn into_value(self) -> Value;
}

macro_rules! scalar {
    ($t:ty, $lang:expr, $variant:ident) => {
        impl LangType for $t {
            fn lang_type() -> Type {
                $lang
            }
        }
        impl FromValue for $t {
            fn from_value(v: Value) -> Option<$t> {
                match v {
                    Value::$variant(x) => Some(x.into()),
                    _ => None,
                }
            }
        }
        impl IntoValue for $t {
            fn into_value(self) -> Value {
                Value::$variant(self.into())
            }
        }
    };
}

scalar!(i64, Type::Int, Int);
scalar!(f64, Type::Float, Float);
scalar!(bool, Type::Boolean, Bool);

impl LangType for String {
    fn lang_type() -> Type {
        Type::String
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::str(self)
    }
}

impl<T: LangType> LangType for Vec<T> {
    fn lang_type() -> Type {
        Type::list(T::lang_type())
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: Value) -> Option<Vec<T>> {
        v.as_list()?.iter().map(T::from_value).collect()
    }
}

impl<T: IntoValue + LangType> IntoValue for Vec<T> {
    fn into_value(self) -> Value {
        let mut out = ListBuilder::new(ElemKind::of(&T::lang_type()), self.len());
        self.into_iter().for_each(|x| out.push(x.into_value()));
        out.finish()
    }
}

impl<T: LangType> LangType for Option<T> {
    fn lang_type() -> Type {
        Type::optional(T::lang_type())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Option<Option<T>> {
        match v {
            Value::None => Some(None),
            v => T::from_value(v.unwrap_some()).map(Some),
        }
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Value {
        Value::from_option(self.map(IntoValue::into_value))
    }
}

/// What a host function may return: a value, or a `Result` whose error is the failure detail.
pub trait HostResult {
    type Value: IntoValue + LangType;
    fn into_result(self) -> Result<Value, ModuleError>;
}

impl<T: IntoValue + LangType, E: Display> HostResult for Result<T, E> {
    type Value = T;
    fn into_result(self) -> Result<Value, ModuleError> {
        self.map(IntoValue::into_value).map_err(|e| ModuleError::new(e.to_string()))
    }
}

macro_rules! plain_result {
    ($($t:ty),*) => {$(
        impl HostResult for $t {
            type Value = $t;
            fn into_result(self) -> Result<Value, ModuleError> {
                Ok(self.into_value())
            }
        }
    )*};
}

plain_result!(i64, f64, bool, String);

impl<T: IntoValue + LangType> HostResult for Vec<T> {
    type Value = Vec<T>;
    fn into_result(self) -> Result<Value, ModuleError> {
        Ok(self.into_value())
    }
}

impl<T: IntoValue + LangType> HostResult for Option<T> {
    type Value = Option<T>;
    fn into_result(self) -> Result<Value, ModuleError> {
        Ok(self.into_value())
    }
}

fn arg<T: FromValue>(args: &[Value], i: usize) -> Result<T, ModuleError> {
    args.get(i)
        .cloned()
        .and_then(T::from_value)
        .ok_or_else(|| ModuleError::new(format!("argument {i} has the wrong type")))
}

fn signature(name: &str, params: &[&str], types: Vec<Type>, ret: Type) -> Signature {
    let params = params.iter().zip(types).map(|(p, ty)| Param { name: Name::from(*p), ty }).collect();
    Signature { name: name.to_string(), params, ret }
}

/// A batched module of a Rust async function of a whole batch (`Engine::register_batched_fn`).
pub fn batched<A, T, E, Fut>(
    name: &str,
    param: &str,
    max_batch: Option<usize>,
    f: impl Fn(Vec<A>) -> Fut + Send + Sync + 'static,
) -> (Signature, Module)
where
    A: FromValue + LangType + Send + 'static,
    T: IntoValue + LangType,
    E: Display,
    Fut: Future<Output = Result<Vec<T>, E>> + Send + 'static,
{
    let sig = signature(name, &[param], vec![A::lang_type()], T::lang_type());
    let f = std::sync::Arc::new(f);
    let module = Module::batched(max_batch, move |batch: Vec<Vec<Value>>| {
        let converted: Result<Vec<A>, ModuleError> = batch.iter().map(|args| arg::<A>(args, 0)).collect();
        let f = f.clone();
        async move {
            let values = f(converted?).await.map_err(|e| ModuleError::new(e.to_string()))?;
            Ok(values.into_iter().map(IntoValue::into_value).collect())
        }
    });
    (sig, module)
}

/// A Rust function usable as a synchronous module, for each arity.
pub trait HostFn<Args>: Send + Sync + 'static {
    fn into_module(self, name: &str, params: &[&str]) -> (Signature, Module);
}

/// A Rust async function usable as an asynchronous module, for each arity.
pub trait AsyncHostFn<Args>: Send + Sync + 'static {
    fn into_module(self, name: &str, params: &[&str]) -> (Signature, Module);
}

macro_rules! host_fn {
    ($($a:ident $i:tt),*) => {
        impl<F, R, $($a),*> HostFn<($($a,)*)> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
            R: HostResult,
            $($a: FromValue + LangType,)*
        {
            fn into_module(self, name: &str, params: &[&str]) -> (Signature, Module) {
                let sig = signature(name, params, vec![$($a::lang_type()),*], R::Value::lang_type());
                let module = Module::sync(move |args| {
                    let _ = &args;
                    (self)($(arg::<$a>(args, $i)?),*).into_result()
                });
                (sig, module)
            }
        }

        impl<F, Fut, R, $($a),*> AsyncHostFn<($($a,)*)> for F
        where
            F: Fn($($a),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: HostResult,
            $($a: FromValue + LangType + Send + 'static,)*
        {
            fn into_module(self, name: &str, params: &[&str]) -> (Signature, Module) {
                let sig = signature(name, params, vec![$($a::lang_type()),*], R::Value::lang_type());
                let f = std::sync::Arc::new(self);
                // The arguments are converted before the future is made: it owns Rust values.
                let module = Module::Async(std::sync::Arc::new(move |args: &[Value]| -> BoxFuture<ModuleResult> {
                    let _ = &args;
                    let converted = Ok::<_, ModuleError>(()).and_then(|()| Ok(($(arg::<$a>(args, $i)?,)*)));
                    match converted {
                        Ok(converted) => {
                            let f = f.clone();
                            let _ = &converted;
                            Box::pin(async move { f($(converted.$i),*).await.into_result() })
                        }
                        Err(e) => Box::pin(std::future::ready(Err(e))),
                    }
                }));
                (sig, module)
            }
        }
    };
}

host_fn!();
host_fn!(A 0);
host_fn!(A 0, B 1);
host_fn!(A 0, B 1, C 2);
host_fn!(A 0, B 1, C 2, D 3);
