//! The snake game of `examples/sdl_snake.pole-ir` on a virtual X screen
//! (issue 22): Xvfb is started on a display it picks itself, the game runs a
//! fixed number of frames with key presses it pushes into SDL's queue at
//! given frames (`--keys`), then keeps its window while ImageMagick's
//! `import -window root` takes a screenshot. The pixels must show the head,
//! the body and the food where the scripted moves and the seeded generator
//! put them, and the score's text (drawn with SDL2_ttf) in the bar at the top.
//! Skipped, with a message saying what is missing, without SDL2, SDL2_ttf,
//! the DejaVu font, Xvfb or `import` (`scripts/install-deps.sh` installs them).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// The game's geometry and palette (its constants CELL, BAR, the *_COLORs).
const CELL: usize = 20;
const BAR: usize = 40;
const WIDTH: usize = 640;
const HEIGHT: usize = 480;
const FIELD: Rgb = (20, 24, 36);
const BAR_COLOR: Rgb = (40, 44, 64);
const BODY: Rgb = (60, 190, 90);
const HEAD: Rgb = (170, 240, 110);
const FOOD: Rgb = (235, 70, 60);
const TEXT: Rgb = (255, 214, 90);

type Rgb = (u8, u8, u8);

fn succeeds(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What is missing to run the game on a virtual screen, if anything.
fn missing() -> Vec<&'static str> {
    let mut m = Vec::new();
    if !succeeds("pkg-config", &["--exists", "sdl2"]) {
        m.push("SDL2 (libsdl2-dev)");
    }
    if !succeeds("pkg-config", &["--exists", "SDL2_ttf"]) {
        m.push("SDL2_ttf (libsdl2-ttf-dev)");
    }
    if !Path::new(FONT).is_file() {
        m.push("the DejaVu font (fonts-dejavu-core)");
    }
    if !succeeds("Xvfb", &["-help"]) {
        m.push("Xvfb (xvfb)");
    }
    if !succeeds("import", &["-version"]) {
        m.push("ImageMagick's import (imagemagick)");
    }
    m
}

/// An Xvfb server, stopped when dropped.
struct Screen {
    server: Child,
    display: String,
}

impl Screen {
    /// Starts Xvfb with one 800x600 screen on a free display: `-displayfd`
    /// makes the server choose the number and write it once it accepts
    /// connections, so no other test or program can take it meanwhile.
    fn start() -> Screen {
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "800x600x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let out = server.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let Ok(n) = line.trim().parse::<u32>() else {
            let _ = server.kill();
            let _ = server.wait();
            panic!("Xvfb did not report a display number: {line:?}");
        };
        Screen {
            server,
            display: format!(":{n}"),
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// A screenshot: `width` x `height` pixels, and the game window's position.
struct Shot {
    width: usize,
    height: usize,
    pixels: Vec<Rgb>,
    window: (usize, usize),
}

impl Shot {
    fn at(&self, x: usize, y: usize) -> Rgb {
        let (wx, wy) = self.window;
        assert!(
            wx + x < self.width && wy + y < self.height,
            "({x}, {y}) is off the screen"
        );
        self.pixels[(wy + y) * self.width + wx + x]
    }

    /// The colour at the centre of a cell of the field.
    fn cell(&self, x: usize, y: usize) -> Rgb {
        self.at(x * CELL + CELL / 2, BAR + y * CELL + CELL / 2)
    }

    /// The smallest rectangle (x0, y0, x1, y1), inclusive and in window
    /// coordinates, holding every pixel of colour `c` in the window, and
    /// how many there are.
    fn bounding_box(&self, c: Rgb) -> Option<((usize, usize, usize, usize), usize)> {
        let mut found: Option<(usize, usize, usize, usize)> = None;
        let mut n = 0;
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                if self.at(x, y) == c {
                    n += 1;
                    found = Some(match found {
                        None => (x, y, x, y),
                        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                    });
                }
            }
        }
        found.map(|b| (b, n))
    }
}

/// Reads a binary PPM (P6) with 8-bit or 16-bit samples.
fn read_ppm(bytes: &[u8]) -> (usize, usize, Vec<Rgb>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i] == b'#' {
            while bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
    }
    i += 1; // the single whitespace before the samples
    assert_eq!(fields[0], "P6", "not a binary PPM");
    let width: usize = fields[1].parse().unwrap();
    let height: usize = fields[2].parse().unwrap();
    let max: usize = fields[3].parse().unwrap();
    let size = if max < 256 { 1 } else { 2 };
    let data = &bytes[i..];
    assert_eq!(data.len(), width * height * 3 * size, "PPM size");
    // With 16-bit samples, the high byte (they are big-endian) is the 8-bit value.
    let pixels = data
        .chunks(3 * size)
        .map(|p| (p[0], p[size], p[2 * size]))
        .collect();
    (width, height, pixels)
}

