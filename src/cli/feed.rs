//! `gt feed`: the event stream.

use super::output::Out;
use crate::work::mail::escalation;
use crate::work::{Ctx, views::feed};
use crate::{Error, Result};
use std::time::Duration;

pub fn feed_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    since: Option<String>,
    follow: bool,
    lines: usize,
) -> Result<()> {
    let since_ts = since
        .as_deref()
        .map(|s| -> Result<String> {
            let d = escalation::parse_duration(s)?;
            let t = chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| chrono::Utc::now().checked_sub_signed(d))
                .ok_or_else(|| Error::invalid(format!("--since {s} reaches before any date")))?;
            Ok(crate::time::format(t))
        })
        .transpose()?;
    let shown = feed::latest(ctx, since_ts.as_deref(), lines)?;
    let mut last = shown.last().map(|l| l.id).unwrap_or(0);
    for l in &shown {
        print_line(out, l)?;
    }
    out.flush()?;
    if !follow {
        return Ok(());
    }
    if last == 0 {
        last = feed::last_event_id(ctx)?;
    }
    loop {
        std::thread::sleep(Duration::from_millis(300));
        for l in feed::lines(ctx, None, last, 1000)? {
            last = l.id;
            print_line(out, &l)?;
        }
        out.flush()?;
    }
}

fn print_line(out: &mut Out, l: &feed::FeedLine) -> Result<()> {
    if out.json {
        return out.json_ser(&super::json::One::new("event", &l));
    }
    let time = l.at.get(11..19).unwrap_or(&l.at);
    out.line(format!("{time}  {:<24}  {}", l.actor, l.text))
}
