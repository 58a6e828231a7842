//! The object cache of `pole build ROOT -o OUT`: each file's object is
//! stored under a key that covers everything its code depends on, so a
//! rebuild after editing one file compiles only that file (and the files
//! importing it, when its declarations changed).
//!
//! The key ([`key`]) is a SHA-256 of: the compiler (version, and the size
//! and modification time of its executable, so any rebuilt compiler starts
//! afresh), the target (triple, flags and host CPU features), the code
//! generation options, the file's path relative to the root's directory
//! (symbols and runtime error locations name it), its text, and, for every
//! file whose declarations its compilation loads ([`modules::load_imports`]),
//! that file's relative path, the files it imports, and its text without
//! function bodies (but with the bodies that are a single literal: calls
//! of such a function are replaced by its value). A body edited in an
//! imported file therefore leaves the importers' objects valid.
//!
//! An entry is one file, `objects/HEX` in the cache directory: a magic
//! line, the payload's length and SHA-256, then the payload (the `@link`
//! libraries, the externs' C symbols for link error reports, the object).
//! Entries are written atomically (temporary file and rename); one that
//! does not verify is ignored and the file compiled again. Only files
//! compiled without any diagnostic are stored (warnings are printed by
//! every build).

use super::modules::{self, FileCtx};
use super::{Built, ExternDecl};
use crate::codegen;
use crate::memory::{Memory, Phase};
use crate::syntax::ast::{Item, Program};
use crate::syntax::{Interner, Span};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"pole object cache 1\n";

/// A cache directory.
pub struct Cache {
    dir: PathBuf,
}

/// What an object depends on, hashed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Key([u8; 32]);

