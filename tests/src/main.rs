//! The binary under test: the very entry point of `station`, built inside this package so
//! that cargo hands its path to the end-to-end tests as `CARGO_BIN_EXE_station-e2e`.

fn main() -> std::process::ExitCode {
    station::cli::main()
}
