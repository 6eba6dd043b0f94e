//! Keymaps: which key does what, per context (DESIGN.md §8). The built-in map is
//! `keymaps/default.toml`; `<user config dir>/keymap.toml` changes single keys on top of it.
//! Everything here is pure except [`Keymap::load`], which reads that one file.

use super::action::{Action, Context};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The built-in keymap, as shipped (and as `gt config dump keymap` prints it).
pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");
const DEFAULT_LABEL: &str = "keymaps/default.toml";
const USER_FILE: &str = "keymap.toml";

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

const NAMED: &[(&str, Key)] = &[
    ("enter", Key::Enter),
    ("esc", Key::Esc),
    ("tab", Key::Tab),
    ("backspace", Key::Backspace),
    ("delete", Key::Delete),
    ("insert", Key::Insert),
    ("up", Key::Up),
    ("down", Key::Down),
    ("left", Key::Left),
    ("right", Key::Right),
    ("home", Key::Home),
    ("end", Key::End),
    ("pageup", Key::PageUp),
    ("pagedown", Key::PageDown),
];

const ALIASES: &[(&str, Key)] = &[
    ("return", Key::Enter),
    ("escape", Key::Esc),
    ("bs", Key::Backspace),
    ("del", Key::Delete),
    ("ins", Key::Insert),
    ("page-up", Key::PageUp),
    ("pgup", Key::PageUp),
    ("page-down", Key::PageDown),
    ("pgdn", Key::PageDown),
];

/// One key press, normalised so that the same press always compares equal: a shifted
/// character is the character itself (`G`, `?`) with no shift; shift only stays on keys that
/// have no character (`shift-tab`, `shift-up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    key: Key,
    ctrl: bool,
    alt: bool,
    shift: bool,
}

impl KeySpec {
    pub fn new(key: Key, ctrl: bool, alt: bool, shift: bool) -> KeySpec {
        let (key, shift) = match key {
            // Terminals differ on whether Shift+g arrives as 'g'+SHIFT or 'G'(+SHIFT).
            Key::Char(c) if shift && c.is_lowercase() => {
                let mut up = c.to_uppercase();
                match (up.next(), up.next()) {
                    (Some(u), None) => (Key::Char(u), false),
                    _ => (Key::Char(c), false),
                }
            }
            Key::Char(c) => (Key::Char(c), false),
            other => (other, shift),
        };
        KeySpec {
            key,
            ctrl,
            alt,
            shift,
        }
    }

    /// A plain key with no modifiers.
    pub fn plain(key: Key) -> KeySpec {
        KeySpec::new(key, false, false, false)
    }

    pub fn key(self) -> Key {
        self.key
    }

    pub fn ctrl(self) -> bool {
        self.ctrl
    }

    pub fn alt(self) -> bool {
        self.alt
    }

    pub fn shift(self) -> bool {
        self.shift
    }

