//! `gt install`.

use super::output::Out;
use crate::Result;
use crate::work::town::install;
use std::path::Path;

pub fn run(out: &mut Out, path: &Path, force: bool) -> Result<()> {
    let r = install::install(path, force)?;
    if out.json {
        return out.json_ser(&super::json::One::new("town", &r));
    }
    if r.repaired {
        if r.created.is_empty() {
            out.line(format!(
                "Town {} at {} is complete; nothing to repair.",
                r.name,
                r.root.display()
            ))?;
        } else {
            out.line(format!(
                "Repaired town {} at {}: added {}",
                r.name,
                r.root.display(),
                r.created.join(", ")
            ))?;
        }
        return Ok(());
    }
    out.line(format!("Created town {} at {}", r.name, r.root.display()))?;
    if !out.batch {
        out.line("")?;
        out.line("Next steps:")?;
        out.line(format!("  cd {}", r.root.display()))?;
        out.line("  gt rig add <name> <git-url-or-path>   # add a project")?;
        out.line("  gt bead create \"<title>\" --rig <name>  # file work")?;
        out.line("  gt ready                               # see what can start")?;
    }
    Ok(())
}
