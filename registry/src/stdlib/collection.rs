//! `stdlib.collection` (SPEC §9.5): the higher-order functions. Their lambdas are DAG sub-graphs,
//! so the runtime evaluates them; the registry only names which one a call is.

use crate::module::{HigherOrder, Module};

pub(super) fn module(name: &str) -> Option<Module> {
    let h = match name {
        "filter" => HigherOrder::Filter,
        "map" => HigherOrder::Map,
        "all" => HigherOrder::All,
        "any" => HigherOrder::Any,
        "count" => HigherOrder::Count,
        "find" => HigherOrder::Find,
        "reduce" => HigherOrder::Reduce,
        "sort-by" => HigherOrder::SortBy,
        _ => return None,
    };
    Some(Module::HigherOrder(h))
}
