//! `gt demo`: a small, realistic town to look at — two projects, a spread of work with
//! dependencies, a convoy — built with the same services every command uses.

use crate::work::Ctx;
use crate::work::beads::{self, NewBead};
use crate::work::town::rig::{self, AddRig};
use crate::{Error, Result, git};
use std::path::{Path, PathBuf};

/// The demo's simulated runtimes and how long each works on a bead (seconds).
const DEMO_RUNTIMES: [(&str, u32); 3] = [("demo-quick", 8), ("demo-steady", 20), ("demo-slow", 45)];

#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoTown {
    pub root: PathBuf,
    pub created: bool,
    pub beads: usize,
    pub convoys: Vec<String>,
}

/// Simulated agents that take a while, so there is work to watch, and mail their report
/// when they finish; defined when missing, and then made the town's default agent (so
/// `gt sling` works here without any AI installed).
fn define_runtimes(ctx: &mut Ctx) -> Result<()> {
    let missing: Vec<(&str, u32)> = DEMO_RUNTIMES
        .into_iter()
        .filter(|(name, _)| crate::agent::runtime_named(&ctx.town, name).is_err())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for (name, busy) in missing {
        crate::work::agents::runtimes::set(
            ctx,
            &crate::work::agents::runtimes::AgentSpec {
                name: name.to_string(),
                command_line: Some(format!(
                    "{{gt}} agent sim --busy {busy} --step-secs {} --report-to overseer",
                    busy / 4
                )),
                ready_marker: Some(crate::agent::sim::PROMPT.trim().to_string()),
                busy_marker: Some(crate::agent::sim::BUSY_MARKER.to_string()),
                instruction_file: Some("AGENTS.md".into()),
                ..Default::default()
            },
        )?;
    }
    crate::work::town::config::set(
        ctx,
        crate::town::settings::Scope::Town,
        None,
        "default_agent",
        DEMO_RUNTIMES[1].0,
    )?;
    Ok(())
}

/// The demo town at `path` (default: `<tmp>/gt-demo`), created on first use.
pub fn ensure(path: Option<&Path>) -> Result<DemoTown> {
    let root = path
        .map(Path::to_path_buf)
        .unwrap_or_else(|| std::env::temp_dir().join("gt-demo"));
    if root.join("town.toml").is_file() {
        return reopen(root);
    }
    if root.exists()
        && std::fs::read_dir(&root)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::invalid(format!(
            "{} exists and is not a town; give another path: gt demo <path>",
            root.display()
        )));
    }
    let report = crate::work::town::install::install(&root, false)?;
    let root = report.root;
    let mut ctx = Ctx::open(&root)?;
    ctx.actor = "mayor".into();
    define_runtimes(&mut ctx)?;
    add_rigs(&mut ctx, &root.join(".gt").join("demo-sources"))?;
    let convoys = file_work(&mut ctx)?;
    Ok(DemoTown {
        root,
        created: true,
        beads: ctx.reader().counts()?.beads as usize,
        convoys,
    })
}

/// A demo town made earlier. Never someone's real town: the demo starts simulated agents on
/// ready work.
fn reopen(root: std::path::PathBuf) -> Result<DemoTown> {
    if !root.join(".gt").join("demo-sources").is_dir() {
        return Err(Error::invalid(format!(
            "{} is a town but not a demo town; open it with `gt` there, or give `gt demo` another path",
            root.display()
        )));
    }
    let mut ctx = Ctx::open(&root)?;
    // A demo town made by an older gt may lack the simulated runtimes the demo slings to.
    define_runtimes(&mut ctx)?;
    let count = ctx.reader().counts()?.beads as usize;
    let convoys = crate::work::convoy::list(&ctx, true, None)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    Ok(DemoTown {
        root,
        created: false,
        beads: count,
        convoys,
    })
}

