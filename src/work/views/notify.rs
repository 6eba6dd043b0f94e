//! Being told: when something enters Attention (or a convoy lands) while nobody is looking,
//! a notice — the open workspace rings the bell and sends a desktop notification, the
//! supervisor runs `notify.command`. What was there before is not news; a mass event is one
//! notice; at most one per `notify.min_gap_secs`, the rest gathered into the next.

use super::attention::Attention;
use super::feed::FeedLine;
use crate::Result;
use crate::work::Ctx;
use std::collections::BTreeSet;

/// What the settings ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// Kinds that give a notice (`notify.on`).
    pub on: BTreeSet<String>,
    pub bell: bool,
    pub desktop: bool,
    /// Run by the supervisor for each notice; empty: none.
    pub command: String,
    pub min_gap_secs: i64,
}

impl NotifyConfig {
    pub fn read(ctx: &Ctx) -> Result<NotifyConfig> {
        let on = ctx.setting("notify.on", None)?.as_str();
        let on = match on.trim() {
            "all" => crate::town::settings::NOTIFY_KINDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            "none" => BTreeSet::new(),
            list => list.split(',').map(|s| s.trim().to_string()).collect(),
        };
        Ok(NotifyConfig {
            on,
            bell: ctx.setting("notify.bell", None)?.as_bool(),
            desktop: ctx.setting("notify.desktop", None)?.as_bool(),
            command: ctx.setting("notify.command", None)?.as_str(),
            min_gap_secs: ctx.setting("notify.min_gap_secs", None)?.as_int(),
        })
    }
}

/// One notice: a title and a body, and the kinds it gathers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    pub title: String,
    pub body: String,
    pub kinds: Vec<String>,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    key: String,
    kind: String,
    text: String,
}

/// Remembers what was already said, across refreshes.
#[derive(Debug, Default)]
pub struct Notifier {
    primed: bool,
    seen: BTreeSet<String>,
    last_event: i64,
    waiting: Vec<Item>,
    last_sent: Option<i64>,
}

