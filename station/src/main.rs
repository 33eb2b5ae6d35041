//! The `station` binary: everything lives in the library's [`station::cli`].

/// mimalloc: store work runs on the blocking pool and its answers are freed on the async
/// threads; glibc's per-thread arenas make that cross-thread traffic slow.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    station::cli::main()
}
