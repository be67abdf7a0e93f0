//! Pipelines generated from the grammar, not mutated bytes: the fuzzer's bytes choose each
//! production, with expressions built for the type their place needs (so most programs check and
//! reach the engine), nested deferred parts, lambdas over lists, records, optionals and call
//! options. Each is compiled and run with generated inputs under tight budgets; nothing may
//! panic, report an internal error or write anything but JSON. Programs that do not check are
//! kept too: they reach the checker's corners.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Int,
    Float,
    Str,
    Bool,
    Ints,
    Strs,
    Rec,
    OptInt,
}

const TYPES: [Ty; 8] = [Ty::Int, Ty::Float, Ty::Str, Ty::Bool, Ty::Ints, Ty::Strs, Ty::Rec, Ty::OptInt];

fn text(t: Ty) -> &'static str {
    match t {
        Ty::Int => "Int",
        Ty::Float => "Float",
        Ty::Str => "String",
        Ty::Bool => "Boolean",
        Ty::Ints => "List<Int>",
        Ty::Strs => "List<String>",
        Ty::Rec => "{a: Int, b: String}",
        Ty::OptInt => "Optional<Int>",
    }
}

struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    /// Bindings in scope: name and type.
    vars: Vec<(String, Ty)>,
    /// Lambda parameters in scope (innermost last).
    params: Vec<(String, Ty)>,
    fresh: usize,
}