/// The kind's name as `notify.on` spells it.
pub fn kind_name(a: &Attention) -> String {
    serde_json::to_value(&a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Notifier {
    /// Looks at what needs attention now (and the feed's newest lines); a notice when there
    /// is news to tell and the last notice is far enough back. The first look only learns
    /// what is already there.
    pub fn observe(
        &mut self,
        cfg: &NotifyConfig,
        now: i64,
        attention: &[Attention],
        feed: &[FeedLine],
    ) -> Option<Notice> {
        let current: Vec<Item> = attention
            .iter()
            .map(|a| Item {
                key: format!("{}:{}", kind_name(a), a.subject),
                kind: kind_name(a),
                text: a.text.clone(),
            })
            .filter(|i| cfg.on.contains(&i.kind))
            .collect();
        let newest = feed.iter().map(|f| f.id).max().unwrap_or(self.last_event);
        if !self.primed {
            self.primed = true;
            self.seen = current.into_iter().map(|i| i.key).collect();
            self.last_event = newest;
            return None;
        }
        if cfg.on.contains("convoy-landed") {
            for f in feed
                .iter()
                .filter(|f| f.id > self.last_event && f.kind == "convoy_landed")
            {
                self.waiting.push(Item {
                    key: format!("convoy-landed:{}", f.id),
                    kind: "convoy-landed".into(),
                    text: f.text.clone(),
                });
            }
        }
        self.last_event = self.last_event.max(newest);
        for i in &current {
            if !self.seen.contains(&i.key) && !self.waiting.iter().any(|w| w.key == i.key) {
                self.waiting.push(i.clone());
            }
        }
        // What is no longer there may be news again when it comes back.
        self.seen = current.into_iter().map(|i| i.key).collect();
        if self.waiting.is_empty() || self.last_sent.is_some_and(|t| now - t < cfg.min_gap_secs) {
            return None;
        }
        self.last_sent = Some(now);
        Some(notice(std::mem::take(&mut self.waiting)))
    }
}

fn notice(items: Vec<Item>) -> Notice {
    let kinds: BTreeSet<String> = items.iter().map(|i| i.kind.clone()).collect();
    let title = match items.len() {
        1 => format!("gt: {}", items[0].kind.replace('-', " ")),
        n => format!("gt: {n} things need you"),
    };
    let mut body: Vec<String> = items.iter().take(5).map(|i| i.text.clone()).collect();
    if items.len() > 5 {
        body.push(format!("… and {} more", items.len() - 5));
    }
    Notice {
        title,
        body: body.join("\n"),
        kinds: kinds.into_iter().collect(),
        count: items.len(),
    }
}

/// Runs `notify.command` for a notice: `sh -c <command>` with the notice in the
/// environment and on stdin — never in the command line, so nothing in it can run.
pub fn run_command(cfg: &NotifyConfig, n: &Notice) -> Result<()> {
    if cfg.command.trim().is_empty() {
        return Ok(());
    }
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&cfg.command)
        .env("GT_NOTIFY_TITLE", crate::inert::visible(&n.title))
        .env("GT_NOTIFY_BODY", crate::inert::visible(&n.body))
        .env("GT_NOTIFY_KINDS", n.kinds.join(","));
    let body = crate::inert::visible(&n.body);
    let out = crate::process::run_within(
        &mut cmd,
        Some(body.as_bytes()),
        std::time::Duration::from_secs(30),
        crate::process::Kill::Group,
        |_| {},
    )
    .map_err(|e| crate::Error::io("run notify.command".to_string(), e))?;
    match out.status {
        Some(s) if s.success() => {}
        Some(s) => {
            return Err(crate::Error::failed(format!(
                "notify.command exited with {s}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        None => {
            return Err(crate::Error::failed(
                "notify.command took more than 30 s and was stopped",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::work::views::attention::Kind;

    fn cfg(on: &[&str], gap: i64) -> NotifyConfig {
        NotifyConfig {
            on: on.iter().map(|s| s.to_string()).collect(),
            bell: true,
            desktop: true,
            command: String::new(),
            min_gap_secs: gap,
        }
    }

    fn att(kind: Kind, subject: &str) -> Attention {
        Attention {
            kind,
            subject: subject.into(),
            text: format!("{subject} needs you"),
        }
    }

    #[test]
    fn old_news_is_not_told_a_mass_event_is_one_notice_and_a_gap_is_kept() {
        let c = cfg(&["stalled", "needs-input", "review-waiting"], 30);
        let mut n = Notifier::default();
        // What was there when the workspace opened is not news.
        assert_eq!(n.observe(&c, 0, &[att(Kind::Stalled, "a")], &[]), None);
        assert_eq!(n.observe(&c, 1, &[att(Kind::Stalled, "a")], &[]), None);
        // Fifty agents stall at once: one notice.
        let many: Vec<Attention> = (0..50)
            .map(|i| att(Kind::Stalled, &format!("p{i}")))
            .collect();
        let got = n.observe(&c, 2, &many, &[]).expect("a notice");
        assert_eq!(got.count, 50);
        assert_eq!(got.title, "gt: 50 things need you");
        assert!(got.body.contains("… and 45 more"), "{}", got.body);
        // Within the gap, news waits and is gathered.
        let more = [many.clone(), vec![att(Kind::NeedsInput, "q")]].concat();
        assert_eq!(n.observe(&c, 10, &more, &[]), None);
        let later = n.observe(&c, 40, &more, &[]).expect("gathered");
        assert_eq!(later.count, 1);
        assert_eq!(later.kinds, ["needs-input"]);
        // A kind not asked for says nothing.
        assert_eq!(
            n.observe(&c, 100, &[att(Kind::Undelivered, "z")], &[]),
            None
        );
        // Gone and back again is news again.
        assert_eq!(n.observe(&c, 200, &[], &[]), None);
        assert!(
            n.observe(&c, 300, &[att(Kind::Stalled, "a")], &[])
                .is_some()
        );
    }

    #[test]
    fn a_landed_convoy_is_news_once() {
        let c = cfg(&["convoy-landed"], 0);
        let mut n = Notifier::default();
        let line = |id: i64, kind: &str| FeedLine {
            id,
            at: String::new(),
            actor: "refinery".into(),
            kind: kind.into(),
            subject: Some("hq-cv1".into()),
            text: "convoy hq-cv1 landed".into(),
        };
        assert_eq!(n.observe(&c, 0, &[], &[line(1, "convoy_landed")]), None);
        let feed = vec![
            line(1, "convoy_landed"),
            line(2, "convoy_landed"),
            line(3, "slung"),
        ];
        let got = n.observe(&c, 1, &[], &feed).expect("landed");
        assert_eq!(
            (got.count, got.kinds.clone()),
            (1, vec!["convoy-landed".to_string()])
        );
        assert_eq!(n.observe(&c, 2, &[], &feed), None, "told once");
    }
}
