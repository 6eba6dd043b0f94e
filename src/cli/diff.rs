//! `gt diff <agent|bead|mr> [--stat]`: what a piece of work changes.

use super::output::{Out, Tone};
use crate::Result;
use crate::work::Ctx;
use crate::work::refinery::diff;

pub fn diff_cmd(out: &mut Out, ctx: &mut Ctx, target: String, stat: bool) -> Result<()> {
    let d = diff::diff(ctx, &target, !stat)?;
    if out.json {
        return out.json_ser(&super::json::One::new("diff", &d));
    }
    out.line(out.paint(Tone::Bold, &d.what))?;
    let review = match d.review.as_deref() {
        Some(crate::work::refinery::review::WAITING) => " · waiting for your review",
        Some(crate::work::refinery::review::APPROVED) => " · approved",
        _ => "",
    };
    out.line(format!(
        "{} file(s), +{} −{} against {}{review}",
        d.change.files.len(),
        d.change.insertions,
        d.change.deletions,
        d.base
    ))?;
    if let Some(n) = d.uncommitted.filter(|n| *n > 0) {
        out.line(out.paint(
            Tone::Warn,
            &format!("{n} file(s) in the worktree are not committed (not shown)"),
        ))?;
    }
    for f in &d.change.files {
        out.line(format!(
            "  {}  {}{}",
            f.path,
            out.paint(Tone::Good, &format!("+{}", f.insertions)),
            out.paint(Tone::Bad, &format!(" −{}", f.deletions))
        ))?;
    }
    if stat {
        return Ok(());
    }
    out.line("")?;
    for l in d.change.patch.lines() {
        let tone = match l.as_bytes().first() {
            Some(b'+') if !l.starts_with("+++") => Some(Tone::Good),
            Some(b'-') if !l.starts_with("---") => Some(Tone::Bad),
            Some(b'@') => Some(Tone::Dim),
            Some(b'd') if l.starts_with("diff ") => Some(Tone::Bold),
            _ => None,
        };
        match tone {
            Some(t) => out.line(out.paint(t, l))?,
            None => out.line(l)?,
        }
    }
    if let (Some(mr), Some(crate::work::refinery::review::WAITING)) =
        (&d.merge_request, d.review.as_deref())
    {
        out.line(format!(
            "\n`gt mq approve {mr}` lands it; `gt mq send-back {mr} -m \"…\"` returns it with your comment"
        ))?;
    }
    Ok(())
}