/// The demo's two projects: a tiny web shop and its docs, each a git repository made here.
const PROJECTS: &[(&str, &[(&str, &str)])] = &[
    (
        "webapp",
        &[
            (
                "README.md",
                "# webapp\nA tiny web shop used by the gt demo.\n",
            ),
            (
                "app.py",
                "def main():\n    print('hello from the demo shop')\n",
            ),
        ],
    ),
    (
        "docs_site",
        &[
            (
                "README.md",
                "# docs_site\nDocumentation for the demo shop.\n",
            ),
            ("index.md", "# Welcome\n"),
        ],
    ),
];

fn add_rigs(ctx: &mut Ctx, sources: &Path) -> Result<()> {
    for (name, files) in PROJECTS {
        let src = sources.join(name);
        make_repo(&src, files)?;
        rig::add(
            ctx,
            AddRig {
                name: (*name).into(),
                source: src.display().to_string(),
                prefix: None,
                branch: None,
            },
        )?;
    }
    // The docs rig works through a formula, so the workspace shows steps advancing.
    crate::work::town::config::set(
        ctx,
        crate::town::settings::Scope::Rig,
        Some("docs_site"),
        "sling.formula",
        "polecat-work",
    )?;
    Ok(())
}

/// One bead of the demo: title, rig, type, priority, labels, and whether it sits under the
/// epic.
type DemoBead = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static [&'static str],
    bool,
);

/// The demo's work, in the order it is filed (the epic first: the others may sit under it).
const WORK: &[DemoBead] = &[
    ("Checkout flow", "webapp", "epic", 1, &["checkout"], false),
    (
        "Cart page lists items with prices",
        "webapp",
        "feature",
        1,
        &["checkout", "ui"],
        true,
    ),
    (
        "Payment form validates card numbers",
        "webapp",
        "feature",
        1,
        &["checkout"],
        true,
    ),
    (
        "Email a receipt after payment",
        "webapp",
        "task",
        2,
        &["checkout", "email"],
        true,
    ),
    (
        "Crash when the cart is empty",
        "webapp",
        "bug",
        0,
        &["ui"],
        false,
    ),
    (
        "Product search takes 3 s",
        "webapp",
        "bug",
        2,
        &["perf"],
        false,
    ),
    (
        "Write the checkout guide",
        "docs_site",
        "task",
        2,
        &["checkout"],
        false,
    ),
    ("FAQ: payment methods", "docs_site", "task", 3, &[], false),
    (
        "Dark mode toggle in the header",
        "webapp",
        "feature",
        2,
        &["ui"],
        false,
    ),
    (
        "Document the orders API",
        "docs_site",
        "task",
        2,
        &["api"],
        false,
    ),
    (
        "Flaky test: cart total rounding",
        "webapp",
        "bug",
        1,
        &["tests"],
        false,
    ),
    (
        "Set up the docs skeleton",
        "docs_site",
        "chore",
        3,
        &[],
        false,
    ),
];

/// Files the demo's beads with their dependencies, a comment and a closed one, and two
/// convoys; returns the convoys.
fn file_work(ctx: &mut Ctx) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for &(title, rig, kind, priority, labels, in_epic) in WORK {
        let created = beads::create(
            ctx,
            NewBead {
                title: title.into(),
                description: Some(format!("Demo work: {title}.")),
                issue_type: Some(kind.into()),
                priority: Some(priority),
                labels: labels.iter().map(|l| l.to_string()).collect(),
                parent: in_epic.then(|| ids[0].clone()),
                rig: Some(rig.into()),
                assignee: None,
            },
        )?;
        ids.push(created.id);
    }
    let id = |title: &str| -> String {
        WORK.iter()
            .position(|b| b.0 == title)
            .map(|i| ids[i].clone())
            .unwrap_or_default()
    };
    let (cart, pay, receipt) = (
        id("Cart page lists items with prices"),
        id("Payment form validates card numbers"),
        id("Email a receipt after payment"),
    );
    let (crash, slow, guide) = (
        id("Crash when the cart is empty"),
        id("Product search takes 3 s"),
        id("Write the checkout guide"),
    );
    beads::dep_add(ctx, &pay, &cart, "blocks", false)?;
    beads::dep_add(ctx, &receipt, &pay, "blocks", false)?;
    beads::dep_add(ctx, &guide, &receipt, "blocks", false)?;
    beads::comment(ctx, &crash, "Reproduced: open /cart with nothing in it.")?;
    crate::work::sling::close::close(
        ctx,
        &[id("Set up the docs skeleton")],
        Some("skeleton is in place"),
        false,
    )?;
    let launch = crate::work::convoy::create(ctx, "Launch checkout", &[cart, pay, receipt, guide])?;
    let fixes = crate::work::convoy::create(ctx, "Bug bash", &[crash, slow])?;
    Ok(vec![launch.id, fixes.id])
}

