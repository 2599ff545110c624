//! What the linked llama.cpp was built with (CPU extensions, backends), as llama-bench reports it.

use std::ffi::CStr;
use std::sync::OnceLock;

use crate::text::sanitize::sanitize_line;

/// llama.cpp's system line, e.g. `CPU : SSE3 = 1 | AVX2 = 1 | … | OPENMP = 1 | REPACK = 1 |`.
/// It says which SIMD paths the CPU kernels were compiled for, which decides the speed figures
/// (an AVX2-only build is much slower on an AVX-512 machine), so benchmarks print it.
pub fn system_info() -> String {
    // llama.cpp rebuilds one static string on every call, so two threads calling it at once
    // would race; the OnceLock makes it one call per process (the answer cannot change).
    static INFO: OnceLock<String> = OnceLock::new();
    INFO.get_or_init(|| {
        // SAFETY: llama_print_system_info takes no arguments and returns a pointer to that
        // static, NUL-terminated buffer; it is copied out at once, and only here.
        let raw = unsafe { CStr::from_ptr(llama_cpp_sys_2::llama_print_system_info()) };
        sanitize_line(&raw.to_string_lossy()).trim().to_string()
    })
    .clone()
}

/// The enabled features of a system line, in order: `["SSE3", "AVX2", …]`.
pub fn enabled_features(info: &str) -> Vec<String> {
    info.split('|')
        .filter_map(|part| {
            let part = part.rsplit(':').next().unwrap_or(part);
            let (name, value) = part.split_once('=')?;
            (value.trim() == "1").then(|| name.trim().to_string())
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_the_ones_set_to_one() {
        let line = "CPU : SSE3 = 1 | AVX = 1 | AVX512 = 0 | AVX512_VNNI = 1 | OPENMP = 1 |";
        assert_eq!(
            enabled_features(line),
            ["SSE3", "AVX", "AVX512_VNNI", "OPENMP"]
        );
        assert!(enabled_features("").is_empty());
    }

    #[test]
    fn the_linked_build_reports_its_cpu_features() {
        let info = system_info();
        assert!(info.starts_with("CPU"), "{info}");
        let features = enabled_features(&info);
        // Every x86-64 build of ours has at least ggml's AVX2 baseline; other targets report
        // their own extensions (NEON and so on), so only the non-empty list is universal.
        #[cfg(target_arch = "x86_64")]
        assert!(features.iter().any(|f| f == "AVX2"), "{info}");
        assert!(!features.is_empty(), "{info}");
    }
}