impl Gen<'_, '_> {
    fn pick<'c, T>(&mut self, items: &'c [T]) -> Result<&'c T> {
        self.u.choose(items)
    }

    fn int_literal(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0..=5)? {
            0 => "0".into(),
            1 => i64::MAX.to_string(),
            2 => format!("-{}", self.u.int_in_range(0..=9)?),
            _ => self.u.int_in_range(0..=1000)?.to_string(),
        })
    }

    fn var(&mut self, t: Ty) -> Result<Option<String>> {
        let names: Vec<String> =
            self.vars.iter().chain(&self.params).filter(|(_, vt)| *vt == t).map(|(n, _)| n.clone()).collect();
        match names.is_empty() {
            true => Ok(None),
            false => Ok(Some(self.pick(&names)?.clone())),
        }
    }

    fn options(&mut self, t: Ty) -> Result<String> {
        let mut opts = Vec::new();
        for _ in 0..self.u.int_in_range(0..=2)? {
            opts.push(match self.u.int_in_range(0..=7)? {
                0 => format!("retry: {}", self.u.int_in_range(0..=3)?),
                1 => "timeout: 50ms".into(),
                2 => format!("fallback: {}", self.expr(t, 0)?),
                3 => "on_error: skip".into(),
                4 => "cache: 1min".into(),
                5 => "lazy".into(),
                6 => "concurrency: 1".into(),
                _ => "throttle: 100/1s".into(),
            });
        }
        Ok(match opts.is_empty() {
            true => String::new(),
            false => format!(" with {}", opts.join(", ")),
        })
    }

    fn lambda(&mut self, param: Ty, body: Ty, depth: u32) -> Result<String> {
        self.fresh += 1;
        let name = format!("p{}", self.fresh);
        self.params.push((name.clone(), param));
        let body = self.expr(body, depth)?;
        self.params.pop();
        Ok(format!("{name} => {body}"))
    }

    /// An expression of type `t`, at most `depth` levels deep.
    fn expr(&mut self, t: Ty, depth: u32) -> Result<String> {
        if depth == 0 || self.u.ratio(1, 4)? {
            if let Some(v) = self.var(t)?
                && self.u.arbitrary()?
            {
                return Ok(v);
            }
            return self.leaf(t);
        }
        let d = depth - 1;
        let e = match (t, self.u.int_in_range(0..=7)?) {
            (_, 0) => format!("if ({}) {} else {}", self.expr(Ty::Bool, d)?, self.expr(t, d)?, self.expr(t, d)?),
            (_, 1) => format!(
                "branch {{ {} -> {}, otherwise -> {} }}",
                self.expr(Ty::Bool, d)?,
                self.expr(t, d)?,
                self.expr(t, d)?
            ),
            (_, 2) => format!("({} when {}) ?? {}", self.expr(t, d)?, self.expr(Ty::Bool, d)?, self.expr(t, d)?),
            (Ty::Int, 3) => {
                let op = self.pick(&["+", "-", "*", "/", "%"])?;
                format!("({} {op} {})", self.expr(Ty::Int, d)?, self.expr(Ty::Int, d)?)
            }
            (Ty::Int, 4) => format!("list-length({})", self.expr(Ty::Ints, d)?),
            (Ty::Int, 5) => format!(
                "reduce({}, {}, (acc, {}) => acc + {}){}",
                self.expr(Ty::Ints, d)?,
                self.expr(Ty::Int, d)?,
                "x",
                "x",
                self.options(Ty::Int)?
            ),
            (Ty::Int, 6) => format!("{}.a", self.expr(Ty::Rec, d)?),
            (Ty::Int, _) => {
                format!("divide({}, {}){}", self.expr(Ty::Int, d)?, self.expr(Ty::Int, d)?, self.options(t)?)
            }
            (Ty::Float, 3) => format!("({} * 1.5)", self.expr(Ty::Float, d)?),
            (Ty::Float, 4) => format!("to-float({})", self.expr(Ty::Int, d)?),
            (Ty::Float, _) => format!("list-sum({}) + 0.5", self.expr(Ty::Ints, d)?),
            (Ty::Str, 3) => format!("({} + {})", self.expr(Ty::Str, d)?, self.expr(Ty::Str, d)?),
            (Ty::Str, 4) => format!("\"<${{{}}}>\"", self.expr(Ty::Int, d)?),
            (Ty::Str, 5) => format!("join({}, \",\")", self.expr(Ty::Strs, d)?),
            (Ty::Str, 6) => format!("{}.b", self.expr(Ty::Rec, d)?),
            (Ty::Str, _) => {
                let any = *self.pick(&TYPES)?;
                format!("to-string({})", self.expr(any, d)?)
            }
            (Ty::Bool, 3) => format!("({} and {})", self.expr(Ty::Bool, d)?, self.expr(Ty::Bool, d)?),
            (Ty::Bool, 4) => format!("({} < {})", self.expr(Ty::Int, d)?, self.expr(Ty::Int, d)?),
            (Ty::Bool, 5) => format!("any({}, {})", self.expr(Ty::Ints, d)?, self.lambda(Ty::Int, Ty::Bool, d)?),
            (Ty::Bool, _) => format!("({} == {})", self.expr(Ty::Str, d)?, self.expr(Ty::Str, d)?),
            (Ty::Ints, 3) => format!(
                "map({}, {}){}",
                self.expr(Ty::Ints, d)?,
                self.lambda(Ty::Int, Ty::Int, d)?,
                self.options(Ty::Ints)?
            ),
            (Ty::Ints, 4) => format!("filter({}, {})", self.expr(Ty::Ints, d)?, self.lambda(Ty::Int, Ty::Bool, d)?),
            (Ty::Ints, 5) => format!("list-concat({}, {})", self.expr(Ty::Ints, d)?, self.expr(Ty::Ints, d)?),
            (Ty::Ints, 6) => format!("[{}, {}]", self.expr(Ty::Int, d)?, self.expr(Ty::Int, d)?),
            (Ty::Ints, _) => format!("list-sort(list-unique({}))", self.expr(Ty::Ints, d)?),
            (Ty::Strs, 3) => format!("split({}, \" \")", self.expr(Ty::Str, d)?),
            (Ty::Strs, 4) => format!("map({}, {})", self.expr(Ty::Ints, d)?, self.lambda(Ty::Int, Ty::Str, d)?),
            (Ty::Strs, _) => format!("[{}]", self.expr(Ty::Str, d)?),
            (Ty::Rec, 3) => format!("({} + {{b: {}}})", self.expr(Ty::Rec, d)?, self.expr(Ty::Str, d)?),
            (Ty::Rec, _) => format!("{{a: {}, b: {}}}", self.expr(Ty::Int, d)?, self.expr(Ty::Str, d)?),
            (Ty::OptInt, 3) => format!("find({}, {})", self.expr(Ty::Ints, d)?, self.lambda(Ty::Int, Ty::Bool, d)?),
            (Ty::OptInt, 4) => format!("parse-int({})", self.expr(Ty::Str, d)?),
            (Ty::OptInt, _) => format!("{} when {}", self.expr(Ty::Int, d)?, self.expr(Ty::Bool, d)?),
        };
        Ok(e)
    }

    fn leaf(&mut self, t: Ty) -> Result<String> {
        Ok(match t {
            Ty::Int => self.int_literal()?,
            Ty::Float => format!("{}.5", self.u.int_in_range(0..=99)?),
            Ty::Str => self.pick(&["\"\"", "\"a b\"", "\"12\"", "\"ñ\""])?.to_string(),
            Ty::Bool => self.pick(&["true", "false"])?.to_string(),
            Ty::Ints => {
                format!("[{}]", (0..self.u.int_in_range(0..=3)?).map(|i| i.to_string()).collect::<Vec<_>>().join(", "))
            }
            Ty::Strs => "[\"x\", \"y\"]".into(),
            Ty::Rec => format!("{{a: {}, b: \"r\"}}", self.int_literal()?),
            Ty::OptInt => format!("{} when true", self.int_literal()?),
        })
    }

    fn input_json(&mut self, t: Ty) -> Result<String> {
        Ok(match t {
            Ty::Int => self.int_literal()?.replace(' ', ""),
            Ty::Float => "2.5".into(),
            Ty::Str => "\"in put\"".into(),
            Ty::Bool => "true".into(),
            Ty::Ints => {
                format!("[{}]", (0..self.u.int_in_range(0..=5)?).map(|i| i.to_string()).collect::<Vec<_>>().join(","))
            }
            Ty::Strs => "[\"p q\", \"\"]".into(),
            Ty::Rec => "{\"a\": 7, \"b\": \"x\"}".into(),
            Ty::OptInt => self.pick(&["null", "3"])?.to_string(),
        })
    }

    /// A program and its inputs document.
    fn program(&mut self) -> Result<(String, String)> {
        let mut src = String::new();
        let mut doc = Vec::new();
        for (k, t) in TYPES.iter().enumerate() {
            if self.u.arbitrary()? {
                let name = format!("i{k}");
                src += &format!("in {name}: {}\n", text(*t));
                doc.push(format!("\"{name}\": {}", self.input_json(*t)?));
                self.vars.push((name, *t));
            }
        }
        let count = self.u.int_in_range(1..=8)?;
        for k in 0..count {
            let t = *self.pick(&TYPES)?;
            let depth = self.u.int_in_range(1..=5)?;
            let e = self.expr(t, depth)?;
            src += &format!("v{k} = {e}\n");
            self.vars.push((format!("v{k}"), t));
        }
        for k in 0..count {
            if k + 1 == count || self.u.arbitrary()? {
                src += &format!("out v{k}\n");
            }
        }
        Ok((src, format!("{{{}}}", doc.join(", "))))
    }
}

fuzz_target!(|data: &[u8]| {
    let engine = common::engine();
    let mut u = Unstructured::new(data);
    let Ok((source, inputs)) = (Gen { u: &mut u, vars: Vec::new(), params: Vec::new(), fresh: 0 }).program() else {
        return;
    };
    let pipeline = match engine.compile("generated.cst", &source) {
        Ok(p) => p,
        Err(d) => return common::no_internal_error(&d, &source),
    };
    let inputs = pipeline.parse_inputs(inputs.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{source}\n{inputs}"));
    let outcome = pipeline.run_blocking(&inputs);
    common::writes_json(&outcome);
    // A stored plan runs as the compiled one.
    let reloaded = engine.load(asterism::DagSpec::decode(&pipeline.spec().encode()).unwrap()).unwrap();
    let again = reloaded.run_blocking(&inputs);
    if !source.contains("timeout") && !source.contains("throttle") {
        assert_eq!(again.to_json(), outcome.to_json(), "{source}");
    }
});
