//! The `notifier-check` binary: see the library's [`notifier_check::run`].

fn main() -> std::process::ExitCode {
    notifier_check::run()
}
