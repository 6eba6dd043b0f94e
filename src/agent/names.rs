//! Polecat names: themed pools of short, distinct, pronounceable names (our own lists), or a
//! town's or rig's own list (`polecats.names`), handed out in order. The pool never runs out:
//! once every name is in use, the names come round again numbered (`ash2`, `birch2`, …,
//! `ash3`, …) — readable, stable, and never a name in use.

/// The built-in "field-guide" theme (the default): plants, stones and birds.
pub const FIELD_GUIDE: [&str; 50] = [
    "ash", "birch", "cedar", "dune", "elm", "fern", "garnet", "hazel", "iris", "jasper", "kestrel",
    "larch", "moss", "nettle", "onyx", "pike", "quartz", "rowan", "sable", "thistle", "umber",
    "vetch", "wren", "yarrow", "zinnia", "alder", "bramble", "cobalt", "dove", "ember", "flint",
    "gorse", "heron", "ivy", "juniper", "kite", "linden", "marl", "newt", "osprey", "pebble",
    "quill", "reed", "sorrel", "tansy", "ula", "vale", "willow", "yew", "zircon",
];

/// "harbor": boats, docks and the shore.
const HARBOR: &[&str] = &[
    "anchor", "buoy", "cove", "dock", "eddy", "ferry", "gull", "hull", "inlet", "jetty", "keel",
    "lagoon", "mast", "oar", "pier", "quay", "reef", "sail", "tide", "wake", "wharf", "yawl",
    "bilge", "cabin", "davit", "ebb", "fathom", "galley", "helm", "isle", "jib", "ketch",
    "lantern", "marina", "oyster", "prow", "rudder", "skiff", "tug", "brine", "capstan", "dory",
    "estuary", "flotsam", "halyard", "kelp", "mooring", "pelican", "shoal", "spar", "stern",
    "surf", "cutter", "bollard", "hawser", "lobster",
];

/// "pantry": spices, grains and the larder.
const PANTRY: &[&str] = &[
    "anise", "basil", "caraway", "clove", "cumin", "dill", "fennel", "ginger", "hyssop", "kale",
    "leek", "mace", "nutmeg", "oregano", "paprika", "quince", "rye", "saffron", "sage", "thyme",
    "vanilla", "wasabi", "yam", "zest", "almond", "barley", "cassia", "chive", "date", "endive",
    "fig", "garlic", "honey", "lentil", "mango", "nori", "olive", "pepper", "radish", "sesame",
    "sumac", "tamarind", "turmeric", "udon", "walnut", "yeast", "bay", "cocoa", "mint", "millet",
    "oat", "pecan", "plum", "tarragon", "chili", "lime",
];

/// "weather": sky, wind and seasons.
const WEATHER: &[&str] = &[
    "aurora",
    "breeze",
    "cirrus",
    "dew",
    "drizzle",
    "fog",
    "frost",
    "gale",
    "gust",
    "hail",
    "haze",
    "lull",
    "mist",
    "monsoon",
    "nimbus",
    "rain",
    "sleet",
    "squall",
    "storm",
    "sunny",
    "thaw",
    "thunder",
    "vapor",
    "zephyr",
    "blizzard",
    "cloud",
    "cyclone",
    "dusk",
    "dawn",
    "flurry",
    "glow",
    "halo",
    "icicle",
    "jetstream",
    "lightning",
    "mizzle",
    "noon",
    "ozone",
    "polar",
    "rainbow",
    "rime",
    "sirocco",
    "solstice",
    "tempest",
    "tundra",
    "umbra",
    "virga",
    "whirl",
    "chinook",
    "mistral",
    "equinox",
    "comet",
    "meteor",
    "cumulus",
];

