//! The example programs under `examples/` build and print exactly their
//! recorded `.stdout` (run from the repository root, as documented), and
//! free every object they allocate (`POLE_RT_STATS=1` reports `live 0`); the
//! SDL2 ones headless with `SDL_VIDEODRIVER=dummy`, skipped without SDL2
//! (and those linking SDL2_ttf without it or the DejaVu font).

use std::path::Path;
use std::process::Command;

fn sdl_available() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "sdl2"])
        .status()
        .is_ok_and(|s| s.success())
}

/// SDL2_ttf and the font the snake game draws its score with.
fn ttf_available() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "SDL2_ttf"])
        .status()
        .is_ok_and(|s| s.success())
        && Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file()
}

#[test]
fn examples_run_as_recorded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(root.join("examples"))
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pole-ir"))
        .collect();
    // Programs of several files: examples/NAME/main.pole-ir (and main.stdout).
    names.extend(
        std::fs::read_dir(root.join("examples"))
            .expect("examples/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.join("main.pole-ir").is_file())
            .map(|p| p.join("main.pole-ir")),
    );
    names.sort();
    for path in names {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let expected = path.with_extension("stdout");
        let Ok(expected) = std::fs::read(&expected) else {
            failures.push(format!("{name}: no .stdout file"));
            continue;
        };
        if name.starts_with("sdl") && !sdl_available() {
            println!("skipped {name}: SDL2 not installed");
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("read the example");
        if source.contains("@link(\"SDL2_ttf\")") && !ttf_available() {
            println!("skipped {name}: SDL2_ttf or the DejaVu font not installed");
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let name = if name == "main" {
            rel.trim_end_matches("/main.pole-ir").to_string()
        } else {
            name
        };
        let out = Command::new(env!("CARGO_BIN_EXE_pole"))
            .args(["run", &rel])
            .current_dir(root)
            .env("SDL_VIDEODRIVER", "dummy")
            .env("POLE_RT_STATS", "1")
            .output()
            .expect("run pole");
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Every object the program allocated is freed when main returns.
        let freed = stderr
            .lines()
            .any(|l| l.contains("pole-rt: allocated ") && l.contains(", live 0, "));
        if out.stdout != expected || code != Some(0) || !freed {
            failures.push(format!(
                "{name}: exit {code:?}\n--- expected\n{}\n--- got\n{}\n--- stderr\n{}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 5);
}

#[test]
fn contracts_example_tests_report_pass_and_fail() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(["test", "examples/contracts.pole-ir"])
        .current_dir(root)
        .output()
        .expect("run pole");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with("10 passed, 2 failed\n"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL withdraw#3: expected ")),
        "{stdout}"
    );
}
