//! An agent on a host. Its worktree lives there (the rig's branches pushed to a bare copy
//! on the host, branches fetched back when the work is done); its runtime runs in a tmux
//! server gt owns there, one session per agent, which survives the connection dropping. The
//! town's own tmux server holds a window attached to that session over the host's ssh
//! connection, so the town sees, nudges and attaches to a remote agent as to a local one,
//! with the same batched reads. The agent's `gt` reaches the town through a Unix socket
//! forwarded over the same connection (`proxy`).

use super::{conn, remote_gt};
use crate::ssh::{Conn, quote};
use crate::town::RigConfig;
use crate::town::hosts::HostConfig;
use crate::work::Ctx;
use crate::{Error, Result, git};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// A host with its connection up, and where gt's things are there.
pub struct Place {
    pub host: HostConfig,
    pub conn: Conn,
    /// The remote user's home folder.
    pub home: String,
    /// This town's folder there.
    pub town_dir: String,
}

impl Place {
    pub fn rig_bare(&self, rig: &str) -> String {
        format!("{}/{rig}/.repo.git", self.town_dir)
    }

    pub fn worktree(&self, rig: &str, name: &str) -> String {
        format!("{}/{rig}/polecats/{name}", self.town_dir)
    }

    /// Where the agents' `gt` finds the town there (forwarded to `local_socket`).
    pub fn socket(&self) -> String {
        format!("{}/town.sock", self.town_dir)
    }

    pub fn gt(&self) -> String {
        format!("{}/{}", self.home, remote_gt())
    }

    /// The name of the tmux server gt owns there for this town (the town's own name).
    pub fn tmux_socket(&self, ctx: &Ctx) -> String {
        crate::tmux::socket_name_for(ctx.town.root())
    }
}

/// The config the host's tmux starts with: none of the town's files (they are paths on this
/// machine), only "no config" when the town runs with none (`GT_TMUX_CONFIG=/dev/null`).
fn tmux_config() -> Option<&'static str> {
    (std::env::var("GT_TMUX_CONFIG").as_deref() == Ok("/dev/null")).then_some("/dev/null")
}

/// The local end of host `name`'s forwarded town socket.
pub fn local_socket(ctx: &Ctx, name: &str) -> PathBuf {
    super::control_dir(ctx).join(format!("{name}.town"))
}

fn homes() -> &'static Mutex<HashMap<String, String>> {
    static HOMES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    HOMES.get_or_init(Default::default)
}

/// Host `name`, connected. (The supervisor forwards the town socket over each new
/// connection: it is the one that answers on it.)
pub fn place(ctx: &Ctx, name: &str) -> Result<Place> {
    let host = super::find(ctx, name)?;
    let c = conn(ctx, &host)?;
    c.connect()?;
    let cached = homes().lock().ok().and_then(|h| h.get(name).cloned());
    let home = match cached {
        Some(h) => h,
        None => {
            let h = c.run_line("printf %s \"$HOME\"", None, LIMIT)?;
            if !h.starts_with('/') {
                return Err(Error::failed(format!(
                    "{name} did not say where its home is"
                )));
            }
            if let Ok(mut m) = homes().lock() {
                m.insert(name.to_string(), h.clone());
            }
            h
        }
    };
    let town_dir = format!(
        "{home}/{}/{}",
        super::REMOTE_HOME,
        crate::tmux::socket_name_for(ctx.town.root())
    );
    Ok(Place {
        host,
        conn: c,
        home,
        town_dir,
    })
}

/// The town socket, forwarded over the connection: a stale socket file left by an
/// earlier connection is removed first (servers refuse to bind over one by default).
pub fn forward(ctx: &Ctx, p: &Place) -> Result<()> {
    let sock = p.socket();
    p.conn.run_line(
        &format!(
            "umask 077; mkdir -p {d} && rm -f {s}",
            d = quote(&p.town_dir),
            s = quote(&sock)
        ),
        None,
        LIMIT,
    )?;
    p.conn
        .forward_socket(&sock, &local_socket(ctx, &p.host.name))?;
    Ok(())
}

/// The polecat's worktree on the host, on `branch` (made in the town's bare repository by
/// the caller's usual steps, then pushed with the default branch).
pub fn prepare_worktree(
    ctx: &Ctx,
    p: &Place,
    rig: &RigConfig,
    name: &str,
    branch: &str,
    base: &str,
) -> Result<PathBuf> {
    let bare = p.rig_bare(&rig.name);
    p.conn.run_line(
        &format!("umask 077; {}", git::remote::init_bare_line(&bare)),
        None,
        LIMIT,
    )?;
    let mut branches = vec![branch];
    if base != branch {
        branches.push(base);
    }
    git::remote::push_branches(
        &ctx.town.paths.rig_repo(&rig.name),
        &p.conn.git_url(&bare),
        &p.conn.git_ssh_command(),
        &branches,
    )
    .map_err(|e| Error::failed(format!("could not push {branch} to {}: {e}", p.host.name)))?;
    let wt = p.worktree(&rig.name, name);
    p.conn
        .run_line(&git::remote::worktree_line(&bare, &wt, branch), None, LIMIT)
        .map_err(|e| Error::failed(format!("could not make {wt} on {}: {e}", p.host.name)))?;
    Ok(PathBuf::from(wt))
}

