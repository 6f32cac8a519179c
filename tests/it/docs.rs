//! The README and the rustdoc must be exactly true: every file path they name exists, and every
//! code block is checked. Rust blocks are doc-tests (the README is the crate's front page), so
//! here we only make sure none of them opts out; JSON seeds load into the fake server; TOML
//! snippets name this crate's real version and features; shell lines name real examples,
//! binaries and features.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every Rust source file and Markdown document a user reads.
fn documents() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![
        Path::new(ROOT).join("src"),
        Path::new(ROOT).join("examples"),
    ];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    for doc in [
        "README.md",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "CHANGELOG.md",
        "openapi/CORRECTIONS.md",
    ] {
        let path = Path::new(ROOT).join(doc);
        if path.exists() {
            found.push(path);
        }
    }
    found
}

/// Text between backticks that looks like a path inside this repository.
fn named_paths(text: &str) -> Vec<String> {
    const TOP: [&str; 7] = [
        "src/",
        "tests/",
        "examples/",
        "benches/",
        "openapi/",
        ".ci/",
        "scripts/",
    ];
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| TOP.iter().any(|top| quoted.starts_with(top)))
        .filter(|quoted| !quoted.contains(char::is_whitespace))
        // `src/omnichannel/contacts/<route>.rs` style placeholders are not paths.
        .filter(|quoted| !quoted.contains(['<', '*', '{']))
        .map(|quoted| quoted.trim_end_matches([':', ',', '.']).to_owned())
        .collect()
}

#[test]
fn every_path_the_docs_name_exists() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        for path in named_paths(&text) {
            checked += 1;
            if !Path::new(ROOT).join(&path).exists() {
                missing.push(format!("{} names `{path}`", document.display()));
            }
        }
    }
    assert!(
        checked >= 3,
        "the scan found the README's paths ({checked})"
    );
    assert!(
        missing.is_empty(),
        "paths that do not exist:\n{}",
        missing.join("\n")
    );
}

/// The README's fenced code blocks: (info string, body).
fn readme_blocks() -> Vec<(String, String)> {
    let readme = read("README.md");
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let mut body = String::new();
            for inner in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            blocks.push((info.trim().to_owned(), body));
        }
    }
    blocks
}

fn cargo_toml() -> String {
    read("Cargo.toml")
}

/// Feature names declared in `[features]`.
fn features() -> BTreeSet<String> {
    let manifest = cargo_toml();
    let section = manifest
        .split("[features]")
        .nth(1)
        .expect("a [features] table")
        .split("\n[")
        .next()
        .unwrap();
    section
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, _)| name.trim().to_owned())
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect()
}

/// `name = "…"` entries of the `[[bin]]` tables.
fn binaries() -> BTreeSet<String> {
    cargo_toml()
        .split("[[bin]]")
        .skip(1)
        .filter_map(|table| {
            table
                .lines()
                .find_map(|l| l.strip_prefix("name = "))
                .map(|n| n.trim_matches('"').to_owned())
        })
        .collect()
}

#[test]
fn every_readme_block_is_checked() {
    let known = [
        "",
        "rust",
        "rust,no_run",
        "sh",
        "toml",
        "json",
        "text",
        "python",
    ];
    for (info, body) in readme_blocks() {
        assert!(
            known.contains(&info.as_str()),
            "a README block marked `{info}` is not checked by this test or by doc-tests:\n{body}"
        );
        assert!(
            !(info.is_empty() && body.contains("fn ")),
            "Rust code in an unmarked block is not compiled:\n{body}"
        );
    }
}

#[test]
fn readme_toml_names_this_version_and_real_features() {
    let version = env!("CARGO_PKG_VERSION");
    let (major, minor) = {
        let mut parts = version.split('.');
        (parts.next().unwrap(), parts.next().unwrap())
    };
    // What `cargo add` would write for this release.
    let wanted = if major == "0" {
        format!("{major}.{minor}")
    } else {
        major.to_owned()
    };
    let features = features();
    let mut seen = 0;
    for (info, body) in readme_blocks()
        .into_iter()
        .filter(|(info, _)| info == "toml")
    {
        for line in body
            .lines()
            .filter(|l| l.starts_with("rocketchat-omnichannel"))
        {
            seen += 1;
            let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
            let (declared, named_features) = if line.contains("version") {
                let at = line.split('"').position(|p| p.contains("version")).unwrap();
                (line.split('"').nth(at + 1).unwrap(), &quoted[1..])
            } else {
                (quoted[0], &quoted[1..])
            };
            assert_eq!(declared, wanted, "README ({info}) line `{line}`");
            for feature in named_features {
                assert!(
                    features.contains(*feature),
                    "`{feature}` in `{line}` is no feature"
                );
            }
        }
    }
    assert!(seen >= 1, "the README shows how to depend on the crate");
}

#[test]
fn readme_commands_name_real_examples_binaries_and_features() {
    let features = features();
    let binaries = binaries();
    let mut checked = 0;
    for (_, body) in readme_blocks().into_iter().filter(|(info, _)| info == "sh") {
        let words: Vec<&str> = body.split_whitespace().collect();
        for pair in words.windows(2) {
            match pair[0] {
                "--example" => {
                    checked += 1;
                    let file = format!("examples/{}.rs", pair[1]);
                    assert!(Path::new(ROOT).join(&file).exists(), "{file}");
                }
                "--features" => {
                    for feature in pair[1].split(',') {
                        checked += 1;
                        assert!(features.contains(feature), "feature `{feature}`");
                    }
                }
                "--bin" => {
                    checked += 1;
                    assert!(binaries.contains(pair[1]), "binary `{}`", pair[1]);
                }
                _ => {}
            }
        }
    }
    assert!(checked >= 3, "the README's commands were found ({checked})");
}

#[cfg(feature = "test-util")]
#[test]
fn readme_json_seeds_load_into_the_fake() {
    let mut seeds = 0;
    for (_, body) in readme_blocks()
        .into_iter()
        .filter(|(info, _)| info == "json")
    {
        seeds += 1;
        if let Err(error) =
            rocketchat_omnichannel::testing::FakeRocketChat::builder().seed_json(&body)
        {
            panic!("the README's seed does not load: {error}\n{body}");
        }
    }
    assert!(seeds >= 1);
}

#[test]
fn the_documented_msrv_is_the_declared_one() {
    let declared = env!("CARGO_PKG_RUST_VERSION");
    let readme = read("README.md");
    let documented = readme
        .split("Minimum supported Rust version: **")
        .nth(1)
        .and_then(|rest| rest.split("**").next())
        .expect("the README states the minimum supported Rust version");
    assert_eq!(documented, declared, "README vs Cargo.toml rust-version");
}