fn make_repo(dir: &Path, files: &[(&str, &str)]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
    git::init_repo(dir)?;
    let mut names = Vec::new();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).map_err(|e| Error::io(format!("write {name}"), e))?;
        names.push(*name);
    }
    git::commit_paths(dir, &names, "Initial commit (gt demo)")?;
    Ok(())
}

/// What `liven` started.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Lively {
    pub mayor: bool,
    pub slung: Vec<String>,
}

/// Brings the demo town to life for the workspace: the mayor (started again if its session
/// is gone), a few simulated polecats on ready beads when nothing is being worked, and a
/// welcome message the first time.
pub fn liven(ctx: &mut Ctx) -> Result<Lively> {
    let mut out = Lively::default();
    let agents = crate::work::agents::list(&ctx.reader(), None)?;
    let first = agents.is_empty();
    // Only when its session is gone: starting a running mayor would reset its record.
    let mayor_live = ctx
        .tmux()
        .panes()?
        .iter()
        .any(|p| p.agent.as_deref() == Some("mayor") && !p.dead);
    if !mayor_live {
        out.mayor = !crate::work::agents::mayor::start(ctx, None)?.already;
    }
    if agents.iter().any(|a| a.hook.is_some()) {
        return Ok(out);
    }
    // Epics are containers, not work an agent takes. Every rig gets work first (the docs
    // rig's follows a formula, so its steps can be watched), then the rest by priority.
    let all: Vec<_> = crate::work::beads::ready(ctx, None, None)?
        .into_iter()
        .filter(|b| b.issue_type != "epic")
        .collect();
    let mut ready = Vec::new();
    let mut prefixes = std::collections::HashSet::new();
    for b in &all {
        if prefixes.insert(crate::ledger::prefix_of(&b.id).to_string()) {
            ready.push(b.clone());
        }
    }
    for b in &all {
        if ready.len() >= 4 {
            break;
        }
        if !ready.iter().any(|r| r.id == b.id) {
            ready.push(b.clone());
        }
    }
    ready.truncate(4);
    for (i, b) in ready.iter().enumerate() {
        let rig = ctx
            .rig_for_prefix(b.id.split('-').next().unwrap_or(""))?
            .map(|r| r.name)
            .ok_or_else(|| Error::failed(format!("no rig for {}", b.id)))?;
        let opts = crate::work::sling::SlingOptions {
            agent: Some(DEMO_RUNTIMES[i % DEMO_RUNTIMES.len()].0.to_string()),
            ..Default::default()
        };
        let s = crate::work::formulas::sling::sling_item(ctx, &b.id, &rig, &opts)?;
        out.slung.push(format!("{} → {}", s.bead, s.agent));
    }
    if !first {
        return Ok(out);
    }
    let from = "mayor".to_string();
    crate::work::mail::send(
        ctx,
        &from,
        &crate::work::mail::SendRequest {
            to: vec!["overseer".into()],
            cc: Vec::new(),
            subject: "Welcome to the demo town".into(),
            body: "Everything here is simulated: the agents are gt's simulator, not an AI.\n\
                   Press ? for the keys. s slings a ready bead, m writes mail, a attaches to the\n\
                   selected agent's window (ctrl-] then d comes back), q quits."
                .into(),
            priority: Some("high".into()),
            reply_to: None,
        },
    )?;
    Ok(out)
}

