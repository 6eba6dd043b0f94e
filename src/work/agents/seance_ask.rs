//! `gt seance --ask`: one question to a past session. A copy of the session (the runtime's
//! own fork, under a new id, so the original conversation is left as it was) is resumed in a
//! scratch window in the directory it ran in, answers, and exits; the answer is read from
//! the copy's transcript and the window is closed.

use super::seance::Seance;
use crate::agent::{self, Address, transcript};
use crate::tmux::WindowSpec;
use crate::work::Ctx;
use crate::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The tmux session scratch windows go in (apart from the agents').
const SCRATCH_SESSION: &str = "gt-seance";

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub session: String,
    /// The copy that answered.
    pub fork: String,
    pub question: String,
    pub answer: String,
}

/// Asks `question` of the session `s`, waiting at most `wait` for the answer.
pub fn ask(ctx: &Ctx, s: &Seance, question: &str, wait: Duration) -> Result<Answer> {
    let row = &s.session;
    let runtime = row.runtime.as_deref().unwrap_or("claude");
    let rt = agent::runtime_named(&ctx.town, runtime)?;
    if rt.seance_args.is_empty() {
        return Err(Error::invalid(format!(
            "the {runtime} runtime has no way to resume a copy of a session (seance_args); \
             `gt seance` without --ask shows what the session did"
        )));
    }
    let question = crate::inert::for_agent(&rt, question)
        .map_err(|e| Error::invalid(format!("--ask: {e}")))?;
    let (Some(transcript), Some(cwd)) = (
        row.transcript.as_deref(),
        s.summary.as_ref().and_then(|x| x.cwd.clone()),
    ) else {
        return Err(Error::failed(format!(
            "session {} cannot be resumed: {}",
            row.id,
            s.unreadable
                .as_deref()
                .unwrap_or("its transcript does not say where it ran")
        )));
    };
    let fork = uuid::Uuid::new_v4().to_string();
    let mut argv = vec![rt.command.clone()];
    argv.extend(rt.args.iter().cloned());
    argv.extend(
        rt.seance_args
            .iter()
            .map(|a| a.replace("{session}", &row.id).replace("{fork}", &fork)),
    );
    // A question is never read as one of the runtime's options.
    argv.push(if question.starts_with('-') {
        format!(" {question}")
    } else {
        question.clone()
    });
    let made = ScratchDir::at(Path::new(&cwd))?;
    let address = Address::parse(&row.agent).map_err(Error::Invalid)?;
    let mut env = super::session::session_env(ctx, &address, "seance", &rt)?;
    // Not the agent: its hooks must not report this copy as the agent's own session.
    env.retain(|(k, _)| k != "GT_AGENT" && k != "BD_ACTOR");
    env.push(("GT_SEANCE".into(), row.id.clone()));
    let tag = format!("seance/{}", &fork[..8]);
    let spec = WindowSpec {
        session: SCRATCH_SESSION.into(),
        name: tag.clone(),
        cwd: cwd.clone(),
        env,
        unset: rt.env_removed(),
        argv,
        agent: tag,
        bead: None,
        daemon: false,
    };
    let server = ctx.tmux();
    let created = server.create_window(&spec)?;
    let ended = wait_for_exit(ctx, &created.pane_id, wait);
    let screen = server.capture(&created.pane_id, 40).unwrap_or_default();
    let _ = server.kill_agent_window(&created.window_id);
    drop(made);
    let copy = Path::new(transcript)
        .parent()
        .map(|d| d.join(format!("{fork}.jsonl")))
        .unwrap_or_default();
    let said = std::fs::read_to_string(&copy)
        .ok()
        .map(|t| transcript::summarize(&t))
        .and_then(|x| x.last_words);
    match said {
        Some(answer) if ended => Ok(Answer {
            session: row.id.clone(),
            fork,
            question,
            answer,
        }),
        _ => Err(Error::failed(format!(
            "session {} gave no answer{}; its window showed:\n{}",
            row.id,
            if ended {
                String::new()
            } else {
                format!(" within {}s", wait.as_secs())
            },
            screen.trim_end()
        ))),
    }
}

/// Waits until the pane's program has exited (the window stays: remain-on-exit).
fn wait_for_exit(ctx: &Ctx, pane: &str, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    let server = ctx.tmux();
    while Instant::now() < deadline {
        let gone_or_dead = server
            .panes()
            .map(|ps| ps.iter().find(|p| p.pane_id == pane).is_none_or(|p| p.dead))
            .unwrap_or(false);
        if gone_or_dead {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// The directory a session ran in, made again for the seance when it is gone (a polecat's
/// removed worktree) and removed after it, if still empty.
struct ScratchDir(Option<PathBuf>);

impl ScratchDir {
    fn at(dir: &Path) -> Result<ScratchDir> {
        if dir.is_dir() {
            return Ok(ScratchDir(None));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
        Ok(ScratchDir(Some(dir.to_path_buf())))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            // Only an empty directory goes: anything written there is kept.
            let _ = std::fs::remove_dir(d);
        }
    }
}