/// Takes back `prepare_worktree` (an undone sling).
pub fn undo_worktree(p: &Place, rig: &str, name: &str, branch: &str) {
    let line = git::remote::remove_worktree_line(&p.rig_bare(rig), &p.worktree(rig, name), branch);
    let _ = p.conn.run_line(&line, None, LIMIT);
}

/// What the agent left uncommitted there is committed (nothing lost) and its branch is
/// fetched into the town's bare repository; whether a commit was made.
pub fn bring_back(
    ctx: &Ctx,
    p: &Place,
    rig: &str,
    worktree: &Path,
    branch: &str,
    message: &str,
    author: (&str, &str),
) -> Result<bool> {
    let wt = worktree.display().to_string();
    let out = p
        .conn
        .run_line(
            &git::remote::commit_all_line(&wt, message, author),
            None,
            LIMIT,
        )
        .map_err(|e| {
            Error::failed(format!(
                "could not commit the work left in {wt} on {}: {e}",
                p.host.name
            ))
        })?;
    git::remote::fetch_branch(
        &ctx.town.paths.rig_repo(rig),
        &p.conn.git_url(&p.rig_bare(rig)),
        &p.conn.git_ssh_command(),
        branch,
    )
    .map_err(|e| {
        Error::failed(format!(
            "could not fetch {branch} from {}: {e}",
            p.host.name
        ))
    })?;
    Ok(out.contains("committed"))
}

/// The name of an agent's session on the host (one per agent).
pub fn session_name(address: &str) -> String {
    address.replace('/', "-")
}

/// What the host's session runs: the environment from a file written there (0600; secrets
/// never go on a command line, where `ps` shows them), then the runtime in the worktree.
pub fn write_env(
    p: &Place,
    address: &str,
    env: &[(String, String)],
    unset: &[String],
) -> Result<String> {
    let file = env_file_path(p, address);
    let mut text = String::new();
    for k in unset {
        if is_name(k) {
            text.push_str(&format!("unset {k}\n"));
        }
    }
    for (k, v) in env {
        if is_name(k) {
            text.push_str(&format!("export {k}={}\n", quote(v)));
        }
    }
    p.conn.run_line(
        &format!(
            "umask 077; mkdir -p {d} && cat > {f}",
            d = quote(&format!("{}/env", p.town_dir)),
            f = quote(&file)
        ),
        Some(text.as_bytes()),
        LIMIT,
    )?;
    Ok(file)
}

fn env_file_path(p: &Place, address: &str) -> String {
    format!("{}/env/{}.sh", p.town_dir, session_name(address))
}

