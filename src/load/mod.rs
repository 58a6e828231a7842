//! `pole run` without the system linker: the program's objects (the very
//! ones `pole build` gives `cc`) are linked in this process — laid out in
//! one mapping, their symbols resolved against each other, the runtime
//! linked into `pole` (build.rs) and the C libraries (`libs.rs`), their
//! relocations applied — and the program runs in a fork of `pole`
//! (`child.rs`), so it behaves as the executable would: its own process,
//! exit status and signals, stdout flushed at exit, runtime errors and
//! crash reports located through the same `pole_funcs`/`pole_calls` tables.
//!
//! What this loader does not handle ([`NotLoaded`]) is left to the system
//! linker: the caller then builds and runs the executable as before.
//!
//! Rooms: `input.rs` reads an object, `image.rs` lays out and maps the
//! image, `reloc.rs` computes relocations, `libs.rs` finds symbols outside
//! the program, `child.rs` runs it.

mod child;
mod image;
mod input;
mod libs;
mod reloc;

use hashbrown::HashMap;
use image::{Image, STUB_SIZE};
use input::{Def, GROUPS, Group, Input};
use reloc::Via;

/// Why a program was not loaded in process.
#[derive(Debug)]
pub enum NotLoaded {
    /// A symbol is undefined or defined twice: the system linker reports
    /// it better (with the library that would define it).
    Link,
    /// Something this loader does not do; the reason, for a note.
    Unsupported(String),
}

/// A program loaded and relocated, ready to run.
pub struct Loaded {
    _image: Image,
    _libs: libs::Libraries,
    /// `pole_main`.
    entry: u64,
    /// `[start, end)` of the `pole_funcs` and `pole_calls` tables.
    funcs: (u64, u64),
    calls: (u64, u64),
}

/// What a relocation refers to, once symbols are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Target {
    /// Section `.1` of object `.0`, plus an offset.
    Image(usize, usize, u64),
    /// An address outside the image.
    Outside(u64),
}

/// Links `objects` (the root's first) with the runtime and `libs` (the
/// `@link` and `-l` libraries) in memory.
pub fn load(objects: &[&[u8]], libs: &[String]) -> Result<Loaded, NotLoaded> {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return Err(NotLoaded::Unsupported("not on x86-64 Linux".into()));
    }
    let inputs: Vec<Input<'_>> = objects
        .iter()
        .map(|o| input::read(o))
        .collect::<Result<_, _>>()
        .map_err(NotLoaded::Unsupported)?;
    let libraries = libs::Libraries::open(libs).map_err(NotLoaded::Unsupported)?;
    let symbols = Symbols::new(&inputs, &libraries)?;

    // Every relocation's target, and the GOT slots and stubs they need.
    let mut targets = Vec::new();
    let mut slots: HashMap<Target, usize> = HashMap::new();
    let mut stubs: HashMap<Target, usize> = HashMap::new();
    for (i, inp) in inputs.iter().enumerate() {
        for s in &inp.sections {
            for r in &s.relocs {
                let t = symbols.target(i, r.symbol)?;
                let via = reloc::via(r.kind).ok_or_else(|| {
                    NotLoaded::Unsupported(reloc::RelocError::Unsupported(r.kind).to_string())
                })?;
                let outside = matches!(t, Target::Outside(_));
                if via == Via::Got || (via == Via::Call && outside) {
                    let n = slots.len();
                    slots.entry(t).or_insert(n);
                }
                if via == Via::Call && outside {
                    let n = stubs.len();
                    stubs.entry(t).or_insert(n);
                }
                targets.push(t);
            }
        }
    }

    let page = page_size();
    let layout = image::layout(&inputs, stubs.len(), slots.len(), page);
    if layout.size >= 1 << 31 {
        return Err(NotLoaded::Unsupported("a program of 2 GiB or more".into()));
    }
    let mut img = Image::map(layout.size).map_err(NotLoaded::Unsupported)?;
    let base = img.base();
    let addr = |t: Target| match t {
        Target::Image(i, k, off) => base + layout.at[i][k] + off,
        Target::Outside(a) => a,
    };
    let bytes = img.bytes();
    for (i, inp) in inputs.iter().enumerate() {
        for (k, s) in inp.sections.iter().enumerate() {
            let at = layout.at[i][k] as usize;
            bytes[at..at + s.data.len()].copy_from_slice(s.data);
        }
    }
    for (&t, &n) in &slots {
        let at = (layout.got + 8 * n as u64) as usize;
        bytes[at..at + 8].copy_from_slice(&addr(t).to_le_bytes());
    }
    for (&t, &n) in &stubs {
        let at = layout.stubs + STUB_SIZE * n as u64;
        let slot = layout.got + 8 * slots[&t] as u64;
        let code = image::stub(base + at, base + slot);
        bytes[at as usize..(at + STUB_SIZE) as usize].copy_from_slice(&code);
    }
    let mut next = targets.into_iter();
    for (i, inp) in inputs.iter().enumerate() {
        for (k, s) in inp.sections.iter().enumerate() {
            let at = layout.at[i][k];
            let section = &mut bytes[at as usize..(at + s.size) as usize];
            for r in &s.relocs {
                let Some(t) = next.next() else {
                    return Err(NotLoaded::Unsupported("lost a relocation".into()));
                };
                let to = match (reloc::via(r.kind), t) {
                    (Some(Via::Got), _) => base + layout.got + 8 * slots[&t] as u64,
                    (Some(Via::Call), Target::Outside(_)) => {
                        base + layout.stubs + STUB_SIZE * stubs[&t] as u64
                    }
                    _ => addr(t),
                };
                reloc::apply(
                    section,
                    r.offset,
                    base + at + r.offset,
                    r.kind,
                    to,
                    r.addend,
                )
                .map_err(|e| NotLoaded::Unsupported(e.to_string()))?;
            }
        }
    }
    let entry = match symbols.global(b"pole_main") {
        Some(t) => addr(t),
        None => return Err(NotLoaded::Link),
    };
    let group = |g: Group| {
        let n = GROUPS.iter().position(|x| *x == g).unwrap_or(0);
        let (s, e) = layout.groups[n];
        (base + s, base + e)
    };
    let (funcs, calls) = (group(Group::Funcs), group(Group::Calls));
    let img = img.protect(&layout).map_err(NotLoaded::Unsupported)?;
    Ok(Loaded {
        _image: img,
        _libs: libraries,
        entry,
        funcs,
        calls,
    })
}