/// Builds the game once into `dir`.
fn build(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = dir.join("snake");
    let out = Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(["build", "examples/sdl_snake.pole-ir", "-o"])
        .arg(&exe)
        .current_dir(root)
        .output()
        .expect("run pole");
    assert!(
        out.status.success(),
        "pole build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs the game with `args` on `screen` until it is ready, takes the
/// screenshot, lets the game end, and returns its stdout and the shot.
fn play(exe: &Path, screen: &Screen, dir: &Path, args: &[&str]) -> (String, Shot) {
    let mut game = Command::new(exe)
        .args(args)
        .env("DISPLAY", &screen.display)
        .env_remove("SDL_VIDEODRIVER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the game");
    let stdin: ChildStdin = game.stdin.take().unwrap();
    let err = game.stderr.take().unwrap();
    // The game prints "ready: window at X,Y" on stderr once its last frame
    // is on the screen; everything before and after is kept for messages.
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if line.starts_with("ready: ") {
                let _ = tx.send(line.clone());
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });
    let Ok(ready) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = game.kill();
        let _ = game.wait();
        panic!(
            "the game never got ready; stderr:\n{}",
            reader.join().unwrap()
        );
    };
    let (x, y) = ready
        .trim_start_matches("ready: window at ")
        .split_once(',')
        .expect("window position");
    let window = (x.parse().unwrap(), y.parse().unwrap());
    let file = dir.join("shot.ppm");
    let import = Command::new("import")
        .args(["-window", "root", "-depth", "8"])
        .arg(&file)
        .env("DISPLAY", &screen.display)
        .output()
        .expect("run import");
    // End of input: the game closes its window and exits.
    drop(stdin);
    let mut stdout = String::new();
    game.stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = game.wait().unwrap();
    let stderr = reader.join().unwrap();
    assert!(
        import.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(status.success(), "the game: {status}; stderr:\n{stderr}");
    let (width, height, pixels) = read_ppm(&std::fs::read(&file).unwrap());
    assert_eq!((width, height), (800, 600), "the screen's size");
    let shot = Shot {
        width,
        height,
        pixels,
        window,
    };
    (stdout, shot)
}

#[test]
fn snake_on_a_virtual_screen() {
    let missing = missing();
    if !missing.is_empty() {
        println!(
            "note: SKIPPED: the snake game needs {} (scripts/install-deps.sh installs them)",
            missing.join(", ")
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let exe = build(tmp.path());
    let screen = Screen::start();

    // The snake starts at (10, 11) heading right, eats the food at (16, 11),
    // runs on to (22, 11), goes up to eat at (22, 7), right one cell, down
    // to eat at (23, 20), then left for three cells.
    let (out, shot) = play(
        &exe,
        &screen,
        tmp.path(),
        &["--frames", "34", "--keys", "13:up,17:right,18:down,31:left"],
    );
    assert_eq!(
        out,
        "after 34 frames: score 3, length 7, head (19, 20), food (4, 21), alive\n"
    );
    // SDL centres the 640x480 window on the 800x600 screen.
    assert_eq!(shot.window, (80, 60));
    assert_eq!(shot.cell(19, 20), HEAD, "the head");
    for (x, y) in [(20, 20), (21, 20), (22, 20), (23, 20), (23, 19), (23, 18)] {
        assert_eq!(shot.cell(x, y), BODY, "the body at ({x}, {y})");
    }
    // Where the snake has been and where it is going are empty.
    for (x, y) in [(23, 17), (22, 7), (10, 11), (18, 20)] {
        assert_eq!(shot.cell(x, y), FIELD, "the field at ({x}, {y})");
    }
    // The food the seeded generator placed after the third meal.
    assert_eq!(shot.cell(4, 21), FOOD, "the food");
    assert_eq!(
        shot.bounding_box(FOOD).map(|b| b.0),
        Some((83, 463, 96, 476))
    );
    // The score "Score: 3", drawn at (12, 7) in the bar: the pixels of the
    // text colour lie in the bar's left half and nowhere else.
    assert_eq!(shot.at(600, 20), BAR_COLOR);
    let Some(((x0, y0, x1, y1), n)) = shot.bounding_box(TEXT) else {
        panic!("no pixel of the text's colour");
    };
    println!("score text: {n} pixels in ({x0}, {y0})-({x1}, {y1}) of the window");
    assert!(x0 >= 12 && x1 < WIDTH / 2, "text from x {x0} to {x1}");
    assert!(y0 >= 7 && y1 < BAR, "text from y {y0} to {y1}");
    assert!(
        x1 - x0 >= 60 && y1 - y0 >= 12,
        "text too small: {x0},{y0}-{x1},{y1}"
    );
    assert!(n >= 150, "only {n} text pixels");
    let score_width = x1 - x0;

    // Heading up from (12, 11) the snake hits the top wall after frame 13
    // and stays there; the bar says the game is over, in longer text.
    let (out, shot) = play(
        &exe,
        &screen,
        tmp.path(),
        &["--frames", "20", "--keys", "3:up"],
    );
    assert_eq!(
        out,
        "after 20 frames: score 0, length 4, head (12, 0), food (16, 11), dead\n"
    );
    assert_eq!(shot.cell(12, 0), HEAD, "the dead snake's head");
    assert_eq!(shot.cell(12, 3), BODY, "the dead snake's tail");
    assert_eq!(shot.cell(16, 11), FOOD, "the first food, never eaten");
    let Some(((x0, y0, x1, y1), _)) = shot.bounding_box(TEXT) else {
        panic!("no pixel of the text's colour");
    };
    assert!(y0 >= 7 && y1 < BAR, "text from y {y0} to {y1}");
    assert!(
        x1 - x0 > score_width + 80,
        "'Score: 0   game over' is {} pixels wide, 'Score: 3' {score_width}",
        x1 - x0
    );
}