    /// A terminal key event as a key spec; `None` for releases and for keys a keymap cannot
    /// name (lock keys, media keys, Super/Hyper chords).
    pub fn from_event(ev: &KeyEvent) -> Option<KeySpec> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let m = ev.modifiers;
        if m.intersects(KeyModifiers::SUPER | KeyModifiers::HYPER) {
            return None;
        }
        let ctrl = m.contains(KeyModifiers::CONTROL);
        let alt = m.intersects(KeyModifiers::ALT | KeyModifiers::META);
        let mut shift = m.contains(KeyModifiers::SHIFT);
        let key = match ev.code {
            KeyCode::Char(c) if c.is_control() => return None,
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::BackTab => {
                shift = true;
                Key::Tab
            }
            // Legacy terminals send Ctrl-Space as NUL.
            KeyCode::Null => return Some(KeySpec::new(Key::Char(' '), true, alt, false)),
            KeyCode::F(n) => Key::F(n),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Delete => Key::Delete,
            KeyCode::Insert => Key::Insert,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            _ => return None,
        };
        Some(KeySpec::new(key, ctrl, alt, shift))
    }

    /// Parses one key as written in a keymap: `q`, `G`, `?`, `space`, `ctrl-s`, `shift-tab`,
    /// `alt-enter`, `f1`, `pagedown`.
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = text;
        while rest.chars().count() > 1 {
            let Some((m, tail)) = rest.split_once('-') else {
                break;
            };
            if tail.is_empty() {
                break;
            }
            match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => ctrl = true,
                "alt" | "meta" => alt = true,
                "shift" => shift = true,
                _ => break,
            }
            rest = tail;
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_control() || c.is_whitespace() => {
                return Err(format!("{text:?} is not a key (write space as \"space\")"));
            }
            (Some(c), None) => {
                // Which character Shift makes of a digit or symbol depends on the layout.
                if shift && !c.is_alphabetic() {
                    return Err(format!(
                        "shift- cannot go with {c:?}: write the shifted character itself (\"?\", not \"shift-/\")"
                    ));
                }
                Key::Char(c)
            }
            _ => {
                let (key, shifted) = named_key(rest).ok_or_else(|| {
                    format!("unknown key {rest:?} (`gt config dump keymap` shows the key names)")
                })?;
                shift |= shifted;
                key
            }
        };
        Ok(KeySpec::new(key, ctrl, alt, shift))
    }

    /// Whether this press could be typed text: a printable character without Ctrl or Alt.
    pub fn is_text(self) -> bool {
        matches!(self.key, Key::Char(_)) && !self.ctrl && !self.alt
    }
}

/// Whether `key` could be typed text (printable, no Ctrl/Alt): in an input such keys are
/// typed unless the input's own context binds them.
pub fn text_safe(key: KeySpec) -> bool {
    key.is_text()
}

/// A named key, and whether the name implies Shift (`backtab`).
fn named_key(name: &str) -> Option<(Key, bool)> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "space" | "spc" => return Some((Key::Char(' '), false)),
        "backtab" => return Some((Key::Tab, true)),
        _ => {}
    }
    if let Some(n) = lower.strip_prefix('f').and_then(|d| d.parse::<u8>().ok())
        && (1..=24).contains(&n)
    {
        return Some((Key::F(n), false));
    }
    NAMED
        .iter()
        .chain(ALIASES)
        .find(|(n, _)| *n == lower)
        .map(|(_, k)| (*k, false))
}

impl fmt::Display for KeySpec {
    /// The canonical spelling: modifiers in the order ctrl, alt, shift; names lower-case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::F(n) => write!(f, "f{n}"),
            k => {
                let name = NAMED.iter().find(|(_, nk)| *nk == k).map(|(n, _)| *n);
                f.write_str(name.unwrap_or("?"))
            }
        }
    }
}

impl std::str::FromStr for KeySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeySpec::parse(s)
    }
}

/// Parses a key or a chord (`"g g"`: keys pressed one after the other).
pub fn parse_chord(text: &str) -> Result<Vec<KeySpec>, String> {
    let keys = text
        .split_whitespace()
        .map(KeySpec::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err("empty key".into());
    }
    Ok(keys)
}

/// The canonical spelling of a key or chord.
pub fn chord_string(keys: &[KeySpec]) -> String {
    keys.iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a key press means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Action(Action),
    /// The keys so far begin a chord: keep exactly these as the pending keys and wait.
    Pending(Vec<KeySpec>),
    /// Nothing: drop any pending keys (in an input, a text-safe key is then typed).
    Unbound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Binding {
    keys: Vec<KeySpec>,
    action: Action,
}

/// Bindings per context, in file order (the first key bound to an action is its hint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    tables: BTreeMap<Context, Vec<Binding>>,
}

impl Default for Keymap {
    /// The built-in keymap (its file is checked by tests to load without warnings).
    fn default() -> Self {
        Keymap::parse(DEFAULT_TOML, DEFAULT_LABEL).0
    }
}

