use super::*;
use proptest::prelude::*;
use serde_json::json;

fn bead(id: &str, title: &str, at: &str) -> Value {
    json!({"id": id, "title": title, "status": "open", "priority": 2, "created_at": "2026-01-01T00:00:00Z", "updated_at": at})
}

fn lines(beads: &[Value]) -> String {
    beads.iter().map(|b| format!("{b}\n")).collect()
}

fn parsed(text: &str) -> Beads {
    parse("out", text).expect("the merge's output parses")
}

#[test]
fn one_sides_change_wins_both_changes_go_to_the_newer_and_lists_are_unioned() {
    let base = lines(&[bead("a-1", "Base", "2026-01-01T00:00:00Z")]);
    let mut o = bead("a-1", "Ours", "2026-01-02T00:00:00Z");
    o["comments"] = json!([{"id": 1, "author": "x", "text": "from ours", "created_at": "2026-01-02T00:00:00Z"}]);
    o["labels"] = json!(["ours"]);
    let mut t = bead("a-1", "Base", "2026-01-03T00:00:00Z");
    t["priority"] = json!(0);
    t["comments"] = json!([{"id": 2, "author": "y", "text": "from theirs", "created_at": "2026-01-03T00:00:00Z"}]);
    let out = merge(&base, &lines(&[o]), &lines(&[t])).unwrap();
    let m = &parsed(&out)["a-1"];
    assert_eq!(m["title"], "Ours", "only ours changed the title");
    assert_eq!(m["priority"], 0, "only theirs changed the priority");
    assert_eq!(
        m["updated_at"], "2026-01-03T00:00:00Z",
        "both changed it: the newer"
    );
    assert_eq!(m["comments"].as_array().unwrap().len(), 2);
    assert_eq!(m["labels"], json!(["ours"]));
    assert!(!out.contains("<<<<<<<"));
}

#[test]
fn a_deleted_bead_stays_deleted_unless_the_other_side_changed_it() {
    let base = lines(&[
        bead("a-1", "One", "2026-01-01T00:00:00Z"),
        bead("a-2", "Two", "2026-01-01T00:00:00Z"),
    ]);
    let ours = lines(&[bead("a-1", "One", "2026-01-01T00:00:00Z")]);
    let theirs = lines(&[
        bead("a-2", "Two, changed", "2026-01-02T00:00:00Z"),
        bead("a-3", "New", "2026-01-02T00:00:00Z"),
    ]);
    let m = parsed(&merge(&base, &ours, &theirs).unwrap());
    assert!(
        !m.contains_key("a-1"),
        "deleted by theirs, unchanged by ours"
    );
    assert_eq!(m["a-2"]["title"], "Two, changed", "changed by theirs: kept");
    assert!(m.contains_key("a-3"));
}

#[test]
fn a_line_that_is_not_a_bead_is_refused() {
    let e = merge("", "{\"id\":\"a-1\"}\n<<<<<<< HEAD\n", "").unwrap_err();
    assert_eq!((e.side, e.line), ("ours", 2));
    assert!(merge("", "[1]\n", "").is_err());
    assert!(merge("", "{\"title\":\"x\"}\n", "").is_err());
    assert!(merge("{\"id\":\"a\"}\n{\"id\":\"a\"}\n", "", "").is_err());
}

/// One edit a town makes to its copy.
#[derive(Debug, Clone)]
enum Edit {
    Title(usize, u8),
    Priority(usize, u8),
    Comment(usize, u8),
    Dep(usize, usize),
    Label(usize, u8),
    Unlabel(usize, u8),
    Create(u8),
    Delete(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..6usize, any::<u8>()).prop_map(|(b, v)| Edit::Title(b, v)),
        (0..6usize, 0..5u8).prop_map(|(b, v)| Edit::Priority(b, v)),
        (0..6usize, any::<u8>()).prop_map(|(b, v)| Edit::Comment(b, v)),
        (0..6usize, 0..6usize).prop_map(|(b, d)| Edit::Dep(b, d)),
        (0..6usize, 0..4u8).prop_map(|(b, l)| Edit::Label(b, l)),
        (0..6usize, 0..4u8).prop_map(|(b, l)| Edit::Unlabel(b, l)),
        (0..4u8).prop_map(Edit::Create),
        (0..6usize).prop_map(Edit::Delete),
    ]
}

fn at(side: u8, tick: u32) -> String {
    // Each side's clock; the sides' edits interleave in time.
    format!(
        "2026-02-01T00:{:02}:{:02}Z",
        tick / 60 % 60,
        (tick * 2 + u32::from(side)) % 60
    )
}

