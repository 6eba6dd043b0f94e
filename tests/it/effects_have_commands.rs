//! Every action the workspace can take has its CLI command (DESIGN §10): the match below is
//! exhaustive, so a new `Effect` does not compile until it names its command, and each command
//! named must exist.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use gt::tui::msg::Effect;

/// The command a person (or a script) uses for the same action; None only for what is the
/// workspace's own business (redrawing, quitting).
fn command_for(e: &Effect) -> Option<&'static [&'static str]> {
    match e {
        Effect::Refresh | Effect::Quit | Effect::Notify { .. } => None,
        Effect::Sling { .. } => Some(&["sling"]),
        Effect::SendMail { reply_to: None, .. } => Some(&["mail", "send"]),
        Effect::SendMail {
            reply_to: Some(_), ..
        } => Some(&["mail", "reply"]),
        Effect::ReadMail { .. } => Some(&["mail", "read"]),
        Effect::Archive { .. } => Some(&["mail", "archive"]),
        Effect::MarkUnread { .. } => Some(&["mail", "mark-unread"]),
        Effect::Nudge { .. } => Some(&["nudge"]),
        Effect::MayorSay { .. } => Some(&["mayor", "say"]),
        Effect::NewConvoy { .. } => Some(&["convoy", "create"]),
        Effect::AckEscalation { .. } => Some(&["escalate", "ack"]),
        Effect::Attach { .. } => Some(&["attach"]),
        Effect::Diff { .. } => Some(&["diff"]),
        Effect::LoadTree { .. } => Some(&["bead", "tree"]),
        Effect::SaveBead { fields, .. } if fields.editing.is_none() => Some(&["bead", "create"]),
        Effect::SaveBead { .. } => Some(&["bead", "update"]),
        // The palette runs gt commands themselves.
        Effect::RunCommand { .. } => Some(&[]),
        Effect::Approve { .. } => Some(&["mq", "approve"]),
        Effect::SendBack { .. } => Some(&["mq", "send-back"]),
    }
}

#[test]
fn every_workspace_effect_has_its_cli_command() {
    let s = Sandbox::with_town();
    let t = String::new;
    let all = [
        Effect::Refresh,
        Effect::Quit,
        Effect::Sling {
            id: 1,
            bead: t(),
            target: t(),
        },
        Effect::SendMail {
            id: 1,
            to: vec![],
            subject: t(),
            body: t(),
            reply_to: None,
        },
        Effect::SendMail {
            id: 1,
            to: vec![],
            subject: t(),
            body: t(),
            reply_to: Some(t()),
        },
        Effect::ReadMail {
            id: 1,
            message: t(),
        },
        Effect::Archive {
            id: 1,
            message: t(),
        },
        Effect::MarkUnread {
            id: 1,
            message: t(),
        },
        Effect::Nudge {
            id: 1,
            agent: t(),
            text: t(),
        },
        Effect::MayorSay { id: 1, text: t() },
        Effect::NewConvoy {
            id: 1,
            title: t(),
            beads: vec![],
        },
        Effect::AckEscalation {
            id: 1,
            escalation: t(),
        },
        Effect::Attach { agent: t() },
        Effect::Diff { id: 1, target: t() },
        Effect::RunCommand { id: 1, line: t() },
        Effect::LoadTree {
            id: 1,
            bead: t(),
            edit: false,
        },
        Effect::SaveBead {
            id: 1,
            fields: Default::default(),
        },
        Effect::SaveBead {
            id: 1,
            fields: gt::work::beads::BeadFields {
                editing: Some(t()),
                ..Default::default()
            },
        },
    ];
    for e in &all {
        let Some(cmd) = command_for(e) else { continue };
        let mut args: Vec<&str> = cmd.to_vec();
        args.push("--help");
        let r = s.gt(&args);
        assert_eq!(r.code, 0, "{e:?} → gt {}: {}", cmd.join(" "), r.stderr);
    }
}
