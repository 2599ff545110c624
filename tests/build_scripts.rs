//! The Makefile's build helpers: which llama.cpp CPU options a machine gets, and when an
//! existing llama.cpp build is thrown away because it was configured with other options.

use std::process::Command;

fn cpu_flags(cpuinfo: &str, portable: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpuinfo");
    std::fs::write(&path, cpuinfo).unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg("scripts/cpu-flags.sh").env("HOWDAH_CPUINFO", &path);
    if portable {
        cmd.env("HOWDAH_PORTABLE", "1");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn has(flags: &str, option: &str) -> bool {
    flags.split_whitespace().any(|f| f == option)
}

const SAPPHIRE: &str = "processor\t: 0\nflags\t\t: fpu sse sse2 avx f16c fma bmi2 avx2 avx512f \
    avx512dq avx512cd avx512bw avx512vl avx512vbmi avx512_vnni avx512_bf16 avx_vnni amx_tile \
    amx_int8 amx_bf16\nprocessor\t: 1\n";
const HASWELL: &str = "flags\t\t: fpu sse sse2 avx f16c fma bmi2 avx2\n";
const OLD: &str = "flags\t\t: fpu sse sse2 sse4_2\n";

#[test]
fn avx512_machines_get_it_and_never_amx() {
    let f = cpu_flags(SAPPHIRE, false);
    for on in [
        "GGML_AVX2=ON",
        "GGML_AVX512=ON",
        "GGML_AVX512_VNNI=ON",
        "GGML_AVX_VNNI=ON",
    ] {
        assert!(has(&f, on), "{on} missing in {f}");
    }
    for off in [
        "GGML_AMX_TILE=OFF",
        "GGML_AMX_INT8=OFF",
        "GGML_AMX_BF16=OFF",
    ] {
        assert!(has(&f, off), "{off} missing in {f}");
    }
}

#[test]
fn avx2_machines_keep_the_baseline_and_older_ones_drop_it() {
    let f = cpu_flags(HASWELL, false);
    assert!(has(&f, "GGML_AVX2=ON") && has(&f, "GGML_AVX512=OFF"), "{f}");
    assert!(
        has(&f, "GGML_AVX512_VNNI=OFF") && has(&f, "GGML_AVX_VNNI=OFF"),
        "{f}"
    );
    // Without AVX2 the portable baseline would not run at all (SIGILL), so it is turned off.
    let f = cpu_flags(OLD, false);
    assert!(has(&f, "GGML_AVX=OFF") && has(&f, "GGML_AVX2=OFF"), "{f}");
    assert!(has(&f, "GGML_FMA=OFF") && has(&f, "GGML_AVX512=OFF"), "{f}");
}

#[test]
fn portable_builds_ask_for_nothing() {
    assert_eq!(cpu_flags(SAPPHIRE, true), "");
}

/// Runs llama-build-check.sh on a fake target folder whose llama.cpp CMake cache holds `cache`;
/// `cargo` is replaced by `echo`, so the output shows whether it would clean.
fn check(cache: Option<&str>, want: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    if let Some(cache) = cache {
        let build = dir
            .path()
            .join("release/build/llama-cpp-sys-2-0123/out/build");
        std::fs::create_dir_all(&build).unwrap();
        std::fs::write(build.join("CMakeCache.txt"), cache).unwrap();
    }
    let out = Command::new("sh")
        .arg("scripts/llama-build-check.sh")
        .arg(want)
        .env("CARGO_TARGET_DIR", dir.path())
        .env("CARGO", "echo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_build_with_other_options_is_cleaned_and_a_matching_one_kept() {
    let want = "make GGML_AVX2=ON GGML_AVX512=ON";
    let good = format!("CMAKE_BUILD_TYPE:STRING=Release\nGGML_HOWDAH_BUILD:UNINITIALIZED={want}\n");
    assert_eq!(check(Some(&good), want), "");
    // Nothing built yet: nothing to clean.
    assert_eq!(check(None, want), "");
    let other = good.replace("GGML_AVX512=ON", "GGML_AVX512=OFF");
    assert!(check(Some(&other), want).contains("clean --release -p llama-cpp-sys-2"));
    // A plain cargo build (no marker) and an -O2 RelWithDebInfo build are rebuilt too.
    assert!(check(Some("CMAKE_BUILD_TYPE:STRING=Release\n"), want).contains("clean"));
    let o2 = good.replace("Release", "RelWithDebInfo");
    assert!(check(Some(&o2), want).contains("clean"));
}

/// Runs gpu-backend.sh --why with only the given fake tools on PATH (plus what it needs).
fn gpu_backend(tools: &[(&str, &str)], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for real in ["awk", "cat", "uname", "sed", "tr"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(real))
            .find(|p| p.exists())
            .unwrap();
        std::os::unix::fs::symlink(found, bin.join(real)).unwrap();
    }
    for (name, script) in tools {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("scripts/gpu-backend.sh")
        .arg("--why")
        .env_clear()
        .env("PATH", &bin)
        .env("VULKAN_SDK", dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

const LAVAPIPE: &str = "cat <<'E'\nGPU0:\n\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU\n\tdeviceName         = llvmpipe (LLVM 15.0.6, 256 bits)\nE";
const RTX: &str = "cat <<'E'\nGPU0:\n\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU\n\tdeviceName         = llvmpipe\nGPU1:\n\tdeviceType         = PHYSICAL_DEVICE_TYPE_DISCRETE_GPU\n\tdeviceName         = NVIDIA GeForce RTX 4090\nE";

#[test]
fn the_gpu_backend_is_what_the_machine_has_and_gpu_overrides_it() {
    if cfg!(target_os = "macos") {
        return; // Apple Silicon always picks Metal; the rest is about Linux tool detection
    }
    assert!(gpu_backend(&[], &[]).starts_with("cpu (no Metal, CUDA or Vulkan"));
    assert!(gpu_backend(&[("nvcc", "true")], &[]).starts_with("cuda (nvcc found"));
    assert!(gpu_backend(&[], &[("CUDA_PATH", "/opt/cuda")]).starts_with("cuda (CUDA_PATH"));
    // Vulkan with only a software device (lavapipe) stays on the CPU build, and says why.
    let soft = gpu_backend(&[("glslc", "true"), ("vulkaninfo", LAVAPIPE)], &[]);
    assert!(
        soft.starts_with("cpu (") && soft.contains("software device"),
        "{soft}"
    );
    let hw = gpu_backend(&[("glslc", "true"), ("vulkaninfo", RTX)], &[]);
    assert_eq!(
        hw,
        "vulkan (Vulkan loader, glslc and a GPU: NVIDIA GeForce RTX 4090)"
    );
    // Without glslc the Vulkan backend cannot be built.
    assert!(gpu_backend(&[("vulkaninfo", RTX)], &[]).starts_with("cpu"));
    assert_eq!(
        gpu_backend(&[("nvcc", "true")], &[("GPU", "cpu")]),
        "cpu (GPU=cpu asked for)"
    );
}

#[test]
fn gpu_and_cpu_builds_are_checked_each_against_their_own_marker() {
    let cpu = "make GGML_AVX2=ON";
    let vk = "make GGML_AVX2=ON gpu=vulkan";
    let cache = |marker: &str, vulkan: bool| {
        format!(
            "CMAKE_BUILD_TYPE:STRING=Release\nGGML_HOWDAH_BUILD:UNINITIALIZED={marker}\nGGML_VULKAN:BOOL={}\n",
            if vulkan { "ON" } else { "OFF" }
        )
    };
    // A Vulkan build next to the CPU one does not make the CPU one stale, nor the other way.
    assert_eq!(check(Some(&cache(vk, true)), cpu), "");
    assert_eq!(check(Some(&cache(cpu, false)), vk), "");
    assert_eq!(check(Some(&cache(vk, true)), vk), "");
    // A Vulkan build with other CPU options is rebuilt.
    let old = cache("make GGML_AVX2=OFF gpu=vulkan", true);
    assert!(check(Some(&old), vk).contains("llama.cpp (vulkan) was built with other options"));
}
