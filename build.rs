//! Builds the VPP shim (C) when VPP's development files are found, and links
//! it into the plugin. Without VPP only the Rust core is built, and one line
//! says so.
//!
//! VPP is looked up under $VPP_PREFIX, else /usr, /usr/local and /opt/vpp:
//! it needs `include/vlib/vlib.h`, `include/vpp/app/version.h` and
//! `vppapigen` (`bin/vppapigen` of the prefix, or on PATH).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHIM_SOURCES: &[&str] = &[
    "vpp-shim/node.c",
    "vpp-shim/interface.c",
    "vpp-shim/cli.c",
    "vpp-shim/api.c",
    "vpp-shim/router_adverts.c",
    "vpp-shim/prefix_groups.c",
];
const API_FILE: &str = "vpp-shim/dhcp6_server.api";

struct Vpp {
    include: PathBuf,
    vppapigen: PathBuf,
    /// A Python 3 that has `ply`, which vppapigen needs.
    python: String,
    version: String,
}

fn main() {
    println!("cargo:rerun-if-env-changed=VPP_PREFIX");
    println!("cargo:rerun-if-changed=vpp-shim");
    println!("cargo:rerun-if-changed=include/dhcp6_server.h");

    let vpp = match find_vpp() {
        Ok(vpp) => vpp,
        Err(why) => {
            println!(
                "cargo:warning=VPP shim skipped: {why}; built the Rust core only \
                 (install vpp-dev, or set VPP_PREFIX to a VPP install prefix)"
            );
            return;
        }
    };
    if let Err(e) = build_shim(&vpp) {
        panic!(
            "building the VPP shim against {} failed: {e}",
            vpp.include.display()
        );
    }
}

fn find_vpp() -> Result<Vpp, String> {
    let prefixes: Vec<PathBuf> = match env::var_os("VPP_PREFIX") {
        Some(p) => vec![PathBuf::from(p)],
        None => ["/usr", "/usr/local", "/opt/vpp"]
            .iter()
            .map(PathBuf::from)
            .collect(),
    };
    let prefix = prefixes
        .iter()
        .find(|p| p.join("include/vlib/vlib.h").is_file())
        .ok_or_else(|| format!("no VPP development headers (vlib/vlib.h) under {prefixes:?}"))?;
    let include = prefix.join("include");
    let version_h = fs::read_to_string(include.join("vpp/app/version.h")).map_err(|e| {
        format!(
            "cannot read vpp/app/version.h under {}: {e}",
            include.display()
        )
    })?;
    let version = version_h
        .lines()
        .find_map(|l| l.strip_prefix("#define VPP_BUILD_VER"))
        .map(|v| v.trim().trim_matches('"').to_string())
        .ok_or("vpp/app/version.h has no VPP_BUILD_VER")?;
    let vppapigen = [prefix.join("bin/vppapigen")]
        .into_iter()
        .chain(
            env::split_paths(&env::var_os("PATH").unwrap_or_default()).map(|d| d.join("vppapigen")),
        )
        .find(|p| p.is_file())
        .ok_or("vppapigen not found")?;
    let python = ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|py| {
            Command::new(py)
                .args(["-c", "import ply"])
                .status()
                .is_ok_and(|s| s.success())
        })
        .ok_or("vppapigen needs Python's ply module (Debian: python3-ply)")?
        .to_string();
    Ok(Vpp {
        include,
        vppapigen,
        python,
        version,
    })
}

fn build_shim(vpp: &Vpp) -> Result<(), String> {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let generated = out.join("dhcp6_server");
    fs::create_dir_all(&generated).map_err(|e| e.to_string())?;

    // The C headers for the shim, then the JSON that vpp_papi reads.
    let api_h = generated.join("dhcp6_server.api.h");
    run_vppapigen(
        vpp,
        &["--outputdir", path(&generated), "--output", path(&api_h)],
    )?;
    let api_json = generated.join("dhcp6_server.api.json");
    run_vppapigen(
        vpp,
        &[
            "JSON",
            "--outputdir",
            path(&generated),
            "--output",
            path(&api_json),
        ],
    )?;
    // Put the JSON beside the plugin .so, where installers and tests look.
    if let Some(profile_dir) = out.ancestors().nth(3) {
        fs::copy(&api_json, profile_dir.join("dhcp6_server.api.json"))
            .map_err(|e| e.to_string())?;
    }

    let mut build = cc::Build::new();
    build
        .files(SHIM_SOURCES)
        .include(&out)
        .include(&vpp.include)
        .include("include")
        .include("vpp-shim")
        .flag("-std=gnu11")
        // VPP's own default x86-64 build flags (src/cmake/cpu.cmake).
        .flag_if_supported("-march=x86-64-v2")
        .flag_if_supported("-mtune=generic")
        .extra_warnings(false)
        .flag("-fno-common")
        .flag("-Wall")
        .flag("-Werror")
        .flag("-Wno-address-of-packed-member")
        .define("_FORTIFY_SOURCE", "2")
        .opt_level(2)
        .cargo_metadata(false);
    build
        .try_compile("dhcp6_server_shim")
        .map_err(|e| e.to_string())?;

    // Only the plugin links the shim (test binaries could not resolve VPP's
    // symbols). whole-archive keeps its constructor-only objects: without it
    // the linker drops the node, CLI and API registrations silently.
    let archive = out.join("libdhcp6_server_shim.a");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--whole-archive");
    println!("cargo:rustc-cdylib-link-arg={}", archive.display());
    println!("cargo:rustc-cdylib-link-arg=-Wl,--no-whole-archive");
    println!("cargo:rustc-env=DHCP6_SERVER_VPP_VERSION={}", vpp.version);
    Ok(())
}

fn run_vppapigen(vpp: &Vpp, args: &[&str]) -> Result<(), String> {
    let status = Command::new(&vpp.python)
        .arg(&vpp.vppapigen)
        .args(["--includedir", path(&vpp.include), "--input", API_FILE])
        .args(args)
        .status()
        .map_err(|e| format!("running vppapigen: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("vppapigen {args:?} failed ({status})"))
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("non-UTF-8 build path")
}