/// Runs a loaded program with `argv` (its name first) and the extra
/// environment variables `env` in a child process; its wait status.
pub fn run(program: &Loaded, argv: &[String], env: &[(&str, String)]) -> std::io::Result<i32> {
    child::run(program, argv, env)
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(p).ok().filter(|&p| p > 0).unwrap_or(4096)
}

/// The program's symbols: each object's globals, and what its undefined
/// symbols resolve to outside the program.
struct Symbols<'a, 'd> {
    inputs: &'a [Input<'d>],
    /// Global definitions: object and symbol index.
    globals: HashMap<&'d [u8], (usize, usize)>,
    /// Undefined symbols found outside the program, by name.
    outside: HashMap<&'d [u8], u64>,
}

impl<'a, 'd> Symbols<'a, 'd> {
    fn new(inputs: &'a [Input<'d>], libraries: &libs::Libraries) -> Result<Self, NotLoaded> {
        let mut globals: HashMap<&'d [u8], (usize, usize)> = HashMap::new();
        for (i, inp) in inputs.iter().enumerate() {
            for (k, s) in inp.symbols.iter().enumerate() {
                if !s.global || matches!(s.def, Def::Undefined | Def::Nothing) {
                    continue;
                }
                match globals.get(s.name) {
                    None => {
                        globals.insert(s.name, (i, k));
                    }
                    // A strong definition replaces a weak one; two strong
                    // ones are the linker's error to report.
                    Some(&(j, m)) if inputs[j].symbols[m].weak => {
                        if !s.weak {
                            globals.insert(s.name, (i, k));
                        }
                    }
                    Some(_) if s.weak => {}
                    Some(_) => return Err(NotLoaded::Link),
                }
            }
        }
        // Only symbols that loaded sections refer to: an object may declare
        // more (cranelift-object adds a symbol for every declaration), and
        // the linker looks only for those it relocates against.
        let mut outside = HashMap::new();
        let referenced = inputs.iter().flat_map(|inp| {
            inp.sections
                .iter()
                .flat_map(|sec| &sec.relocs)
                .filter_map(|r| inp.symbols.get(r.symbol))
        });
        for s in referenced {
            if s.def != Def::Undefined || s.name.is_empty() || globals.contains_key(s.name) {
                continue;
            }
            if outside.contains_key(s.name) {
                continue;
            }
            match libraries.find(s.name) {
                Some(a) => {
                    outside.insert(s.name, a as u64);
                }
                None if s.weak => {
                    outside.insert(s.name, 0);
                }
                None => return Err(NotLoaded::Link),
            }
        }
        Ok(Symbols {
            inputs,
            globals,
            outside,
        })
    }

    /// What symbol `k` of object `i` refers to.
    fn target(&self, i: usize, k: usize) -> Result<Target, NotLoaded> {
        let missing = || NotLoaded::Unsupported("a relocation against a missing symbol".into());
        let s = self.inputs[i].symbols.get(k).ok_or_else(missing)?;
        match s.def {
            Def::Nothing => Err(missing()),
            Def::Section(sec, off) => self.in_section(i, sec, off),
            Def::Absolute(a) => Ok(Target::Outside(a)),
            Def::Undefined => match self.global(s.name) {
                Some(t) => Ok(t),
                None => self
                    .outside
                    .get(s.name)
                    .map(|&a| Target::Outside(a))
                    .ok_or_else(missing),
            },
        }
    }

    /// The definition of global `name` in the program.
    fn global(&self, name: &[u8]) -> Option<Target> {
        let &(j, m) = self.globals.get(name)?;
        match self.inputs[j].symbols[m].def {
            Def::Section(sec, off) => self.in_section(j, sec, off).ok(),
            Def::Absolute(a) => Some(Target::Outside(a)),
            Def::Undefined | Def::Nothing => None,
        }
    }

    /// Offset `off` of the section with index `sec` in object `i`.
    fn in_section(&self, i: usize, sec: usize, off: u64) -> Result<Target, NotLoaded> {
        self.inputs[i]
            .sections
            .iter()
            .position(|s| s.index == sec)
            .map(|k| Target::Image(i, k, off))
            .ok_or_else(|| NotLoaded::Unsupported("a reference to a section not loaded".into()))
    }
}