/// "workshop": tools of the bench.
const WORKSHOP: &[&str] = &[
    "anvil", "awl", "bench", "bolt", "brace", "chisel", "clamp", "dowel", "drill", "forge",
    "gauge", "gimlet", "hammer", "hinge", "jig", "joist", "kiln", "lathe", "level", "mallet",
    "nail", "peg", "plane", "pliers", "rasp", "rivet", "router", "sander", "saw", "screw", "shim",
    "solder", "spanner", "spoke", "square", "tack", "tongs", "trowel", "vise", "washer", "wedge",
    "wrench", "adze", "auger", "caliper", "crank", "gouge", "hacksaw", "ladder", "plumb", "pulley",
    "ratchet", "sprocket", "tenon", "winch", "axle", "lever",
];

/// A built-in set of names.
#[derive(Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: &'static str,
    pub names: &'static [&'static str],
}

pub const DEFAULT_THEME: &str = "field-guide";

pub const THEMES: &[Theme] = &[
    Theme {
        name: "field-guide",
        names: &FIELD_GUIDE,
    },
    Theme {
        name: "harbor",
        names: HARBOR,
    },
    Theme {
        name: "pantry",
        names: PANTRY,
    },
    Theme {
        name: "weather",
        names: WEATHER,
    },
    Theme {
        name: "workshop",
        names: WORKSHOP,
    },
];

pub fn theme(name: &str) -> Option<&'static Theme> {
    THEMES.iter().find(|t| t.name == name)
}

/// Names that address town roles and so can never be a polecat's.
pub const RESERVED: &[&str] = &[
    "mayor", "deacon", "witness", "refinery", "overseer", "polecats", "crew", "hq", "all", "town",
];

/// The longest name of a pool (a numbered one adds digits; a polecat name is at most 32).
pub const MAX_NAME: usize = 20;

/// Where a rig's polecat names come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pool {
    Theme(&'static Theme),
    /// A town's or rig's own list.
    Own(Vec<String>),
}

impl Pool {
    pub fn names(&self) -> Vec<&str> {
        match self {
            Pool::Theme(t) => t.names.to_vec(),
            Pool::Own(list) => list.iter().map(String::as_str).collect(),
        }
    }

    /// "theme harbor", "a list of 12 names".
    pub fn describe(&self) -> String {
        match self {
            Pool::Theme(t) => format!("theme {}", t.name),
            Pool::Own(list) => format!("a list of {} names", list.len()),
        }
    }
}

fn theme_names() -> String {
    THEMES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

/// A name for a pool: lowercase letters, digits and '_', starting with a letter, at most
/// `MAX_NAME`, not a role's name.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "{name:?} is not a polecat name: lowercase letters, digits and '_', starting with a letter, at most {MAX_NAME}"
        ));
    }
    if RESERVED.contains(&name) {
        return Err(format!(
            "{name:?} is reserved for a role ({})",
            RESERVED.join(", ")
        ));
    }
    Ok(())
}

/// Reads `polecats.names`: a theme's name, or a list of names (checked, no repeats).
pub fn parse_setting(value: &toml::Value) -> Result<Pool, String> {
    match value {
        toml::Value::String(s) => theme(s.trim()).map(Pool::Theme).ok_or_else(|| {
            format!(
                "polecats.names: no theme {s:?}; the themes are {} (or give a list of names)",
                theme_names()
            )
        }),
        toml::Value::Array(items) => {
            let mut list: Vec<String> = Vec::new();
            for v in items {
                let toml::Value::String(n) = v else {
                    return Err(format!("polecats.names: {v} is not a name (a string)"));
                };
                check_name(n).map_err(|m| format!("polecats.names: {m}"))?;
                if list.contains(n) {
                    return Err(format!("polecats.names: {n:?} is in the list twice"));
                }
                list.push(n.clone());
            }
            if list.is_empty() {
                return Err("polecats.names: the list is empty".into());
            }
            Ok(Pool::Own(list))
        }
        other => Err(format!(
            "polecats.names must be a theme ({}) or a list of names, not {other}",
            theme_names()
        )),
    }
}

