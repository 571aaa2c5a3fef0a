//! `notifier-check`: see [`notifier_models::cli`].

fn main() -> std::process::ExitCode {
    notifier_models::cli::main()
}
