//! The README's Neovim setup, as written, in a headless Neovim (0.7 or
//! later; `scripts/install-deps.sh` installs Debian's): its `init.lua`
//! block is the configuration (with this checkout's path and the built
//! `pole`), and `tests/neovim/driver.lua` drives the built-in LSP client
//! against `pole lsp`: the file type and syntax, diagnostics as opened and
//! after an edit, hover, definition, and formatting through `:PoleFormat`.
//! Skipped, saying so, when `nvim` is not installed.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BROKEN: &str = "\
type Point = { x: Int, y: Int }

func manhattan(p: Point) -> Int :
  let dx = p.x in
  dx + dz

func main() -> Int : manhattan({ x: 3, y: 4 })
";

const MESSY: &str = "func   main( )->Int:
      let  a=1 in a+2
";

/// The README's Neovim `init.lua` block, pointed at this checkout and the
/// built server.
fn readme_init_lua() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(Path::new(root).join("README.md")).expect("README");
    let at = readme.find("- **Neovim**").expect("a Neovim section");
    let section = &readme[at..];
    let start = section.find("```lua\n").expect("a lua block") + "```lua\n".len();
    let end = start + section[start..].find("```").expect("its end");
    let block: String = section[start..end]
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let pole = env!("CARGO_BIN_EXE_pole");
    let cmd = r#"cmd = { "pole", "lsp" }"#;
    assert!(block.contains(cmd), "the README starts `pole lsp`: {block}");
    assert!(block.contains("/path/to/pole/editors/vim"), "{block}");
    block
        .replace("/path/to/pole", root)
        .replace(cmd, &format!(r#"cmd = {{ "{pole}", "lsp" }}"#))
}

fn nvim() -> Option<String> {
    let ok = Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| "nvim".to_string())
}

/// Line and column (0-based, ASCII) of `needle` in `text`, plus `skip`.
fn at(text: &str, needle: &str, skip: usize) -> String {
    let i = text.find(needle).expect("needle") + skip;
    let line = text[..i].matches('\n').count();
    let col = i - text[..i].rfind('\n').map_or(0, |n| n + 1);
    format!("{line}:{col}")
}

#[test]
fn the_readme_setup_drives_pole_lsp_in_headless_neovim() {
    let Some(nvim) = nvim() else {
        eprintln!(
            "skipped: nvim is not installed (scripts/install-deps.sh installs Debian's neovim)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    let init = root.join("init.lua");
    std::fs::write(&init, readme_init_lua()).expect("write init.lua");
    let file = root.join("demo.pole-ir");
    std::fs::write(&file, BROKEN).expect("write program");
    let out = root.join("out.json");
    let fixed = BROKEN.replace("dx + dz", "dx + p.y");
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/neovim/driver.lua");
    let formatted = {
        let o = Command::new(env!("CARGO_BIN_EXE_pole"))
            .args(["fmt", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("stdin").write_all(MESSY.as_bytes())?;
                c.wait_with_output()
            })
            .expect("pole fmt -");
        String::from_utf8(o.stdout).expect("utf-8")
    };
    assert_ne!(formatted, MESSY);

    let mut child = Command::new(&nvim)
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&init)
        .arg("-c")
        .arg(format!("luafile {}", driver.display()))
        .arg(&file)
        .current_dir(&root)
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_STATE_HOME", root.join("state"))
        .env("XDG_CACHE_HOME", root.join("cache"))
        .env("POLE_NVIM_OUT", &out)
        .env("POLE_NVIM_FIXED", &fixed)
        .env("POLE_NVIM_HOVER", at(&fixed, "dx + p.y", 0))
        .env("POLE_NVIM_DEFINITION", at(&fixed, "manhattan({", 0))
        .env("POLE_NVIM_MESSY", MESSY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nvim");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("nvim did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let results = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("nvim ({status}) wrote no results: {e}"));
    let r: Value = serde_json::from_str(&results).expect("json");
    assert_eq!(r.get("error"), None, "{r}");
    assert_eq!(r["filetype"], "pole", "{r}");
    assert_eq!(r["syntax"], "pole", "{r}");
    assert_eq!(r["commentstring"], "// %s", "{r}");
    assert_eq!(r["attached"], true, "{r}");
    let d = &r["diagnostics"];
    assert_eq!(d.as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(
        d[0]["message"].as_str().unwrap_or("").lines().next(),
        Some("unknown variable 'dz'"),
        "{r}"
    );
    assert_eq!(d[0]["line"], 4);
    assert_eq!(d[0]["col"], 7);
    assert_eq!(r["cleared"], true, "{r}");
    assert_eq!(r["hover"], "```pole\ndx: Int\n```", "{r}");
    assert_eq!(
        r["definition"],
        serde_json::json!({ "line": 2, "col": 5 }),
        "{r}"
    );
    assert_eq!(
        r["formatted"].as_str().map(|s| format!("{s}\n")),
        Some(formatted),
        "{r}"
    );
}
