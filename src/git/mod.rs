//! The only module that touches git: libgit2 for local work, the git CLI for the network.

mod cli;
mod diff;
mod error;
mod inspect;
mod merge;
pub mod remote;
mod repo;
pub mod share;
mod watch;
mod worktree;

pub use cli::{clone_bare, fetch_origin};
pub use diff::{Change, FileChange, change};
pub use error::GitError;
pub use inspect::{
    StaleWorktree, WorktreeFacts, inspect_worktree, prune_worktrees, stale_worktrees, version,
};
pub use merge::{
    Prepared, Strategy, advance, checkout_clean, has_remote, is_ancestor, prepare, push_branch,
    resolve_commit,
};
pub use repo::{
    BranchState, WorktreeState, add_worktree, commit_all, commit_all_as, commit_paths,
    commit_paths_as, default_branch, has_branch, init_repo, is_repo, local_branches, loose_work,
    worktree_state,
};
pub use watch::{branch_of_ref_file, refs_dir};
pub use worktree::{
    add_worktree_on_new_branch, ahead_behind, branch_time, branch_tip, check_branch_name,
    commits_ahead, create_branch, delete_branch, exclude, head_commit, is_tracked, remove_worktree,
    switch_worktree, worktree_branches, worktree_names,
};
