//! The documentation says what is true (issue 27, finding 6): the install
//! line names every package `scripts/install-deps.sh` installs; the
//! reference notes do not deny §9's values and locations, which a program
//! prints; the formatter's object-file claim is qualified.

use std::path::Path;
use std::process::Command;

mod common;

fn read(p: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap()
}

/// The apt packages of `missing+=(...)` lines.
fn installed_packages(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| l.trim().strip_prefix("missing+=("))
        .filter_map(|l| l.strip_suffix(')'))
        .flat_map(|l| l.split_whitespace().map(str::to_string))
        .collect()
}

#[test]
fn readme_install_names_what_install_deps_installs() {
    let readme = read("README.md");
    let packages = installed_packages(&read("scripts/install-deps.sh"));
    assert!(packages.len() >= 6, "{packages:?}");
    let line = readme
        .lines()
        .find(|l| l.starts_with("scripts/install-deps.sh"))
        .expect("an install-deps line in README");
    for p in &packages {
        assert!(
            line.split(|c: char| c == ',' || c.is_whitespace())
                .any(|w| w == p),
            "README's install line does not name {p}: {line}"
        );
    }
    assert!(readme.contains("cargo install --path . --locked"));
    assert!(readme.contains("pole run examples/life.pole-ir"));
}

#[test]
fn the_formatters_object_claim_is_qualified() {
    let readme = read("README.md");
    let at = readme
        .find("compiles to the same object file")
        .expect("the claim");
    let around = &readme[at..(at + 200).min(readme.len())];
    assert!(around.contains("--debug-info false"), "{around}");
}

#[test]
fn reference_notes_do_not_deny_the_runtime_error_values_printed() {
    let notes = read("docs/reference-notes.md");
    assert!(!notes.contains("not printed yet"));
    // What §9 describes is printed: the values and the location line.
    let t = tempfile::tempdir().unwrap();
    let src = "func third(xs: List<Int>) -> Int : List.get(xs, 3)\n\nfunc main() -> Int : third([1, 2, 3])\n";
    std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(["run", "p.pole-ir"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(101));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(
            "pole: runtime error: index out of bounds: index 3, length 3\n  at p.pole-ir:1:36 in third\n"
        ),
        "{err}"
    );
}

#[test]
fn the_neovim_setup_works_on_0_7() {
    let readme = read("README.md");
    let at = readme
        .find("- **Neovim** (0.7")
        .expect("a Neovim section for 0.7");
    let section = &readme[at..];
    let section = &section[..section.find("- **Helix**").unwrap_or(section.len())];
    for needed in [
        "vim.g.do_filetype_lua = 1",
        "vim.lsp.start_client(",
        "vim.lsp.buf_attach_client(",
        "vim.lsp.buf.formatting_sync()",
    ] {
        assert!(section.contains(needed), "{needed}");
    }
    // Functions 0.7 does not have are only called behind a check.
    assert!(!section.contains("vim.lsp.start("));
    assert!(section.contains("if vim.lsp.buf.format then"));
    assert!(readme.contains("- **Vim** (8+)"));
    assert!(readme.contains("- **VS Code**"));
}

/// Every capability `pole lsp` announces is named in the README's list
/// for other clients (a new request must be documented there).
#[test]
fn the_readme_lists_every_capability_of_the_server() {
    let readme = read("README.md");
    let at = readme
        .find("- **Any other client**")
        .expect("a section for other clients");
    let section = &readme[at..];
    let section = &section[..section.find("\n\n").unwrap_or(section.len())];
    let c = common::lsp_client::Client::start(&[]);
    let caps = c.capabilities.clone();
    c.shutdown();
    let mut named = 0;
    for (key, _) in caps.as_object().expect("capabilities") {
        let method = match key.as_str() {
            "textDocumentSync" | "positionEncoding" => continue,
            "hoverProvider" => "hover",
            "definitionProvider" => "definition",
            "referencesProvider" => "references",
            "renameProvider" => "rename",
            "documentSymbolProvider" => "documentSymbol",
            "completionProvider" => "completion",
            "documentFormattingProvider" => "formatting",
            "semanticTokensProvider" => "semanticTokens/full",
            other => panic!("capability {other} is not in this test's table (nor the README?)"),
        };
        assert!(
            section.contains(&format!("`textDocument/{method}`")),
            "README does not list textDocument/{method} for other clients"
        );
        named += 1;
    }
    assert_eq!(named, 8);
}
