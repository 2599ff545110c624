//! The `howdah` binary: everything lives in the library; this only hands over to the CLI.

fn main() -> std::process::ExitCode {
    // Before anything else: the OpenMP runtime only reads its wait policy at start-up.
    howdah::omp_wait::ensure_passive_wait();
    howdah::cli::main()
}
