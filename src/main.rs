fn main() {
    std::process::exit(gt::cli::main());
}
