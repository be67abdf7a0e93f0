//! "Did you mean" suggestions (SPEC §10.3).
//!
//! Takes: the name the user wrote and the candidate names of the same kind. Gives: the help line,
//! or nothing when no candidate qualifies. A candidate qualifies when its Levenshtein distance to
//! the written name, both lowercased, is at most 2 and it differs from the written name; the
//! closest three are shown, ties broken by text.

/// The qualifying candidates, best first, at most three.
pub fn candidates<'a>(written: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lowered = written.to_lowercase();
    let mut found: Vec<(usize, &str)> = names
        .into_iter()
        .filter(|&n| n != written)
        .filter_map(|n| {
            let d = strsim::levenshtein(&lowered, &n.to_lowercase());
            (d <= 2).then_some((d, n))
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found.into_iter().take(3).map(|(_, n)| n).collect()
}

/// `did you mean 'score'?` or `did you mean one of 'a', 'b', 'c'?`; `dotted` writes `'.score'`
/// (for field access).
pub fn did_you_mean<'a>(written: &str, names: impl IntoIterator<Item = &'a str>, dotted: bool) -> Option<String> {
    let found = candidates(written, names);
    let quote = |n: &str| {
        if dotted { format!("'.{n}'") } else { format!("'{n}'") }
    };
    match found[..] {
        [] => None,
        [one] => Some(format!("did you mean {}?", quote(one))),
        _ => Some(format!("did you mean one of {}?", found.iter().map(|n| quote(n)).collect::<Vec<_>>().join(", "))),
    }
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
}