/// New work that keeps arriving while the demo is open, filed in turn.
const MORE_WORK: &[(&str, &str, &str)] = &[
    ("Add a loading spinner to search", "webapp", "feature"),
    ("Explain refunds in the FAQ", "docs_site", "task"),
    ("Cart badge shows a stale count", "webapp", "bug"),
    ("Link the API docs from the header", "docs_site", "chore"),
    ("Remember the last shipping address", "webapp", "feature"),
    (
        "Typo sweep in the getting-started page",
        "docs_site",
        "chore",
    ),
    ("Retry a failed payment once", "webapp", "task"),
    ("Screenshots for the checkout guide", "docs_site", "task"),
];

/// How often the open demo looks whether it needs more work.
pub const KEEP_BUSY_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// How many agents the demo keeps at work while it is open.
const KEEP_WORKING: usize = 3;

/// One turn of keeping the demo alive: when fewer than a few agents have work, a ready bead
/// is slung (or a new one filed, then slung). What it did, if anything.
pub fn keep_busy(ctx: &mut Ctx, turn: usize) -> Result<Option<String>> {
    let agents = crate::work::agents::list(&ctx.reader(), None)?;
    if agents.iter().filter(|a| a.hook.is_some()).count() >= KEEP_WORKING {
        return Ok(None);
    }
    let ready = crate::work::beads::ready(ctx, None, None)?
        .into_iter()
        .find(|b| b.issue_type != "epic");
    let id = match ready {
        Some(b) => b.id,
        None => {
            // Titles come round again; the turn number keeps each one apart.
            let (title, rig, kind) = MORE_WORK[turn % MORE_WORK.len()];
            let round = turn / MORE_WORK.len();
            let title = if round == 0 {
                title.to_string()
            } else {
                format!("{title} (again, #{})", round + 1)
            };
            beads::create(
                ctx,
                NewBead {
                    description: Some(format!("Demo work: {title}.")),
                    title,
                    issue_type: Some(kind.into()),
                    priority: Some(2),
                    labels: Vec::new(),
                    parent: None,
                    rig: Some(rig.into()),
                    assignee: None,
                },
            )?
            .id
        }
    };
    let rig = ctx
        .rig_for_prefix(crate::ledger::prefix_of(&id))?
        .map(|r| r.name)
        .ok_or_else(|| Error::failed(format!("no rig for {id}")))?;
    let opts = crate::work::sling::SlingOptions {
        agent: Some(DEMO_RUNTIMES[turn % DEMO_RUNTIMES.len()].0.to_string()),
        ..Default::default()
    };
    let s = crate::work::formulas::sling::sling_item(ctx, &id, &rig, &opts)?;
    Ok(Some(format!("{} → {}", s.bead, s.agent)))
}

/// Keeps the demo town busy in the background while it is open; stops when dropped.
pub struct Keeper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Keeper {
    /// Every `every`, one `keep_busy` turn on the town at `root` (failures are logged).
    pub fn start(root: &Path, every: std::time::Duration) -> Keeper {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            let mut last = std::time::Instant::now();
            let mut turn = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(250));
                if last.elapsed() < every {
                    continue;
                }
                last = std::time::Instant::now();
                turn += 1;
                let done =
                    crate::work::Ctx::open(&root).and_then(|mut ctx| keep_busy(&mut ctx, turn));
                match done {
                    Ok(Some(what)) => tracing::info!(%what, "demo: more work slung"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "demo: keeping busy"),
                }
            }
        });
        Keeper { stop }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
