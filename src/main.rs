fn main() {
    // On a host, an agent's `gt` is the town's: it sends the command there (see
    // `work::hosts::proxy`), except what runs where it is typed (the simulator).
    if let Some(sock) = std::env::var_os(gt::work::hosts::proxy::SOCKET_ENV) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if !gt::work::hosts::proxy::runs_here(&args) {
            std::process::exit(remote(std::path::Path::new(&sock), args));
        }
    }
    gt::work::town::jsonl_follow::follow_in_background();
    std::process::exit(gt::cli::main());
}

fn remote(sock: &std::path::Path, args: Vec<String>) -> i32 {
    use std::io::Write;
    let wait = std::env::var("GT_TOWN_WAIT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let r = gt::work::hosts::proxy::call(sock, args, std::time::Duration::from_secs(wait));
    let _ = std::io::stdout().write_all(r.stdout.as_bytes());
    let _ = std::io::stderr().write_all(r.stderr.as_bytes());
    r.code
}
