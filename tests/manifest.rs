//! The library stays lean: its manifest (the root `Cargo.toml`) names only the dependencies the
//! codec, the format and the pipeline need; what only the command line uses is in
//! `cli/Cargo.toml`, and the statistics that need sysinfo and hdrhistogram are optional, behind the
//! `stats` feature that the command line turns on.
//!
//! Adding a dependency to the library means adding it to [`LIBRARY`] here, on purpose.

use std::path::Path;

/// The library's required dependencies and why each is there.
const LIBRARY: &[(&str, &str)] = &[
    ("rayon", "the pipeline's worker pool"),
    ("crossbeam-channel", "the pipeline's bounded channels"),
    ("num_cpus", "threads(0) = one per core"),
    ("twox-hash", "the format's checksums (xxh32, xxh3)"),
    ("thiserror", "the error enums"),
    ("tempfile", "sigmalang::output's temporary files"),
    (
        "multiversion",
        "the codec's hot loops also built for AVX2/BMI2 CPUs, chosen at run time",
    ),
];

/// The library's optional dependencies: exactly what the `stats` feature turns on.
const STATS: &[&str] = &["hdrhistogram", "sysinfo"];

/// Dependencies of the command line only, which the library must never name.
const CLI_ONLY: &[&str] = &[
    "clap",
    "clap_complete",
    "clap_mangen",
    "indicatif",
    "anyhow",
    "serde_json",
    "signal-hook",
];

/// One dependency of a manifest section.
#[derive(Debug, PartialEq)]
struct Dep {
    name: String,
    optional: bool,
}

/// The dependencies of every section that a build of the package itself compiles:
/// `[dependencies]`, `[build-dependencies]` and their `[target.'…'.…]` forms, written inline
/// (`name = …` in the section) or as tables (`[dependencies.name]`). Dev-dependencies are left out.
fn build_deps(manifest: &str) -> Vec<Dep> {
    let mut deps: Vec<Dep> = Vec::new();
    // Some(None): inside a dependency section; Some(Some(k)): inside the table of deps[k].
    let mut section: Option<Option<usize>> = None;
    for line in manifest.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim();
            // `target.'cfg(…)'.dependencies` is a dependency section too.
            let header = match header.strip_prefix("target.") {
                Some(t) => t
                    .rsplit_once("'.")
                    .or(t.rsplit_once("\"."))
                    .map_or(t, |(_, h)| h),
                None => header,
            };
            section = None;
            for kind in ["dependencies", "build-dependencies"] {
                if header == kind {
                    section = Some(None);
                } else if let Some(name) = header.strip_prefix(&format!("{kind}.")) {
                    deps.push(Dep {
                        name: name.to_string(),
                        optional: false,
                    });
                    section = Some(Some(deps.len() - 1));
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.replace(' ', ""));
        match section {
            Some(None) => deps.push(Dep {
                name: key.to_string(),
                optional: value.contains("optional=true"),
            }),
            Some(Some(k)) if key == "optional" => deps[k].optional = value == "true",
            _ => {}
        }
    }
    deps
}

fn read(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_library_depends_only_on_what_the_codec_and_the_pipeline_need() {
    let deps = build_deps(&read("Cargo.toml"));
    for d in &deps {
        assert!(
            !CLI_ONLY.contains(&d.name.as_str()),
            "the library depends on `{}`, which only the command line uses: move it to \
             cli/Cargo.toml",
            d.name
        );
    }
    let mut required: Vec<&str> = deps
        .iter()
        .filter(|d| !d.optional)
        .map(|d| d.name.as_str())
        .collect();
    let mut optional: Vec<&str> = deps
        .iter()
        .filter(|d| d.optional)
        .map(|d| d.name.as_str())
        .collect();
    let mut want: Vec<&str> = LIBRARY.iter().map(|(name, _)| *name).collect();
    required.sort_unstable();
    optional.sort_unstable();
    want.sort_unstable();
    assert_eq!(
        required, want,
        "the library's required dependencies changed: a new one belongs in cli/Cargo.toml, \
         behind a feature, or (if the codec, the format or the pipeline needs it) in LIBRARY in \
         tests/manifest.rs"
    );
    assert_eq!(
        optional, STATS,
        "optional dependencies other than the `stats` feature's"
    );
}

#[test]
fn the_stats_feature_turns_on_sysinfo_and_hdrhistogram_and_the_cli_turns_it_on() {
    let manifest = read("Cargo.toml");
    let stats = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("stats ="))
        .expect("a `stats` feature in Cargo.toml");
    for dep in STATS {
        assert!(stats.contains(&format!("\"dep:{dep}\"")), "stats = {stats}");
    }
    let cli = read("cli/Cargo.toml");
    let line = cli
        .lines()
        .find(|l| l.trim_start().starts_with("sigmalang ="))
        .expect("cli/Cargo.toml depends on sigmalang");
    assert!(
        line.replace(' ', "").contains("features=[\"stats\"]"),
        "the command line must turn on the library's `stats` feature: {line}"
    );
}

/// The parser finds what the test relies on, so that a manifest it misreads cannot pass.
#[test]
fn the_parser_reads_every_way_of_writing_a_dependency() {
    let manifest = r#"
[package]
name = "x"
[dependencies]
plain = "1"
inline = { version = "1", optional = true }
[dependencies.table]
version = "2"
optional = true
[target.'cfg(unix)'.dependencies]
unix-only = "1"
[build-dependencies]
builder = "1"
[dev-dependencies]
dev = "1"
[features]
f = ["dep:inline"]
"#;
    let dep = |name: &str, optional| Dep {
        name: name.to_string(),
        optional,
    };
    assert_eq!(
        build_deps(manifest),
        vec![
            dep("plain", false),
            dep("inline", true),
            dep("table", true),
            dep("unix-only", false),
            dep("builder", false),
        ]
    );
}
