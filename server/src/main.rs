//! `tongka`: serve, migrate, seed, create-brand. See `tongka --help`.

fn main() -> std::process::ExitCode {
    tongka_server::cli::main()
}
