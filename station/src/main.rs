//! The `station` binary: everything lives in the library's [`station::cli`].

fn main() -> std::process::ExitCode {
    station::cli::main()
}