fn is_name(k: &str) -> bool {
    !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The argv of the town's window for a remote agent: `ssh -t` into the host's tmux, making
/// the agent's session there unless it exists (then it attaches: the agent kept working
/// while the town could not see it). The runtime starts in its worktree (never elsewhere:
/// a worktree that is gone fails the start) from a shell that reads the environment file.
pub fn window_argv(
    ctx: &Ctx,
    p: &Place,
    address: &str,
    cwd: &str,
    env_file: &str,
    argv: &[String],
) -> Vec<String> {
    let mut program = vec![
        "sh".to_string(),
        "-c".to_string(),
        "cd -- \"$1\" || exit 97; set -a; . \"$0\"; set +a; shift; exec \"$@\"".to_string(),
        env_file.to_string(),
        cwd.to_string(),
    ];
    program.extend(argv.iter().cloned());
    let words = crate::tmux::remote::attach_or_create(
        &p.tmux_socket(ctx),
        tmux_config(),
        &session_name(address),
        cwd,
        &program,
    );
    p.conn.tty_argv(&words)
}

/// The environment of a remote session: the agent's identity and git author as locally,
/// this town's folder there as `GT_TOWN`, the forwarded socket as `GT_TOWN_SOCKET` (its
/// `gt` then asks the town), and the installed gt first on PATH.
pub fn session_env(p: &Place, local: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = local
        .iter()
        .filter(|(k, _)| k != "GT_TOWN" && k != "PATH" && k != "GT_TMUX_CONFIG")
        .cloned()
        .collect();
    env.push(("GT_TOWN".into(), p.town_dir.clone()));
    env.push(("GT_TOWN_SOCKET".into(), p.socket()));
    env.push(("GT_HOST".into(), p.host.name.clone()));
    env.push((
        "PATH".into(),
        format!(
            "{}/{}/bin:/usr/local/bin:/usr/bin:/bin",
            p.home,
            super::REMOTE_HOME
        ),
    ));
    env
}

/// Whether the agent's session still exists on the host, for each of `addresses`, in one
/// round trip. Err: the host did not answer.
pub fn sessions_alive(ctx: &Ctx, p: &Place) -> Result<Vec<String>> {
    let words = crate::tmux::remote::list_sessions(&p.tmux_socket(ctx), tmux_config());
    let line = format!("{} 2>/dev/null || true", crate::ssh::command_line(&words));
    let out = p.conn.run_line(&line, None, Duration::from_secs(10))?;
    Ok(out.lines().map(str::to_string).collect())
}

/// Ends an agent's session on the host (its runtime with it). A host that does not answer
/// is an error: the runtime may still run there.
pub fn kill_session(ctx: &Ctx, host: &str, address: &str) -> Result<()> {
    let p = place(ctx, host)?;
    let words = crate::tmux::remote::kill_session(
        &p.tmux_socket(ctx),
        tmux_config(),
        &session_name(address),
    );
    // Its environment file (it may hold keys) goes with it.
    let line = format!(
        "{} 2>/dev/null; rm -f {}; true",
        crate::ssh::command_line(&words),
        quote(&env_file_path(&p, address))
    );
    p.conn.run_line(&line, None, LIMIT)?;
    Ok(())
}

/// The role text in the worktree there, kept out of git (the rig's exclude file there).
pub fn write_instructions(
    p: &Place,
    rig: Option<&str>,
    worktree: &Path,
    file: &str,
    text: &str,
) -> Result<()> {
    let path = format!("{}/{file}", worktree.display());
    let exclude = rig
        .map(|r| {
            let ex = format!("{}/info/exclude", p.rig_bare(r));
            let pat = format!("/{file}");
            format!(
                "mkdir -p \"$(dirname {e})\" && (grep -qxF {q} {e} 2>/dev/null || echo {q} >> {e}); ",
                e = quote(&ex),
                q = quote(&pat)
            )
        })
        .unwrap_or_default();
    // The project's own file of that name wins (tracked: left as it is).
    p.conn.run_line(
        &format!(
            "if git -C {w} ls-files --error-unmatch {n} >/dev/null 2>&1; then cat >/dev/null; \
             else {exclude}cat > {f}; fi",
            w = quote(&worktree.display().to_string()),
            n = quote(file),
            f = quote(&path)
        ),
        Some(text.as_bytes()),
        LIMIT,
    )?;
    Ok(())
}

/// How many files are changed or new in a worktree there (unknown: an error).
pub fn dirty_files(ctx: &Ctx, host: &str, worktree: &Path) -> Result<usize> {
    Ok(worktree_state(ctx, host, worktree)?.map_or(0, |s| s.dirty_files))
}

/// A worktree there as `git::worktree_state` reads one here, in one round trip; None when
/// the folder is not there.
pub fn worktree_state(
    ctx: &Ctx,
    host: &str,
    worktree: &Path,
) -> Result<Option<git::WorktreeState>> {
    let p = place(ctx, host)?;
    let w = quote(&worktree.display().to_string());
    let out = p.conn.run_line(
        &format!(
            "test -d {w} || {{ echo gt-missing; exit 0; }}; \
             echo \"head $(git -C {w} rev-parse --verify --quiet HEAD)\"; \
             echo \"branch $(git -C {w} branch --show-current)\"; \
             git -C {w} status --porcelain || echo gt-unreadable"
        ),
        None,
        LIMIT,
    )?;
    if out.lines().next() == Some("gt-missing") {
        return Ok(None);
    }
    if out.lines().any(|l| l == "gt-unreadable") {
        return Err(Error::failed(format!(
            "cannot read {} on {host}",
            worktree.display()
        )));
    }
    let field = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    Ok(Some(git::WorktreeState {
        head: field("head "),
        branch: field("branch "),
        dirty_files: out
            .lines()
            .filter(|l| {
                !l.starts_with("head ") && !l.starts_with("branch ") && !l.trim().is_empty()
            })
            .count(),
    }))
}

/// A landed polecat's worktree there removed (its branch there too).
pub fn remove_worktree(ctx: &Ctx, host: &str, rig: &str, name: &str, branch: &str) -> Result<()> {
    let p = place(ctx, host)?;
    let line = git::remote::remove_worktree_line(&p.rig_bare(rig), &p.worktree(rig, name), branch);
    p.conn.run_line(&line, None, LIMIT)?;
    Ok(())
}

/// Whether the agent's session is there on its host (one round trip).
pub fn session_alive(ctx: &Ctx, host: &str, address: &str) -> Result<bool> {
    let p = place(ctx, host)?;
    Ok(sessions_alive(ctx, &p)?.contains(&session_name(address)))
}