impl Keymap {
    fn empty() -> Keymap {
        Keymap {
            tables: Context::ALL.iter().map(|c| (*c, Vec::new())).collect(),
        }
    }

    /// A whole keymap from text (e.g. a dumped file); `label` names it in warnings.
    pub fn parse(text: &str, label: &str) -> (Keymap, Vec<String>) {
        let mut km = Keymap::empty();
        let warnings = km.merge(text, label);
        (km, warnings)
    }

    /// The built-in keymap with `<user_dir>/keymap.toml` on top, and what was wrong with that
    /// file. A missing file is not a warning; a broken entry keeps its default.
    pub fn load(user_dir: Option<&Path>) -> (Keymap, Vec<String>) {
        let mut km = Keymap::default();
        let Some(dir) = user_dir else {
            return (km, Vec::new());
        };
        let path = dir.join(USER_FILE);
        let label = display_path(&path);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let warnings = km.merge(&text, &label);
                (km, warnings)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (km, Vec::new()),
            Err(e) => (
                km,
                vec![format!(
                    "{label}: cannot read it ({e}); using the default keymap"
                )],
            ),
        }
    }

    /// Applies a keymap file over this one, key by key; returns what it had to skip.
    pub fn merge(&mut self, text: &str, label: &str) -> Vec<String> {
        let mut warnings = Vec::new();
        let doc = match text.parse::<toml_edit::DocumentMut>() {
            Ok(d) => d,
            Err(e) => {
                warnings.push(format!(
                    "{label}: {}; using the default keymap",
                    toml_error(text, &e)
                ));
                return warnings;
            }
        };
        for (section, item) in doc.as_table().iter() {
            let Some(table) = item.as_table_like() else {
                warnings.push(format!(
                    "{label} {section:?}: outside any section; put keys under [global] or a pane's section"
                ));
                continue;
            };
            let Some(ctx) = Context::parse(section) else {
                warnings.push(format!(
                    "{label} [{section}]: unknown section (sections: {}); ignored",
                    Context::ALL.map(Context::name).join(", ")
                ));
                continue;
            };
            let mut seen: Vec<Vec<KeySpec>> = Vec::new();
            for (written, value) in table.iter() {
                let at = format!("{label} [{section}] {written:?}");
                let keys = match parse_chord(written) {
                    Ok(k) => k,
                    Err(e) => {
                        warnings.push(format!("{at}: {e}; ignored"));
                        continue;
                    }
                };
                let Some(name) = value.as_str() else {
                    warnings.push(format!(
                        "{at}: the action must be a string (an action name, or \"none\" to unbind); this key keeps its default"
                    ));
                    continue;
                };
                let action = match name {
                    "none" => None,
                    n => match Action::parse(n) {
                        Some(a) => Some(a),
                        None => {
                            warnings.push(format!(
                                "{at}: unknown action {n:?} (`gt config dump keymap` shows every action); this key keeps its default"
                            ));
                            continue;
                        }
                    },
                };
                // A key that is also the start of a chord would make the chord unreachable.
                if let Some(other) = seen.iter().find(|s| overlaps(s, &keys)) {
                    warnings.push(format!(
                        "{at}: clashes with {:?} in the same section (a key cannot also start a chord); ignored",
                        chord_string(other)
                    ));
                    continue;
                }
                seen.push(keys.clone());
                self.set(ctx, keys, action);
            }
        }
        warnings
    }

    /// Binds (or with `None` unbinds) keys; a new binding replaces the ones it would shadow.
    fn set(&mut self, ctx: Context, keys: Vec<KeySpec>, action: Option<Action>) {
        let table = self.tables.entry(ctx).or_default();
        match action {
            None => table.retain(|b| b.keys != keys),
            Some(action) => {
                if let Some(b) = table.iter_mut().find(|b| b.keys == keys) {
                    b.action = action;
                } else {
                    table.retain(|b| !overlaps(&b.keys, &keys));
                    table.push(Binding { keys, action });
                }
            }
        }
    }

    /// What `key` means after `pending`, looking through `contexts` in priority order. A
    /// pending chord that `key` does not continue is dropped and `key` is resolved afresh.
    pub fn resolve(&self, contexts: &[Context], pending: &[KeySpec], key: KeySpec) -> Resolution {
        let mut seq = pending.to_vec();
        seq.push(key);
        if let Some(r) = self.lookup(contexts, &seq) {
            return r;
        }
        if !pending.is_empty()
            && let Some(r) = self.lookup(contexts, &[key])
        {
            return r;
        }
        Resolution::Unbound
    }

    fn lookup(&self, contexts: &[Context], seq: &[KeySpec]) -> Option<Resolution> {
        for ctx in contexts {
            let Some(table) = self.tables.get(ctx) else {
                continue;
            };
            if let Some(b) = table.iter().find(|b| b.keys == seq) {
                return Some(Resolution::Action(b.action));
            }
            if table
                .iter()
                .any(|b| b.keys.len() > seq.len() && b.keys.starts_with(seq))
            {
                return Some(Resolution::Pending(seq.to_vec()));
            }
        }
        None
    }

    /// Every binding of a context, canonical key spelling, in keymap order (help overlay).
    pub fn bindings(&self, ctx: Context) -> Vec<(String, Action)> {
        self.tables
            .get(&ctx)
            .map(|t| {
                t.iter()
                    .map(|b| (chord_string(&b.keys), b.action))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The keys bound to `action` in `ctx`, first-written first (status-bar hints).
    pub fn keys_for(&self, ctx: Context, action: Action) -> Vec<String> {
        self.tables
            .get(&ctx)
            .map(|t| {
                t.iter()
                    .filter(|b| b.action == action)
                    .map(|b| chord_string(&b.keys))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One is a prefix of the other (equal included).
fn overlaps(a: &[KeySpec], b: &[KeySpec]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// `$XDG_CONFIG_HOME/gt`, else `~/.config/gt`: where `keymap.toml` and `theme.toml` live
/// (the directory of the user settings file).
pub fn user_config_dir() -> Option<PathBuf> {
    crate::town::settings::user_config_path().and_then(|p| p.parent().map(Path::to_path_buf))
}

/// A path as the user would type it: `~/…` under the home directory.
pub(crate) fn display_path(path: &Path) -> String {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty())
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return format!("~/{}", rest.display());
    }
    path.display().to_string()
}

/// A TOML syntax error in one line: `not valid TOML (line 3, column 7: …)`.
pub(crate) fn toml_error(text: &str, e: &toml_edit::TomlError) -> String {
    let msg = e.message().trim();
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("not valid TOML (line {line}, column {col}: {msg})")
        }
        None => format!("not valid TOML ({msg})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> KeySpec {
        KeySpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ev(code: KeyCode, m: KeyModifiers) -> Option<KeySpec> {
        KeySpec::from_event(&KeyEvent::new(code, m))
    }

    #[test]
    fn default_keymap_loads_cleanly_with_a_table_per_context() {
        let (km, warnings) = Keymap::parse(DEFAULT_TOML, DEFAULT_LABEL);
        assert!(warnings.is_empty(), "{warnings:#?}");
        assert_eq!(km, Keymap::default());
        let doc: toml_edit::DocumentMut = DEFAULT_TOML.parse().expect("embedded file");
        for ctx in Context::ALL {
            assert!(doc.get(ctx.name()).is_some(), "no [{}]", ctx.name());
            assert!(!km.bindings(ctx).is_empty(), "[{}] is empty", ctx.name());
        }
        // Every action in the file names a real action (a typo would have warned above);
        // the status-bar hints rely on the first-written key.
        assert_eq!(km.keys_for(Context::Global, Action::Down), ["j", "down"]);
        assert_eq!(km.keys_for(Context::Agents, Action::Attach), ["enter", "a"]);
        assert_eq!(
            km.keys_for(Context::Mail, Action::Quit),
            Vec::<String>::new()
        );
        for (spec, _) in km.bindings(Context::Global) {
            assert_eq!(chord_string(&parse_chord(&spec).expect("reparse")), spec);
        }
    }

    #[test]
    fn the_default_map_binds_the_documented_keys() {
        let km = Keymap::default();
        let r = |ctxs: &[Context], s: &str| km.resolve(ctxs, &[], k(s));
        let act = Resolution::Action;
        let g = [Context::Global];
        assert_eq!(r(&g, "tab"), act(Action::FocusNext));
        assert_eq!(r(&g, "shift-tab"), act(Action::FocusPrev));
        assert_eq!(r(&g, "8"), act(Action::FocusAttention));
        assert_eq!(r(&g, "G"), act(Action::Bottom));
        assert_eq!(r(&g, "?"), act(Action::Help));
        assert_eq!(r(&g, "ctrl-r"), act(Action::Refresh));
        let agents = [Context::Agents, Context::Global];
        assert_eq!(r(&agents, "enter"), act(Action::Attach));
        assert_eq!(r(&agents, "n"), act(Action::Nudge));
        assert_eq!(r(&agents, "j"), act(Action::Down));
        let mail = [Context::Mail, Context::Global];
        assert_eq!(r(&mail, "enter"), act(Action::Open));
        assert_eq!(r(&mail, "i"), act(Action::SwitchIdentity));
        let chat = [Context::Chat, Context::Global];
        assert_eq!(r(&chat, "enter"), act(Action::Send));
        assert_eq!(r(&chat, "alt-enter"), act(Action::Newline));
        let modal = [Context::Modal, Context::Global];
        assert_eq!(r(&modal, "ctrl-s"), act(Action::Submit));
        assert_eq!(r(&modal, "shift-tab"), act(Action::PrevField));
        assert_eq!(r(&modal, "esc"), act(Action::Cancel));
    }

    #[test]
    fn chords_wait_then_resolve_and_a_stray_key_starts_afresh() {
        let km = Keymap::default();
        let ctxs = [Context::Agents, Context::Global];
        assert_eq!(
            km.resolve(&ctxs, &[], k("g")),
            Resolution::Pending(vec![k("g")])
        );
        assert_eq!(
            km.resolve(&ctxs, &[k("g")], k("g")),
            Resolution::Action(Action::Top)
        );
        assert_eq!(
            km.resolve(&ctxs, &[k("g")], k("j")),
            Resolution::Action(Action::Down)
        );
        assert_eq!(km.resolve(&ctxs, &[k("g")], k("w")), Resolution::Unbound);
        assert_eq!(km.resolve(&ctxs, &[], k("ctrl-x")), Resolution::Unbound);
        // A stray key that itself starts a chord becomes the new pending chord.
        let (km2, w) = Keymap::parse("[global]\n\"g g\" = \"top\"\n\"x y\" = \"zoom\"\n", "t");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            km2.resolve(&[Context::Global], &[k("g")], k("x")),
            Resolution::Pending(vec![k("x")])
        );
    }

    #[test]
    fn the_first_context_that_knows_a_key_wins() {
        let km = Keymap::default();
        assert_eq!(
            km.resolve(&[Context::Agents, Context::Global], &[], k("enter")),
            Resolution::Action(Action::Attach)
        );
        assert_eq!(
            km.resolve(&[Context::Global], &[], k("enter")),
            Resolution::Action(Action::Open)
        );
        assert_eq!(
            km.resolve(&[Context::Modal], &[], k("q")),
            Resolution::Unbound
        );
    }

    #[test]
    fn specs_parse_normalise_and_render_canonically() {
        for (written, canonical) in [
            ("ctrl-s", "ctrl-s"),
            ("Ctrl-S", "ctrl-S"),
            ("control-shift-s", "ctrl-S"),
            ("shift-g", "G"),
            ("shift-G", "G"),
            ("G", "G"),
            ("backtab", "shift-tab"),
            ("shift-tab", "shift-tab"),
            ("alt-enter", "alt-enter"),
            ("meta-return", "alt-enter"),
            ("space", "space"),
            ("page-down", "pagedown"),
            ("PgUp", "pageup"),
            ("F1", "f1"),
            ("?", "?"),
            ("-", "-"),
            ("ctrl--", "ctrl--"),
            ("alt-shift-ctrl-up", "ctrl-alt-shift-up"),
        ] {
            assert_eq!(k(written).to_string(), canonical, "{written}");
            assert_eq!(k(canonical), k(written), "{written}");
        }
        for bad in [
            "", "ctrl-", "foo", "ctrl-foo", "shift-1", "shift-?", "f25", "a-b", "g  h x-y",
        ] {
            assert!(parse_chord(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(parse_chord(" g  g ").expect("chord"), vec![k("g"), k("g")]);
    }

    #[test]
    fn events_normalise_like_specs() {
        use KeyModifiers as M;
        assert_eq!(ev(KeyCode::Char('G'), M::SHIFT), Some(k("G")));
        assert_eq!(ev(KeyCode::Char('g'), M::SHIFT), Some(k("G")));
        assert_eq!(ev(KeyCode::Char('G'), M::NONE), Some(k("G")));
        assert_eq!(ev(KeyCode::Char('?'), M::SHIFT), Some(k("?")));
        assert_eq!(ev(KeyCode::BackTab, M::SHIFT), Some(k("shift-tab")));
        assert_eq!(ev(KeyCode::BackTab, M::NONE), Some(k("shift-tab")));
        assert_eq!(ev(KeyCode::Char('s'), M::CONTROL), Some(k("ctrl-s")));
        assert_eq!(ev(KeyCode::Enter, M::ALT), Some(k("alt-enter")));
        assert_eq!(ev(KeyCode::Char(' '), M::NONE), Some(k("space")));
        assert_eq!(ev(KeyCode::F(1), M::NONE), Some(k("f1")));
        assert_eq!(ev(KeyCode::Char('q'), M::SUPER), None);
        assert_eq!(ev(KeyCode::CapsLock, M::NONE), None);
        let mut release = KeyEvent::new(KeyCode::Char('q'), M::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(KeySpec::from_event(&release), None);
        release.kind = KeyEventKind::Repeat;
        assert_eq!(KeySpec::from_event(&release), Some(k("q")));
    }

    #[test]
    fn text_safe_keys_are_printable_without_ctrl_or_alt() {
        for s in ["a", "G", "?", "1", "space", "/"] {
            assert!(text_safe(k(s)), "{s}");
        }
        for s in [
            "ctrl-a",
            "alt-x",
            "enter",
            "tab",
            "esc",
            "up",
            "f1",
            "backspace",
        ] {
            assert!(!text_safe(k(s)), "{s}");
        }
    }

    fn load_user(text: &str) -> (Keymap, Vec<String>, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(USER_FILE);
        std::fs::write(&path, text).expect("write");
        let (km, w) = Keymap::load(Some(dir.path()));
        (km, w, display_path(&path))
    }

    #[test]
    fn user_keys_merge_over_the_defaults_and_can_unbind() {
        let (km, w, _) = load_user(
            "[global]\nq = \"none\"\n\"ctrl-q\" = \"quit\"\n\"g\" = \"top\"\n\
             [mail]\n\"d\" = \"archive\"\n\"e\" = \"none\"\n",
        );
        assert!(w.is_empty(), "{w:?}");
        let g = [Context::Global];
        assert_eq!(km.resolve(&g, &[], k("q")), Resolution::Unbound);
        assert_eq!(
            km.resolve(&g, &[], k("ctrl-q")),
            Resolution::Action(Action::Quit)
        );
        // A user key replaces the default chord it would have shadowed.
        assert_eq!(km.resolve(&g, &[], k("g")), Resolution::Action(Action::Top));
        assert!(!km.bindings(Context::Global).iter().any(|(s, _)| s == "g g"));
        let mail = [Context::Mail];
        assert_eq!(
            km.resolve(&mail, &[], k("d")),
            Resolution::Action(Action::Archive)
        );
        assert_eq!(km.resolve(&mail, &[], k("e")), Resolution::Unbound);
        assert_eq!(km.keys_for(Context::Mail, Action::Reply), ["r"]);
        // Untouched sections stay as they were.
        assert_eq!(
            km.bindings(Context::Modal),
            Keymap::default().bindings(Context::Modal)
        );
        // No directory, or no file there: the defaults, silently.
        assert_eq!(Keymap::load(None), (Keymap::default(), vec![]));
        let empty = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            Keymap::load(Some(empty.path())),
            (Keymap::default(), vec![])
        );
    }

    #[test]
    fn a_bad_user_file_warns_by_file_section_and_key_and_keeps_defaults() {
        let cases: &[(&str, &[&str])] = &[
            (
                "[mail]\n\"ctrl-q\" = \"frobnicate\"\n",
                &["[mail] \"ctrl-q\": unknown action \"frobnicate\""],
            ),
            (
                "[mail]\n\"ctrl-qq\" = \"reply\"\n",
                &["[mail] \"ctrl-qq\": unknown key \"qq\""],
            ),
            (
                "[mail]\n\"shift-1\" = \"reply\"\n",
                &["[mail] \"shift-1\": shift-"],
            ),
            (
                "[mail]\nr = 3\n",
                &["[mail] \"r\": the action must be a string"],
            ),
            ("[mial]\nr = \"reply\"\n", &["[mial]: unknown section"]),
            ("q = \"quit\"\n", &["\"q\": outside any section"]),
            (
                "[global]\n\"x\" = \"zoom\"\n\"x y\" = \"help\"\n",
                &["[global] \"x y\": clashes with \"x\""],
            ),
            ("[global\nq = \"help\"\n", &["not valid TOML (line 1"]),
        ];
        for (text, wants) in cases {
            let (km, w, file) = load_user(text);
            assert_eq!(w.len(), wants.len(), "{text}: {w:#?}");
            for (got, want) in w.iter().zip(wants.iter()) {
                assert!(got.starts_with(&file), "{got}");
                assert!(got.contains(want), "{got} lacks {want}");
            }
            // The broken entry (or whole file) changed nothing that was already bound.
            let d = Keymap::default();
            for ctx in Context::ALL {
                for (spec, action) in d.bindings(ctx) {
                    if spec == "x" {
                        continue;
                    }
                    assert!(
                        km.bindings(ctx).contains(&(spec.clone(), action)),
                        "{text}: lost {spec}"
                    );
                }
            }
        }
        // The good entries of a partly broken file still apply.
        let (km, w, _) = load_user("[mail]\n\"d\" = \"frobnicate\"\n\"x\" = \"archive\"\n");
        assert_eq!(w.len(), 1);
        assert_eq!(
            km.resolve(&[Context::Mail], &[], k("x")),
            Resolution::Action(Action::Archive)
        );
    }

    #[test]
    fn every_action_has_a_default_key() {
        let km = Keymap::default();
        for a in Action::ALL {
            assert!(
                Context::ALL.iter().any(|c| !km.keys_for(*c, *a).is_empty()),
                "{} has no key",
                a.name()
            );
        }
    }

    #[test]
    fn the_readme_documents_every_action() {
        let readme = include_str!("../../keymaps/README.md");
        for a in Action::ALL {
            assert!(
                readme.contains(&format!("| `{}` |", a.name())),
                "{}",
                a.name()
            );
        }
    }

    #[test]
    fn display_path_abbreviates_home() {
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            let p = PathBuf::from(home).join(".config/gt/keymap.toml");
            assert_eq!(display_path(&p), "~/.config/gt/keymap.toml");
        }
        assert_eq!(
            display_path(Path::new("/nonexistent-root/x")),
            "/nonexistent-root/x"
        );
    }
}