impl Cache {
    /// The directory named by `POLE_CACHE_DIR` (set and empty: no cache),
    /// else `$XDG_CACHE_HOME/pole` (when absolute), else `$HOME/.cache/pole`;
    /// `None` when there is none.
    pub fn from_env() -> Option<Cache> {
        let var = |k: &str| std::env::var_os(k).map(PathBuf::from);
        let dir = match var("POLE_CACHE_DIR") {
            Some(d) if d.as_os_str().is_empty() => return None,
            Some(d) => d,
            None => match var("XDG_CACHE_HOME").filter(|d| d.is_absolute()) {
                Some(d) => d.join("pole"),
                None => var("HOME").filter(|d| d.is_absolute())?.join(".cache/pole"),
            },
        };
        Some(Cache { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, key: &Key) -> PathBuf {
        let hex: String = key.0.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("objects").join(hex)
    }

    /// The stored build for `key`, if there is one that verifies. An entry
    /// larger than `cap` (the memory limit: no object compiled under it is
    /// larger) is not read, nor is anything but a regular file.
    pub fn get(&self, key: &Key, cap: usize) -> Option<Built> {
        let bytes = crate::fsio::read_regular(&self.entry(key), cap).ok()?;
        decode(&bytes)
    }

    /// Stores `object` (the bytes of `built`'s object) for `key`; failures
    /// are ignored (the cache only saves time).
    pub fn put(&self, key: &Key, built: &Built, object: &[u8]) {
        let path = self.entry(key);
        if let Some(dir) = path.parent()
            && std::fs::create_dir_all(dir).is_ok()
        {
            let _ = crate::link::write_atomic(&path, &encode(built, object), false);
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

fn encode(built: &Built, object: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(object.len() + 256);
    payload.extend_from_slice(&(built.links.len() as u64).to_le_bytes());
    for l in &built.links {
        put_bytes(&mut payload, l.as_bytes());
    }
    payload.extend_from_slice(&(built.externs.len() as u64).to_le_bytes());
    for e in &built.externs {
        put_bytes(&mut payload, e.symbol.as_bytes());
        put_bytes(&mut payload, e.name.as_bytes());
        payload.extend_from_slice(&e.span.start.to_le_bytes());
        payload.extend_from_slice(&e.span.end.to_le_bytes());
    }
    put_bytes(&mut payload, object);
    let mut out = Vec::with_capacity(payload.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    out
}

/// Reads an entry, checking its length and digest first: any damage
/// (truncation, a flipped byte, another format) is a miss.
fn decode(bytes: &[u8]) -> Option<Built> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (len, rest) = rest.split_at_checked(8)?;
    let (digest, payload) = rest.split_at_checked(32)?;
    if u64::from_le_bytes(len.try_into().ok()?) != payload.len() as u64
        || Sha256::digest(payload).as_slice() != digest
    {
        return None;
    }
    let mut r = Reader(payload);
    let links = (0..r.u64()?)
        .map(|_| r.string())
        .collect::<Option<Vec<_>>>()?;
    let externs = (0..r.u64()?)
        .map(|_| {
            Some(ExternDecl {
                symbol: r.string()?,
                name: r.string()?,
                span: Span::new(r.u32()? as usize, r.u32()? as usize),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let object = r.bytes()?.to_vec();
    if !r.0.is_empty() {
        return None;
    }
    Some(Built {
        object: codegen::ObjectFile::from_bytes(object),
        links,
        externs,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = self.0.split_at_checked(n)?;
        self.0 = b;
        Some(a)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }

    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
}

/// The compiler and the target: version, the executable's size and
/// modification time, and [`codegen::target_id`]. `None` when the
/// executable cannot be examined (then nothing is cached).
fn compiler_id() -> Option<String> {
    static ID: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
        let modified = exe
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        let target = codegen::target_id().ok()?;
        Some(format!(
            "{} {} {}.{:09}\n{target}",
            env!("CARGO_PKG_VERSION"),
            exe.len(),
            modified.as_secs(),
            modified.subsec_nanos()
        ))
    })
    .clone()
}

/// A key's fields, each length-prefixed (so no two field lists hash alike).
struct Hasher(Sha256);

impl Hasher {
    fn field(&mut self, b: &[u8]) {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
    }
}

/// Hashes `text` without its function bodies (each runs from its first
/// token to the next item), except what importers see of a body: the
/// literal that is a whole body, which calls are replaced by, and the
/// whole body of a generic function, which they instantiate.
fn hash_declarations(h: &mut Hasher, text: &[u8], prog: &Program<'_>) {
    let mut starts: Vec<u32> = prog.items.iter().map(Item::text_start).collect();
    starts.sort_unstable();
    let mut at = 0usize;
    for item in prog.items {
        let Item::Func(f) = item else { continue };
        h.field(format!("{:?}", f.literal_body()).as_bytes());
        // A generic function's body is compiled by its importers (§4.8).
        if !f.tparams().is_empty() {
            continue;
        }
        let Some(body) = f.body_at() else { continue };
        let body = (body as usize).clamp(at, text.len());
        let end = starts
            .iter()
            .find(|&&s| s as usize > body)
            .map_or(text.len(), |&s| s as usize);
        h.field(&text[at..body]);
        at = end;
    }
    h.field(&text[at..]);
}

/// The key of file `cx.file`'s object, compiled from `src` with `opts`:
/// loads the declarations of its imports as its compilation will (in
/// `mem`, which the compilation resets). `None` when the compiler cannot
/// be identified or an import cannot be loaded cleanly (the compilation
/// reports that; nothing is cached).
pub fn key(src: &[u8], cx: FileCtx<'_>, opts: codegen::Options, mem: &mut Memory) -> Option<Key> {
    let id = compiler_id()?;
    mem.reset();
    let arena = mem.arena(Phase::Parse);
    let mut names = Interner::new(arena);
    let loaded = modules::load_imports(cx, arena, &mut names).ok()?;
    if loaded.broken || !loaded.errors.is_empty() {
        return None;
    }
    let mut h = Hasher(Sha256::new());
    h.field(id.as_bytes());
    h.field(format!("{opts:?}").as_bytes());
    h.field(cx.symbol_path(cx.file).as_bytes());
    h.field(src);
    let imports = |h: &mut Hasher, list: &[(u32, &str)]| {
        h.field(&(list.len() as u64).to_le_bytes());
        for (s, written) in list {
            h.field(&s.to_le_bytes());
            h.field(written.as_bytes());
        }
    };
    imports(&mut h, &loaded.own);
    for (f, prog, list) in &loaded.files {
        h.field(cx.symbol_path(*f).as_bytes());
        imports(&mut h, list);
        let text = cx.graph.read(*f).ok()?;
        hash_declarations(&mut h, &text, prog);
    }
    Some(Key(h.0.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Built {
        Built {
            object: codegen::ObjectFile::from_bytes(b"\x7fELF object".to_vec()),
            links: vec!["m".into()],
            externs: vec![ExternDecl {
                symbol: "puts".into(),
                name: "puts".into(),
                span: Span::new(3, 7),
            }],
        }
    }

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let b = built();
        let bytes = encode(&b, b"\x7fELF object");
        let back = decode(&bytes).expect("decodes");
        assert_eq!(back.links, b.links);
        assert_eq!(back.externs[0].symbol, "puts");
        assert_eq!(back.externs[0].span, Span::new(3, 7));
        assert_eq!(
            back.object.to_bytes().ok(),
            Some(b"\x7fELF object".to_vec())
        );
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_none(), "truncated at {n}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x20;
            assert!(decode(&bad).is_none(), "flipped byte {i}");
        }
    }
}
