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
//! Known differences from the executable, none visible in the program's
//! output: a stack overflow's "called the same way N more times" counts a
//! few frames fewer (glibc keeps a thread's static TLS at the top of the
//! stack the runtime gives its thread, and `pole`'s is larger);
//! `/proc/self/exe` is `pole`; the child's RSS includes the pages it shares
//! with `pole`; `@link` libraries are opened (their constructors run) in
//! `pole` before the fork.
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

/// Whether the runtime defines global symbol `name`: linked into every
/// program from the static archive (or into `pole`), never from a shared
/// library, so code generation calls it directly.
pub fn runtime_defines(name: &str) -> bool {
    libs::runtime(name.as_bytes()).is_some()
}

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
    let plan = Plan::new(&inputs, &symbols)?;
    let layout = image::layout(&inputs, plan.stubs.len(), plan.slots.len(), page_size());
    if layout.size >= 1 << 31 {
        return Err(NotLoaded::Unsupported("a program of 2 GiB or more".into()));
    }
    let mut img = Image::map(layout.size).map_err(NotLoaded::Unsupported)?;
    let at = Addresses {
        base: img.base(),
        layout: &layout,
        plan: &plan,
    };
    write(img.bytes(), &inputs, &at)?;
    let Some(entry) = symbols.global(b"pole_main") else {
        return Err(NotLoaded::Link);
    };
    let group = |g: Group| {
        let n = GROUPS.iter().position(|x| *x == g).unwrap_or(0);
        let (s, e) = layout.groups[n];
        (at.base + s, at.base + e)
    };
    Ok(Loaded {
        entry: at.of(entry),
        funcs: group(Group::Funcs),
        calls: group(Group::Calls),
        _image: img.protect(&layout).map_err(NotLoaded::Unsupported)?,
        _libs: libraries,
    })
}

/// What each relocation refers to (in order: object, section, relocation),
/// and the GOT slots and call stubs they need, numbered as first needed.
struct Plan {
    targets: Vec<Target>,
    slots: HashMap<Target, usize>,
    stubs: HashMap<Target, usize>,
}

impl Plan {
    fn new(inputs: &[Input<'_>], symbols: &Symbols<'_, '_>) -> Result<Plan, NotLoaded> {
        let mut plan = Plan {
            targets: Vec::new(),
            slots: HashMap::new(),
            stubs: HashMap::new(),
        };
        for (i, inp) in inputs.iter().enumerate() {
            for r in inp.sections.iter().flat_map(|s| &s.relocs) {
                let t = symbols.target(i, r.symbol)?;
                let via = reloc::via(r.kind).ok_or_else(|| {
                    NotLoaded::Unsupported(reloc::RelocError::Unsupported(r.kind).to_string())
                })?;
                let far_call = via == Via::Call && matches!(t, Target::Outside(_));
                if via == Via::Got || far_call {
                    let n = plan.slots.len();
                    plan.slots.entry(t).or_insert(n);
                }
                if far_call {
                    let n = plan.stubs.len();
                    plan.stubs.entry(t).or_insert(n);
                }
                plan.targets.push(t);
            }
        }
        Ok(plan)
    }
}

/// Addresses in the mapped image.
struct Addresses<'a> {
    base: u64,
    layout: &'a image::Layout,
    plan: &'a Plan,
}

impl Addresses<'_> {
    fn of(&self, t: Target) -> u64 {
        match t {
            Target::Image(i, k, off) => self.base + self.layout.at[i][k] + off,
            Target::Outside(a) => a,
        }
    }

    /// The GOT slot of a target that has one (offset in the image).
    fn slot(&self, t: Target) -> u64 {
        self.layout.got + 8 * self.plan.slots[&t] as u64
    }

    /// The call stub of a target that has one (offset in the image).
    fn stub(&self, t: Target) -> u64 {
        self.layout.stubs + STUB_SIZE * self.plan.stubs[&t] as u64
    }
}

/// Writes the sections, the GOT, the stubs and the relocations into the
/// image's `bytes`.
fn write(bytes: &mut [u8], inputs: &[Input<'_>], at: &Addresses<'_>) -> Result<(), NotLoaded> {
    let offset = |o: u64| o as usize;
    for (i, inp) in inputs.iter().enumerate() {
        for (k, s) in inp.sections.iter().enumerate() {
            let start = offset(at.layout.at[i][k]);
            bytes[start..start + s.data.len()].copy_from_slice(s.data);
        }
    }
    for &t in at.plan.slots.keys() {
        let slot = offset(at.slot(t));
        bytes[slot..slot + 8].copy_from_slice(&at.of(t).to_le_bytes());
    }
    for &t in at.plan.stubs.keys() {
        let (stub, slot) = (at.stub(t), at.slot(t));
        let code = image::stub(at.base + stub, at.base + slot);
        bytes[offset(stub)..offset(stub + STUB_SIZE)].copy_from_slice(&code);
    }
    let mut targets = at.plan.targets.iter();
    for (i, inp) in inputs.iter().enumerate() {
        for (k, s) in inp.sections.iter().enumerate() {
            let start = at.layout.at[i][k];
            let section = &mut bytes[offset(start)..offset(start + s.size)];
            for (r, &t) in s.relocs.iter().zip(&mut targets) {
                let to = match (reloc::via(r.kind), t) {
                    (Some(Via::Got), _) => at.base + at.slot(t),
                    (Some(Via::Call), Target::Outside(_)) => at.base + at.stub(t),
                    _ => at.of(t),
                };
                let place = at.base + start + r.offset;
                reloc::apply(section, r.offset, place, r.kind, to, r.addend)
                    .map_err(|e| NotLoaded::Unsupported(e.to_string()))?;
            }
        }
    }
    Ok(())
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