/// Applies `edits` to a copy of `base`, one second apart (side 0 on even, 1 on odd seconds).
fn apply(base: &Beads, side: u8, edits: &[Edit]) -> Beads {
    let mut m = base.clone();
    let id = |i: usize| format!("b-{i}");
    for (n, e) in edits.iter().enumerate() {
        let now = Value::String(at(side, n as u32 + 1));
        let touch = |m: &mut Beads, i: usize, f: &dyn Fn(&mut Map<String, Value>)| {
            if let Some(b) = m.get_mut(&id(i)) {
                f(b);
                b.insert("updated_at".into(), now.clone());
            }
        };
        match e {
            Edit::Title(i, v) => touch(&mut m, *i, &|b| {
                b.insert("title".into(), json!(format!("t{side}-{v}")));
            }),
            Edit::Priority(i, v) => touch(&mut m, *i, &|b| {
                b.insert("priority".into(), json!(v));
            }),
            Edit::Comment(i, v) => touch(&mut m, *i, &|b| {
                let c = json!({"author": format!("side{side}"), "text": format!("c{v}"), "created_at": now});
                let list = b.entry("comments").or_insert(json!([]));
                if let Some(a) = list.as_array_mut() {
                    a.push(c);
                }
            }),
            Edit::Dep(i, d) => touch(&mut m, *i, &|b| {
                let dep = json!({"issue_id": id(*i), "depends_on_id": id(*d), "type": "blocks", "created_at": now});
                let list = b.entry("dependencies").or_insert(json!([]));
                if let Some(a) = list.as_array_mut()
                    && !a.iter().any(|x| dependency_key(x) == dependency_key(&dep))
                {
                    a.push(dep);
                }
            }),
            Edit::Label(i, l) => touch(&mut m, *i, &|b| {
                let list = b.entry("labels").or_insert(json!([]));
                // Kept sorted, as the export writes labels.
                if let Some(a) = list.as_array_mut()
                    && !a.contains(&json!(format!("l{l}")))
                {
                    a.push(json!(format!("l{l}")));
                    a.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
                }
            }),
            Edit::Unlabel(i, l) => touch(&mut m, *i, &|b| {
                if let Some(a) = b.get_mut("labels").and_then(Value::as_array_mut) {
                    a.retain(|x| x != &json!(format!("l{l}")));
                }
            }),
            Edit::Create(k) => {
                // Both towns may make a bead under the same id at once.
                let nid = format!("n-{k}");
                if let Value::Object(b) =
                    bead(&nid, &format!("new {side}"), now.as_str().unwrap_or(""))
                {
                    m.entry(nid).or_insert(b);
                }
            }
            Edit::Delete(i) => {
                m.remove(&id(*i));
            }
        }
    }
    m
}

fn text(m: &Beads) -> String {
    m.values()
        .map(|b| format!("{}\n", Value::Object(b.clone())))
        .collect()
}

fn set(v: Option<&Value>, key: fn(&Value) -> String) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(key).collect())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Two towns edit the same beads at once (1,000 random interleavings): the merge parses,
    /// is the same whichever side is ours, keeps every comment, dependency and new bead, and
    /// settles each field as the rules say.
    #[test]
    fn two_towns_edits_merge_without_loss(
        ours_edits in proptest::collection::vec(edit(), 0..12),
        theirs_edits in proptest::collection::vec(edit(), 0..12),
    ) {
        let base: Beads = (0..6)
            .map(|i| {
                let Value::Object(b) = bead(&format!("b-{i}"), &format!("base {i}"), "2026-01-01T00:00:00Z") else { unreachable!() };
                (format!("b-{i}"), b)
            })
            .collect();
        let o = apply(&base, 0, &ours_edits);
        let t = apply(&base, 1, &theirs_edits);
        let out = merge(&text(&base), &text(&o), &text(&t)).unwrap();
        prop_assert!(!out.contains("<<<<<<<") && !out.contains(">>>>>>>"));
        let m = parsed(&out);
        // The same whichever side is ours.
        let swapped = parsed(&merge(&text(&base), &text(&t), &text(&o)).unwrap());
        prop_assert_eq!(&m, &swapped);
        // Merging a side with itself changes nothing.
        prop_assert_eq!(parsed(&merge(&text(&base), &text(&o), &text(&o)).unwrap()), o.clone());
        for (id, b) in &base {
            let (ob, tb) = (o.get(id), t.get(id));
            match (ob, tb) {
                (None, None) => prop_assert!(!m.contains_key(id)),
                (Some(x), None) | (None, Some(x)) => {
                    // Deleted on one side: kept only when the other changed it.
                    prop_assert_eq!(m.contains_key(id), x != b);
                }
                (Some(ob), Some(tb)) => {
                    let mb = &m[id];
                    let newer_ours = ours_newer(ob, tb);
                    for f in ["title", "priority", "updated_at", "status"] {
                        let (bv, ov, tv) = (b.get(f), ob.get(f), tb.get(f));
                        let want = if ov == bv { tv } else if tv == bv || newer_ours { ov } else { tv };
                        prop_assert_eq!(mb.get(f), want, "{} {}", id, f);
                    }
                    let labels = |v: Option<&Value>| set(v, |x| x.to_string());
                    let (bl, ol, tl, ml) = (labels(b.get("labels")), labels(ob.get("labels")), labels(tb.get("labels")), labels(mb.get("labels")));
                    for l in bl.iter().chain(&ol).chain(&tl) {
                        let want = (bl.contains(l) && ol.contains(l) && tl.contains(l))
                            || (!bl.contains(l) && (ol.contains(l) || tl.contains(l)));
                        prop_assert_eq!(ml.contains(l), want, "{} label {}", id, l);
                    }
                }
            }
        }
        // Nothing either side wrote is lost: new beads, comments, dependencies.
        for side in [&o, &t] {
            for (id, b) in side.iter() {
                let Some(mb) = m.get(id) else {
                    prop_assert!(base.get(id) == Some(b), "{} lost", id);
                    continue;
                };
                for (field, key) in [("comments", comment_key as fn(&Value) -> String), ("dependencies", dependency_key)] {
                    let had = set(b.get(field), key);
                    let has = set(mb.get(field), key);
                    prop_assert!(had.is_subset(&has), "{} {} lost: {:?} not in {:?}", id, field, had, has);
                }
            }
        }
    }
}
