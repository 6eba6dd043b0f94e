//! Themes: named style slots the views paint with (DESIGN.md §8). Built-in themes are
//! `themes/*.toml`; `<user config dir>/theme.toml` restyles single slots of one of them.
//! Everything here is pure except [`Theme::load`], which reads that one file.

use super::keymap::{display_path, toml_error};
use ratatui::style::{Color, Modifier, Style};
use std::ffi::OsStr;
use std::path::Path;

/// The built-in themes, by name (as `gt config dump theme --name …` prints them).
pub const THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];
pub const DEFAULT_THEME: &str = "dark";
const USER_FILE: &str = "theme.toml";

/// A built-in theme's file text.
pub fn embedded(name: &str) -> Option<&'static str> {
    THEMES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// `dark, light, high-contrast` for messages.
pub fn theme_names() -> String {
    THEMES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

macro_rules! slots {
    ($($variant:ident = $name:literal,)*) => {
        /// What a piece of the screen is, for styling.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Slot {
            $($variant,)*
        }

        impl Slot {
            pub const ALL: &'static [Slot] = &[$(Slot::$variant,)*];
            pub const COUNT: usize = Slot::ALL.len();

            /// The key in a theme file's `[styles]`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Slot::$variant => $name,)*
                }
            }

            pub fn parse(s: &str) -> Option<Slot> {
                match s {
                    $($name => Some(Slot::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

slots! {
    Base = "base",
    Dim = "dim",
    Border = "border",
    BorderFocused = "border_focused",
    Title = "title",
    TitleFocused = "title_focused",
    Selected = "selected",
    SelectedUnfocused = "selected_unfocused",
    Marked = "marked",
    Cursor = "cursor",
    StatusBar = "status_bar",
    StatusKey = "status_key",
    ToastInfo = "toast_info",
    ToastWarn = "toast_warn",
    ToastError = "toast_error",
    StateWorking = "state_working",
    StateIdle = "state_idle",
    StateStarting = "state_starting",
    StateExited = "state_exited",
    StateWaiting = "state_waiting",
    StateStalled = "state_stalled",
    StateUnknown = "state_unknown",
    ProgressDone = "progress_done",
    ProgressActive = "progress_active",
    ProgressTodo = "progress_todo",
    PriorityUrgent = "priority_urgent",
    PriorityHigh = "priority_high",
    Unread = "unread",
    Delivered = "delivered",
    Failed = "failed",
    Queued = "queued",
    Accent = "accent",
    Filter = "filter",
    HelpKey = "help_key",
    Modal = "modal",
    Input = "input",
    Placeholder = "placeholder",
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    name: String,
    styles: [Style; Slot::COUNT],
}

impl Default for Theme {
    fn default() -> Self {
        Theme::named(DEFAULT_THEME).unwrap_or_else(Theme::no_color)
    }
}

/// What a theme file says; slots it got wrong are left out (and warned about).
struct ThemeFile {
    name: Option<String>,
    base: Option<String>,
    styles: Vec<(Slot, Style)>,
}

impl Theme {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn style(&self, slot: Slot) -> Style {
        self.styles[slot as usize]
    }

    /// A built-in theme (their files are checked by tests to load without warnings).
    pub fn named(name: &str) -> Option<Theme> {
        embedded(name).map(|text| Theme::parse(text, &format!("themes/{name}.toml")).0)
    }

    /// A complete theme from text (e.g. a dumped file): every slot must be there.
    pub fn parse(text: &str, label: &str) -> (Theme, Vec<String>) {
        let mut warnings = Vec::new();
        let mut theme = Theme {
            name: label.to_string(),
            styles: [Style::new(); Slot::COUNT],
        };
        let Some(file) = parse_file(text, label, &mut warnings) else {
            return (theme, warnings);
        };
        if let Some(n) = file.name {
            theme.name = n;
        }
        for slot in Slot::ALL {
            if !file.styles.iter().any(|(s, _)| s == slot) {
                warnings.push(format!("{label} [styles]: no style for {:?}", slot.name()));
            }
        }
        theme.apply(&file.styles);
        (theme, warnings)
    }

    fn apply(&mut self, styles: &[(Slot, Style)]) {
        for (slot, style) in styles {
            self.styles[*slot as usize] = *style;
        }
    }

    /// The theme `name` (or the `base` the user file names) with `<user_dir>/theme.toml`'s
    /// slots on top, and what was wrong with either. Never fails: bad parts fall back.
    pub fn load(name: &str, user_dir: Option<&Path>) -> (Theme, Vec<String>) {
        let mut warnings = Vec::new();
        let user = user_dir.and_then(|dir| {
            let path = dir.join(USER_FILE);
            let label = display_path(&path);
            match std::fs::read_to_string(&path) {
                Ok(text) => parse_file(&text, &label, &mut warnings).map(|f| (label, f)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    warnings.push(format!(
                        "{label}: cannot read it ({e}); using the {name} theme"
                    ));
                    None
                }
            }
        });
        // The user file's `base` is the more specific wish, so it beats `name`.
        let mut theme = None;
        let user_base = user
            .as_ref()
            .and_then(|(label, f)| f.base.as_ref().map(|b| (label, b)));
        if let Some((label, base)) = user_base {
            theme = Theme::named(base);
            if theme.is_none() {
                warnings.push(format!(
                    "{label} base: unknown theme {base:?} (themes: {}); using {name:?}",
                    theme_names()
                ));
            }
        }
        let mut theme = match theme.or_else(|| Theme::named(name)) {
            Some(t) => t,
            None => {
                warnings.push(format!(
                    "unknown theme {name:?} (themes: {}); using {DEFAULT_THEME:?}",
                    theme_names()
                ));
                Theme::default()
            }
        };
        if let Some((_, file)) = user {
            theme.apply(&file.styles);
            // A whole theme saved as theme.toml (e.g. from `gt config dump`) keeps its name.
            if let Some(n) = file.name {
                theme.name = n;
            }
        }
        (theme, warnings)
    }

    /// [`Theme::load`], unless `NO_COLOR` is set (and not empty): then [`Theme::no_color`].
    pub fn from_env(name: &str, user_dir: Option<&Path>) -> (Theme, Vec<String>) {
        if no_color_requested(std::env::var_os("NO_COLOR").as_deref()) {
            return (Theme::no_color(), Vec::new());
        }
        Theme::load(name, user_dir)
    }

    /// No colours at all; only modifiers, so selection, focus and urgency still show.
    pub fn no_color() -> Theme {
        let mut styles = [Style::new(); Slot::COUNT];
        for slot in Slot::ALL {
            styles[*slot as usize] = Style::new().add_modifier(no_color_modifiers(*slot));
        }
        Theme {
            name: "no-color".into(),
            styles,
        }
    }
}

/// The NO_COLOR convention (no-color.org): present and not empty.
pub fn no_color_requested(value: Option<&OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

fn no_color_modifiers(slot: Slot) -> Modifier {
    use Slot::*;
    match slot {
        Selected | StatusKey | ToastWarn | ToastError | TitleFocused => {
            Modifier::REVERSED | Modifier::BOLD
        }
        Cursor | StatusBar | ToastInfo | ProgressDone => Modifier::REVERSED,
        Marked => Modifier::BOLD | Modifier::UNDERLINED,
        SelectedUnfocused | Filter => Modifier::UNDERLINED,
        BorderFocused | Title | StateWaiting | StateStalled | PriorityUrgent | PriorityHigh
        | Unread | Failed | HelpKey | Accent => Modifier::BOLD,
        Dim | Border | StateExited | ProgressTodo => Modifier::DIM,
        ProgressActive => Modifier::UNDERLINED,
        Placeholder => Modifier::DIM | Modifier::ITALIC,
        Base | StateWorking | StateIdle | StateStarting | StateUnknown | Delivered | Queued
        | Modal | Input => Modifier::empty(),
    }
}

fn parse_file(text: &str, label: &str, warnings: &mut Vec<String>) -> Option<ThemeFile> {
    let doc = match text.parse::<toml_edit::DocumentMut>() {
        Ok(d) => d,
        Err(e) => {
            warnings.push(format!(
                "{label}: {}; ignoring the file",
                toml_error(text, &e)
            ));
            return None;
        }
    };
    let mut file = ThemeFile {
        name: None,
        base: None,
        styles: Vec::new(),
    };
    for (key, item) in doc.as_table().iter() {
        match key {
            "name" | "base" => match item.as_str() {
                Some(s) if key == "name" => file.name = Some(s.to_string()),
                Some(s) => file.base = Some(s.to_string()),
                None => warnings.push(format!(
                    "{label} {key}: must be a theme name in quotes; ignored"
                )),
            },
            "styles" => match item.as_table_like() {
                Some(t) => {
                    for (slot_name, value) in t.iter() {
                        let at = format!("{label} [styles] {slot_name:?}");
                        let Some(slot) = Slot::parse(slot_name) else {
                            warnings.push(format!(
                                "{at}: unknown slot (themes/README.md lists them); ignored"
                            ));
                            continue;
                        };
                        match parse_style(value) {
                            Ok(style) => file.styles.push((slot, style)),
                            Err(e) => {
                                warnings.push(format!("{at}: {e}; this slot keeps its base style"))
                            }
                        }
                    }
                }
                None => warnings.push(format!(
                    "{label} styles: must be a table ([styles]); ignored"
                )),
            },
            other => warnings.push(format!(
                "{label} {other:?}: unknown key (a theme file has name, base and [styles]); ignored"
            )),
        }
    }
    Some(file)
}

/// `{ fg = "…", bg = "…", modifiers = […] }`, or just `"colour"` for the text colour.
fn parse_style(item: &toml_edit::Item) -> Result<Style, String> {
    if let Some(c) = item.as_str() {
        return Ok(Style::new().fg(parse_color(c)?));
    }
    let Some(t) = item.as_table_like() else {
        return Err("must be { fg = …, bg = …, modifiers = […] } or a colour".into());
    };
    let mut style = Style::new();
    for (field, value) in t.iter() {
        match field {
            "fg" | "bg" => {
                let Some(text) = value.as_str() else {
                    return Err(format!("{field} must be a colour in quotes"));
                };
                let c = parse_color(text).map_err(|e| format!("{field}: {e}"))?;
                style = if field == "fg" {
                    style.fg(c)
                } else {
                    style.bg(c)
                };
            }
            "modifiers" => {
                let names: Vec<&str> = match (value.as_str(), value.as_array()) {
                    (Some(s), _) => vec![s],
                    (None, Some(a)) => a
                        .iter()
                        .map(|v| v.as_str().ok_or("modifiers must be names in quotes"))
                        .collect::<Result<_, _>>()?,
                    _ => return Err("modifiers must be a list of names".into()),
                };
                for n in names {
                    style = style.add_modifier(parse_modifier(n)?);
                }
            }
            other => {
                return Err(format!(
                    "unknown field {other:?} (fields: fg, bg, modifiers)"
                ));
            }
        }
    }
    Ok(style)
}

/// `red`, `light-blue` (also `light_blue`, `lightblue`, `bright-blue`), `#rrggbb`, `color0`–`color255`.
pub fn parse_color(text: &str) -> Result<Color, String> {
    let t = text.trim();
    // ratatui's own parser: names (light-/bright- variants, grey/gray), #rrggbb, 0–255, reset.
    // Ours adds the spellings themes use for indexed colours (color12) and `default`.
    let lower = t.to_ascii_lowercase();
    let alias = match lower.as_str() {
        "default" => Some("reset"),
        _ => lower
            .strip_prefix("colour")
            .or_else(|| lower.strip_prefix("color"))
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())),
    };
    let candidate = alias.unwrap_or(t);
    if t.is_empty() || (lower.starts_with("colo") && alias.is_none()) {
        return Err(bad_colour(text));
    }
    candidate.parse::<Color>().map_err(|_| bad_colour(text))
}

fn bad_colour(text: &str) -> String {
    format!(
        "unknown colour {text:?} (use a name like red or light-blue, \"#rrggbb\", or color0–color255)"
    )
}

fn parse_modifier(name: &str) -> Result<Modifier, String> {
    let key = name.trim().to_ascii_lowercase().replace('_', "-");
    Ok(match key.as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "slow-blink" | "blink" => Modifier::SLOW_BLINK,
        "rapid-blink" => Modifier::RAPID_BLINK,
        "reversed" | "reverse" => Modifier::REVERSED,
        "hidden" => Modifier::HIDDEN,
        "crossed-out" | "strikethrough" => Modifier::CROSSED_OUT,
        _ => {
            return Err(format!(
                "unknown modifier {name:?} (bold, dim, italic, underlined, slow-blink, rapid-blink, reversed, hidden, crossed-out)"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_theme_setting_offers_exactly_the_built_in_themes() {
        let s = crate::town::settings::lookup("ui.theme").expect("setting");
        let names: Vec<&str> = THEMES.iter().map(|(n, _)| *n).collect();
        assert!(
            matches!(s.kind, crate::town::settings::Kind::Choice(c) if c == names.as_slice()),
            "{:?}",
            s.kind
        );
    }

    #[test]
    fn every_builtin_theme_loads_cleanly_and_styles_every_slot() {
        for (name, text) in THEMES {
            let doc: toml_edit::DocumentMut = text.parse().expect("embedded file");
            let styles = doc["styles"].as_table_like().expect("[styles]");
            for slot in Slot::ALL {
                assert!(
                    styles.get(slot.name()).is_some(),
                    "{name} lacks {}",
                    slot.name()
                );
            }
            let (theme, warnings) = Theme::parse(text, name);
            assert!(warnings.is_empty(), "{name}: {warnings:#?}");
            assert_eq!(theme.name(), *name);
            assert_eq!(Theme::named(name), Some(theme));
        }
        assert_eq!(Theme::default().name(), "dark");
        assert_eq!(Slot::COUNT, Slot::ALL.len());
        for s in Slot::ALL {
            assert_eq!(Slot::parse(s.name()), Some(*s));
        }
    }

    #[test]
    fn convoy_bars_tell_done_from_in_progress_from_to_do_in_every_theme() {
        for name in THEMES.iter().map(|(n, _)| *n) {
            let t = Theme::named(name).expect("builtin");
            let (done, busy, todo) = (
                t.style(Slot::ProgressDone),
                t.style(Slot::ProgressActive),
                t.style(Slot::ProgressTodo),
            );
            assert!(
                done.fg != busy.fg && busy.fg != todo.fg && done.fg != todo.fg,
                "{name}"
            );
        }
        let t = Theme::no_color();
        assert_ne!(t.style(Slot::ProgressDone), t.style(Slot::ProgressActive));
        assert_ne!(t.style(Slot::ProgressActive), t.style(Slot::ProgressTodo));
    }

    #[test]
    fn themes_differ_and_selection_always_stands_out() {
        let dark = Theme::named("dark").expect("dark");
        let light = Theme::named("light").expect("light");
        assert_ne!(dark, light);
        for t in [
            dark,
            light,
            Theme::named("high-contrast").expect("hc"),
            Theme::no_color(),
        ] {
            let sel = t.style(Slot::Selected);
            assert!(
                sel.bg.is_some() || sel.add_modifier.contains(Modifier::REVERSED),
                "{}",
                t.name()
            );
        }
    }

    #[test]
    fn the_readme_documents_every_slot() {
        let readme = include_str!("../../themes/README.md");
        for s in Slot::ALL {
            assert!(
                readme.contains(&format!("| `{}` |", s.name())),
                "{}",
                s.name()
            );
        }
    }

    #[test]
    fn no_color_has_no_colours_but_keeps_emphasis() {
        let t = Theme::no_color();
        for slot in Slot::ALL {
            let s = t.style(*slot);
            assert_eq!((s.fg, s.bg), (None, None), "{}", slot.name());
        }
        assert!(
            t.style(Slot::Selected)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(t.style(Slot::Marked).add_modifier.contains(Modifier::BOLD));
        assert!(no_color_requested(Some(OsStr::new("1"))));
        assert!(!no_color_requested(Some(OsStr::new(""))));
        assert!(!no_color_requested(None));
    }

    #[test]
    fn colours_and_modifiers_parse() {
        for (text, want) in [
            ("red", Color::Red),
            ("light-blue", Color::LightBlue),
            ("light_blue", Color::LightBlue),
            ("LightBlue", Color::LightBlue),
            ("bright-cyan", Color::LightCyan),
            ("dark-grey", Color::DarkGray),
            ("gray", Color::Gray),
            ("reset", Color::Reset),
            ("#1a2B3c", Color::Rgb(0x1a, 0x2b, 0x3c)),
            ("color0", Color::Indexed(0)),
            ("color255", Color::Indexed(255)),
            ("colour7", Color::Indexed(7)),
            ("default", Color::Reset),
            // ratatui's names: light-black is dark grey, light-gray is white.
            ("light-black", Color::DarkGray),
        ] {
            assert_eq!(parse_color(text), Ok(want), "{text}");
        }
        for bad in [
            "", "purplish", "#12345", "#12345g", "color256", "color", "colour-1",
        ] {
            assert!(parse_color(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(parse_modifier("crossed_out"), Ok(Modifier::CROSSED_OUT));
        assert!(parse_modifier("sparkly").is_err());
    }

    fn load_user(name: &str, text: &str) -> (Theme, Vec<String>, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(USER_FILE);
        std::fs::write(&path, text).expect("write");
        let (t, w) = Theme::load(name, Some(dir.path()));
        (t, w, display_path(&path))
    }

    #[test]
    fn user_slots_override_the_chosen_base() {
        let (t, w, _) = load_user(
            "dark",
            "[styles]\nselected = { fg = \"black\", bg = \"#ffcc00\", modifiers = [\"bold\"] }\nunread = \"light-magenta\"\n",
        );
        assert!(w.is_empty(), "{w:?}");
        let dark = Theme::named("dark").expect("dark");
        assert_eq!(
            t.style(Slot::Selected),
            Style::new()
                .fg(Color::Black)
                .bg(Color::Rgb(0xff, 0xcc, 0))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(t.style(Slot::Unread), Style::new().fg(Color::LightMagenta));
        assert_eq!(t.style(Slot::Border), dark.style(Slot::Border));

        let (t, w, _) = load_user(
            "dark",
            "base = \"light\"\n[styles]\nborder = { fg = \"red\" }\n",
        );
        assert!(w.is_empty(), "{w:?}");
        let light = Theme::named("light").expect("light");
        assert_eq!(t.name(), "light");
        assert_eq!(t.style(Slot::Selected), light.style(Slot::Selected));
        assert_eq!(t.style(Slot::Border), Style::new().fg(Color::Red));

        assert_eq!(
            Theme::load("high-contrast", None),
            (Theme::named("high-contrast").expect("hc"), vec![])
        );
        let empty = tempfile::tempdir().expect("tempdir");
        assert_eq!(Theme::load("light", Some(empty.path())), (light, vec![]));
    }

    #[test]
    fn a_bad_user_theme_warns_by_file_slot_and_keeps_the_base() {
        let cases: &[(&str, &str)] = &[
            (
                "[styles]\nselected = { bg = \"purplish\" }\n",
                "[styles] \"selected\": bg: unknown colour \"purplish\"",
            ),
            (
                "[styles]\nselectd = { bg = \"red\" }\n",
                "[styles] \"selectd\": unknown slot",
            ),
            (
                "[styles]\nselected = { bgg = \"red\" }\n",
                "[styles] \"selected\": unknown field \"bgg\"",
            ),
            (
                "[styles]\nselected = { modifiers = [\"sparkly\"] }\n",
                "[styles] \"selected\": unknown modifier \"sparkly\"",
            ),
            ("[styles]\nselected = 3\n", "[styles] \"selected\": must be"),
            (
                "[styles]\nselected = { fg = 3 }\n",
                "[styles] \"selected\": fg must be a colour",
            ),
            (
                "base = \"solarized\"\n",
                "base: unknown theme \"solarized\"",
            ),
            ("colours = 1\n", "\"colours\": unknown key"),
            ("[styles\n", "not valid TOML (line 1"),
        ];
        let dark = Theme::named("dark").expect("dark");
        for (text, want) in cases {
            let (t, w, file) = load_user("dark", text);
            assert_eq!(w.len(), 1, "{text}: {w:#?}");
            assert!(w[0].starts_with(&file), "{}", w[0]);
            assert!(w[0].contains(want), "{} lacks {want}", w[0]);
            assert_eq!(t, dark, "{text}");
        }
        let (t, w) = Theme::load("solarized", None);
        assert_eq!((t, w.len()), (dark, 1));
        assert!(w[0].contains("unknown theme \"solarized\""), "{w:?}");
    }
}
