fn main() {
    gt::work::town::jsonl_follow::follow_in_background();
    std::process::exit(gt::cli::main());
}
