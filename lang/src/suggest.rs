//! "Did you mean" suggestions (SPEC §10.3).
//!
//! Takes: the name the user wrote and the candidate names of the same kind. Gives: the help line,
//! or nothing when no candidate qualifies. A candidate qualifies when its Levenshtein distance to
//! the written name, both lowercased, is at most 2 and it differs from the written name; the
//! closest three are shown, ties broken by text.
//!
//! Comparing names costs time in the product of undefined names and candidates, so a compile
//! gives its suggestions a `Budget` of comparisons: past it, diagnostics come without "did you
//! mean" rather than slowly. Names whose lengths differ by more than 2 are never compared.

/// How many name comparisons suggestions may still make.
#[derive(Debug)]
pub struct Budget(usize);

impl Budget {
    /// The comparisons one compile may make: a few hundred milliseconds at worst.
    pub const COMPILE: usize = 2_000_000;

    pub fn new(comparisons: usize) -> Budget {
        Budget(comparisons)
    }
}

/// The qualifying candidates, best first, at most three; none once `budget` is spent.
pub fn candidates<'a>(written: &str, names: impl IntoIterator<Item = &'a str>, budget: &mut Budget) -> Vec<&'a str> {
    let lowered = written.to_lowercase();
    let length = lowered.chars().count();
    let mut found: Vec<(usize, &str)> = Vec::new();
    for n in names {
        if budget.0 == 0 {
            return Vec::new();
        }
        budget.0 -= 1;
        // The distance is at least the difference in length.
        if n == written || n.chars().count().abs_diff(length) > 2 {
            continue;
        }
        let d = strsim::levenshtein(&lowered, &n.to_lowercase());
        if d <= 2 {
            found.push((d, n));
        }
    }
    found.sort_unstable();
    found.dedup();
    found.into_iter().take(3).map(|(_, n)| n).collect()
}

/// `did you mean 'score'?` or `did you mean one of 'a', 'b', 'c'?` for candidates found by
/// `candidates`; `dotted` writes `'.score'` (for field access).
pub fn help(found: &[&str], dotted: bool) -> Option<String> {
    let quote = |n: &str| {
        if dotted { format!("'.{n}'") } else { format!("'{n}'") }
    };
    match *found {
        [] => None,
        [one] => Some(format!("did you mean {}?", quote(one))),
        _ => Some(format!("did you mean one of {}?", found.iter().map(|n| quote(n)).collect::<Vec<_>>().join(", "))),
    }
}

/// The help line for `written` among a small set of `names` (a registry's namespaces, a record's
/// fields), without a budget.
pub fn did_you_mean<'a>(written: &str, names: impl IntoIterator<Item = &'a str>, dotted: bool) -> Option<String> {
    help(&candidates(written, names, &mut Budget(usize::MAX)), dotted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_sorted_by_distance_then_text() {
        assert_eq!(
            did_you_mean("scroe", ["score", "scope", "x"], false).as_deref(),
            Some("did you mean one of 'scope', 'score'?")
        );
        assert_eq!(did_you_mean("Score", ["score"], true).as_deref(), Some("did you mean '.score'?"));
        assert_eq!(did_you_mean("abc", ["abc", "zzzzz"], false), None);
    }

    #[test]
    fn a_spent_budget_suggests_nothing() {
        let mut budget = Budget::new(3);
        assert_eq!(candidates("scroe", ["a", "b", "score"], &mut budget), ["score"]);
        assert_eq!(candidates("scroe", ["score"], &mut budget), Vec::<&str>::new());
    }
}