/// The `i`th name of the endless sequence over `pool`: the pool, then each name with 2, then
/// with 3, …
pub fn nth(pool: &[&str], i: usize) -> String {
    let round = i / pool.len().max(1);
    let base = pool
        .get(i % pool.len().max(1))
        .copied()
        .unwrap_or("polecat");
    if round == 0 {
        base.to_string()
    } else {
        format!("{base}{}", round + 1)
    }
}

/// The first name of the sequence over `pool` that is not `taken` (and not reserved). Always
/// found: only finitely many names are taken.
pub fn first_free(taken: impl Fn(&str) -> bool, pool: &[&str]) -> String {
    let pool: Vec<&str> = pool
        .iter()
        .copied()
        .filter(|n| !RESERVED.contains(n))
        .collect();
    let pool = if pool.is_empty() {
        vec!["polecat"]
    } else {
        pool
    };
    (0..)
        .map(|i| nth(&pool, i))
        .find(|n| !taken(n))
        .unwrap_or_else(|| "polecat".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_theme_has_fifty_distinct_usable_names() {
        let mut everywhere = HashSet::new();
        for t in THEMES {
            let set: HashSet<&str> = t.names.iter().copied().collect();
            assert!(t.names.len() >= 50, "{}", t.name);
            assert_eq!(set.len(), t.names.len(), "{} repeats a name", t.name);
            for n in t.names {
                assert_eq!(check_name(n), Ok(()), "{}", t.name);
                assert!(
                    crate::town::names::validate_rig_name(n).is_ok()
                        || crate::town::names::RESERVED.contains(n)
                );
                assert!(
                    crate::town::names::RESERVED
                        .iter()
                        .all(|r| !r.eq_ignore_ascii_case(n)),
                    "{n} is a reserved word"
                );
                assert!(everywhere.insert(*n), "{n} is in two themes");
            }
        }
        assert_eq!(
            theme(DEFAULT_THEME).map(|t| t.names),
            Some(&FIELD_GUIDE[..])
        );
    }

    #[test]
    fn first_free_skips_taken_names_and_never_runs_out() {
        assert_eq!(first_free(|_| false, &FIELD_GUIDE), "ash");
        assert_eq!(
            first_free(|n| n == "ash" || n == "birch", &FIELD_GUIDE),
            "cedar"
        );
        // All fifty in use: numbered names, in the pool's order.
        let all: HashSet<String> = FIELD_GUIDE.iter().map(|s| s.to_string()).collect();
        assert_eq!(first_free(|n| all.contains(n), &FIELD_GUIDE), "ash2");
        let mut more = all.clone();
        more.insert("ash2".into());
        assert_eq!(first_free(|n| more.contains(n), &FIELD_GUIDE), "birch2");
        // A freed name of the pool is handed out again before any numbered one.
        more.remove("cedar");
        assert_eq!(first_free(|n| more.contains(n), &FIELD_GUIDE), "cedar");
        assert_eq!(nth(&["a", "b"], 5), "b3");
    }

    #[test]
    fn the_setting_takes_a_theme_or_a_list() {
        let s = |v: &str| toml::Value::String(v.into());
        assert_eq!(parse_setting(&s("harbor")), Ok(Pool::Theme(&THEMES[1])));
        let e = parse_setting(&s("fruit")).expect_err("no such theme");
        assert!(e.contains("\"fruit\"") && e.contains("workshop"), "{e}");
        let list = |v: &[&str]| toml::Value::Array(v.iter().map(|x| s(x)).collect());
        assert_eq!(
            parse_setting(&list(&["red", "blue"])),
            Ok(Pool::Own(vec!["red".into(), "blue".into()]))
        );
        for (bad, why) in [
            (list(&[]), "empty"),
            (list(&["red", "red"]), "twice"),
            (list(&["Red"]), "lowercase"),
            (list(&["mayor"]), "reserved"),
            (list(&["a-b"]), "lowercase"),
            (list(&["averyveryverylongname_x"]), "at most"),
            (toml::Value::Integer(3), "theme"),
        ] {
            let e = parse_setting(&bad).expect_err("refused");
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
