//! A list to choose from with a fuzzy filter (beads to sling, targets, beads for a convoy).

use super::input::LineInput;
use std::collections::BTreeSet;

pub struct Picker<K> {
    items: Vec<(K, String)>,
    pub filter: LineInput,
    /// Index into `matches()`.
    pub selected: usize,
    pub marked: BTreeSet<K>,
}

impl<K: Clone + Ord> Picker<K> {
    pub fn new(items: Vec<(K, String)>) -> Picker<K> {
        Picker {
            items,
            filter: LineInput::default(),
            selected: 0,
            marked: BTreeSet::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items the filter lets through, best match first (the original order on ties).
    pub fn matches(&self) -> Vec<&(K, String)> {
        let f = self.filter.text();
        if f.is_empty() {
            return self.items.iter().collect();
        }
        let mut scored: Vec<(i64, usize, &(K, String))> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| fuzzy_score(f, &it.1).map(|s| (s, i, it)))
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, it)| it).collect()
    }

    pub fn current(&self) -> Option<(K, String)> {
        self.matches()
            .get(self.selected)
            .map(|(k, l)| (k.clone(), l.clone()))
    }

    pub fn move_by(&mut self, delta: i64) {
        let n = self.matches().len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        let next = (self.selected as i64 + delta).clamp(0, n as i64 - 1);
        self.selected = next as usize;
    }

    pub fn to_end(&mut self, last: bool) {
        let n = self.matches().len();
        self.selected = if last { n.saturating_sub(1) } else { 0 };
    }

    /// The filter changed: keep the selection in range.
    pub fn refilter(&mut self) {
        let n = self.matches().len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }

    pub fn toggle_mark(&mut self) {
        if let Some((k, _)) = self.current()
            && !self.marked.remove(&k)
        {
            self.marked.insert(k);
        }
    }
}

/// Subsequence match, case-insensitive; consecutive and word-start hits score higher.
/// None when `pattern` is not a subsequence of `text`.
pub fn fuzzy_score(pattern: &str, text: &str) -> Option<i64> {
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let mut score = 0i64;
    let mut ti = 0usize;
    let mut last: Option<usize> = None;
    for pc in pattern
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
    {
        let found = (ti..t.len()).find(|&i| t[i] == pc)?;
        score += 1;
        if last.is_some_and(|l| l + 1 == found) {
            score += 5;
        }
        if found == 0 || !t[found - 1].is_alphanumeric() {
            score += 3;
        }
        score -= (found - ti) as i64 / 4;
        last = Some(found);
        ti = found + 1;
    }
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_matches_subsequences_and_prefers_tight_ones() {
        assert!(fuzzy_score("cpg", "Cart page").is_some());
        assert!(fuzzy_score("xyz", "Cart page").is_none());
        let p = Picker::new(vec![
            ("a".to_string(), "sh-1 Fix the cart page".to_string()),
            ("b".to_string(), "sh-2 Cart".to_string()),
            ("c".to_string(), "sh-3 Checkout".to_string()),
        ]);
        let mut p = p;
        p.filter = LineInput::with_text("cart");
        let m: Vec<&str> = p.matches().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(m, vec!["b", "a"]);
        p.selected = 5;
        p.refilter();
        assert_eq!(p.selected, 1);
        p.toggle_mark();
        assert!(p.marked.contains("a"));
        p.toggle_mark();
        assert!(p.marked.is_empty());
    }
}
