//! Polecat names: a built-in pool of 50 short, distinct, pronounceable names (our own list:
//! plants, stones and birds), handed out in order.

/// The built-in "field guide" theme.
pub const FIELD_GUIDE: [&str; 50] = [
    "ash", "birch", "cedar", "dune", "elm", "fern", "garnet", "hazel", "iris", "jasper", "kestrel",
    "larch", "moss", "nettle", "onyx", "pike", "quartz", "rowan", "sable", "thistle", "umber",
    "vetch", "wren", "yarrow", "zinnia", "alder", "bramble", "cobalt", "dove", "ember", "flint",
    "gorse", "heron", "ivy", "juniper", "kite", "linden", "marl", "newt", "osprey", "pebble",
    "quill", "reed", "sorrel", "tansy", "ula", "vale", "willow", "yew", "zircon",
];

/// Names that address town roles and so can never be a polecat's.
pub const RESERVED: &[&str] = &[
    "mayor", "deacon", "witness", "refinery", "overseer", "polecats", "crew", "hq", "all", "town",
];

/// The first name of the pool not in `taken` (None when all 50 are in use).
pub fn first_free<'a>(taken: impl Fn(&str) -> bool, pool: &'a [&'a str]) -> Option<&'a str> {
    pool.iter()
        .copied()
        .filter(|n| !RESERVED.contains(n))
        .find(|n| !taken(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_pool_has_fifty_distinct_usable_names() {
        let set: HashSet<&str> = FIELD_GUIDE.iter().copied().collect();
        assert_eq!(set.len(), 50);
        for n in FIELD_GUIDE {
            assert!(!RESERVED.contains(&n), "{n} is reserved");
            assert!(n.chars().all(|c| c.is_ascii_lowercase()), "{n}");
            assert!(
                crate::town::names::validate_rig_name(n).is_ok()
                    || crate::town::names::RESERVED.contains(&n)
            );
        }
    }

    #[test]
    fn first_free_skips_taken_names() {
        assert_eq!(first_free(|_| false, &FIELD_GUIDE), Some("ash"));
        assert_eq!(
            first_free(|n| n == "ash" || n == "birch", &FIELD_GUIDE),
            Some("cedar")
        );
        assert_eq!(first_free(|_| true, &FIELD_GUIDE), None);
    }
}
