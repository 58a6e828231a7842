//! Issue 26, "Nothing lost, nothing hung": one test per finding, each
//! reproducing it and asserting the fixed behaviour. Tests that need a
//! small file system (tmpfs, mounted here) run only as root and say so
//! when skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

fn pole(dir: &Path, args: &[&str]) -> Output {
    Command::new(POLE)
        .args(args)
        .env("POLE_CACHE_DIR", "")
        .current_dir(dir)
        .output()
        .expect("run pole")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A tmpfs of `size` mounted at `dir` for the test's lifetime (root only).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    /// Fills the file system: a file grown until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.join("filler")).expect("filler");
        let block = vec![b'x'; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(b"x");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn skip(test: &str) {
    println!("skipped {test}: needs root (tmpfs)");
}

/// Builds `src` in `dir` as `name`; returns the executable's path.
fn build(dir: &Path, name: &str, src: &str) -> PathBuf {
    let file = format!("{name}.pole-ir");
    std::fs::write(dir.join(&file), src).expect("write");
    let o = pole(dir, &["build", &file, "-o", name]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir.join(name)
}

const PRINTER: &str = r#"
func lines(i: Int) -> Unit :
  if i > 0 then
    println("line " + int_to_string(i));
    lines(i - 1)
  else ()

func main() -> Int :
  lines(20000);
  0
"#;

// 1. Write errors on stdout.

#[test]
fn f1_stdout_write_errors_are_runtime_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = build(tmp.path(), "printer", PRINTER);
    // /dev/full: ENOSPC on every write.
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let o = Command::new(&exe).stdout(full).output().expect("run");
    assert_eq!(o.status.code(), Some(101));
    assert_eq!(
        stderr(&o),
        "pole: runtime error: cannot write to stdout: No space left on device\n"
    );
    // EPIPE with SIGPIPE ignored (the shell's `trap '' PIPE` is inherited).
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' PIPE; '{}' | head -c 1 >/dev/null; echo \"status ${{PIPESTATUS[0]}}\"",
            exe.display()
        ))
        .output()
        .expect("bash");
    assert_eq!(stdout(&o), "status 101\n");
    assert_eq!(
        stderr(&o),
        "pole: runtime error: cannot write to stdout: Broken pipe\n"
    );
    // A full disk.
    if !is_root() {
        return skip("f1 (full disk part)");
    }
    let Some(fs) = Tmpfs::mount(&tmp.path().join("small"), "64k") else {
        return skip("f1 (mount failed)");
    };
    let out = std::fs::File::create(fs.0.join("out.txt")).expect("out");
    let o = Command::new(&exe).stdout(out).output().expect("run");
    assert_eq!(o.status.code(), Some(101));
    assert_eq!(
        stderr(&o),
        "pole: runtime error: cannot write to stdout: No space left on device\n"
    );
}

// 2. write_file on a full disk.

const WRITER: &str = r#"
func grow(s: String, n: Int) -> String :
  if n == 0 then s else grow(s + s, n - 1)

func main() -> Int :
  let big = grow("0123456789abcdef", 14) in
  println(match write_file("data.txt", big) with | Ok(_) -> "ok" | Err(e) -> e);
  println(match write_file("small.txt", "new\n") with | Ok(_) -> "ok" | Err(e) -> e);
  0
"#;

#[test]
fn f2_write_file_keeps_the_old_file_on_failure_and_its_mode() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = build(tmp.path(), "writer", WRITER);
    // Mode kept, symbolic link followed (the link stays a link).
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    std::fs::write(work.join("real.txt"), "old\n").expect("write");
    set_mode(&work.join("real.txt"), 0o600);
    std::os::unix::fs::symlink("real.txt", work.join("small.txt")).expect("link");
    let o = Command::new(&exe).current_dir(&work).output().expect("run");
    assert_eq!(stdout(&o), "ok\nok\n", "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(work.join("real.txt")).expect("read"),
        "new\n"
    );
    assert_eq!(mode(&work.join("real.txt")), 0o600);
    assert!(
        std::fs::symlink_metadata(work.join("small.txt"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    if !is_root() {
        return skip("f2 (full disk part)");
    }
    let Some(fs) = Tmpfs::mount(&tmp.path().join("small"), "64k") else {
        return skip("f2 (mount failed)");
    };
    std::fs::write(fs.0.join("data.txt"), "precious\n").expect("write");
    fs.fill();
    let o = Command::new(&exe).current_dir(&fs.0).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("No space left on device\n"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(fs.0.join("data.txt")).expect("read"),
        "precious\n"
    );
    let names: Vec<String> = std::fs::read_dir(&fs.0)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".pole"))
        .collect();
    assert!(names.is_empty(), "temporary files left: {names:?}");
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777
}

fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
}
