//! A list to choose from with a fuzzy filter (beads to sling, targets, beads for a convoy).
//! Matching and scoring are nucleo's (the matcher helix and television use).

use super::input::LineInput;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::cell::RefCell;
use std::collections::BTreeSet;

pub struct Picker<K> {
    items: Vec<(K, String)>,
    pub filter: LineInput,
    /// Index into `matches()`.
    pub selected: usize,
    pub marked: BTreeSet<K>,
    /// Reused between keystrokes (it keeps its scratch memory).
    matcher: RefCell<Matcher>,
}

impl<K: Clone + Ord> Picker<K> {
    pub fn new(items: Vec<(K, String)>) -> Picker<K> {
        Picker {
            items,
            filter: LineInput::default(),
            selected: 0,
            marked: BTreeSet::new(),
            matcher: RefCell::new(Matcher::new(Config::DEFAULT)),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items the filter lets through, best match first; on a tie the shorter line (the
    /// tighter match), then the original order.
    pub fn matches(&self) -> Vec<&(K, String)> {
        let f = self.filter.text();
        if f.trim().is_empty() {
            return self.items.iter().collect();
        }
        let pattern = Pattern::parse(f, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = self.matcher.borrow_mut();
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize, usize, &(K, String))> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                let score = pattern.score(Utf32Str::new(&it.1, &mut buf), &mut matcher)?;
                Some((score, it.1.chars().count(), i, it))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        scored.into_iter().map(|(_, _, _, it)| it).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_matches_subsequences_and_prefers_tight_ones() {
        let mut one = Picker::new(vec![("x".to_string(), "Cart page".to_string())]);
        one.filter = LineInput::with_text("cpg");
        assert_eq!(one.matches().len(), 1, "a subsequence matches");
        one.filter = LineInput::with_text("xyz");
        assert!(one.matches().is_empty());
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
