//! The symbols a program's objects leave undefined, found where the linked
//! executable would find them, in the same order as `cc` links it: the
//! runtime (linked into `pole` itself, see build.rs), then each `@link`
//! library (opened with `dlopen`; only what the library itself defines, as
//! the linker does not look into its dependencies), then the C library,
//! libm and libpthread (and libgcc_s, which `cc` also links).

use std::ffi::{CStr, CString, c_void};

include!(concat!(env!("OUT_DIR"), "/runtime_symbols.rs"));

/// The address of the runtime's global symbol `name`.
pub fn runtime(name: &[u8]) -> Option<usize> {
    runtime_symbol(name)
}

/// Libraries that are parts of the C library (glibc 2.34 and later): an
/// `@link` of one of them adds nothing to the system search.
const PARTS_OF_LIBC: &[&str] = &["c", "m", "pthread", "dl", "rt", "util"];

/// The objects whose symbols an executable linked by `cc` may use without
/// an `@link`, by the start of their file names.
const SYSTEM_OBJECTS: &[&[u8]] = &[
    b"libc.so",
    b"libm.so",
    b"libpthread.so",
    b"ld-linux",
    b"libgcc_s.so",
];

/// An `@link` library, opened.
struct Library {
    handle: *mut c_void,
    /// Its file, as the dynamic loader names it (`dladdr` answers with it).
    path: CString,
}

/// Where undefined symbols are looked for. The libraries stay loaded for
/// the life of the process (the program runs in a fork of it).
pub struct Libraries {
    libs: Vec<Library>,
}

impl Libraries {
    /// Opens `libNAME.so` for each of `names` (the `@link` and `-l`
    /// libraries). An error says which cannot be loaded and why (a static
    /// library only, a linker script): the system linker will do.
    pub fn open(names: &[String]) -> Result<Libraries, String> {
        let mut libs = Vec::new();
        for name in names {
            if PARTS_OF_LIBC.contains(&name.as_str()) {
                continue;
            }
            let file = CString::new(format!("lib{name}.so"))
                .map_err(|_| format!("the library name '{name}'"))?;
            // SAFETY: a NUL-terminated file name; the library's constructors
            // run as they would in the program.
            let handle = unsafe { libc::dlopen(file.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL) };
            if handle.is_null() {
                return Err(format!("cannot load lib{name}: {}", dl_error()));
            }
            let path = own_path(handle).unwrap_or(file);
            libs.push(Library { handle, path });
        }
        // libm is part of every link; `pole` normally has it loaded already.
        // SAFETY: as above.
        unsafe {
            libc::dlopen(c"libm.so.6".as_ptr(), libc::RTLD_LAZY | libc::RTLD_GLOBAL);
        }
        Ok(Libraries { libs })
    }

    /// The address of `name` as the program's link would bind it, or
    /// `None` if nothing it links defines it.
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        if let Some(a) = runtime_symbol(name) {
            return Some(a);
        }
        let c = CString::new(name).ok()?;
        for lib in &self.libs {
            // SAFETY: a live handle and a NUL-terminated name.
            let a = unsafe { libc::dlsym(lib.handle, c.as_ptr()) };
            if !a.is_null() && defined_in(a).is_some_and(|f| f == lib.path.as_c_str()) {
                return Some(a as usize);
            }
        }
        // SAFETY: RTLD_DEFAULT searches the libraries `pole` was started with.
        let a = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c.as_ptr()) };
        let system = defined_in(a).is_some_and(|f| {
            let base = f.to_bytes().rsplit(|&b| b == b'/').next().unwrap_or(b"");
            SYSTEM_OBJECTS.iter().any(|s| base.starts_with(s))
        });
        (!a.is_null() && system).then_some(a as usize)
    }
}

/// The file of the object that defines the address `a` (`dladdr`).
fn defined_in(a: *mut c_void) -> Option<&'static CStr> {
    if a.is_null() {
        return None;
    }
    // SAFETY: `info` is a valid out-pointer; dladdr only reads `a`.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(a, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        // The loader keeps the name as long as the object stays loaded, and
        // nothing here is ever unloaded.
        Some(CStr::from_ptr(info.dli_fname))
    }
}

/// The start of glibc's `struct link_map` (`<link.h>`).
#[repr(C)]
struct LinkMap {
    _l_addr: usize,
    l_name: *const std::ffi::c_char,
}

/// The file name the loader gave `handle`'s object.
fn own_path(handle: *mut c_void) -> Option<CString> {
    // SAFETY: RTLD_DI_LINKMAP stores a pointer to the handle's link map,
    // whose `l_name` is a NUL-terminated string.
    unsafe {
        let mut map: *const LinkMap = std::ptr::null();
        let out = (&raw mut map).cast::<c_void>();
        if libc::dlinfo(handle, libc::RTLD_DI_LINKMAP, out) != 0 || map.is_null() {
            return None;
        }
        let name = (*map).l_name;
        (!name.is_null()).then(|| CStr::from_ptr(name).to_owned())
    }
}

fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message.
    unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            "unknown error".into()
        } else {
            CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_then_libc_and_nothing_else() {
        let libs = Libraries::open(&["m".to_string()]).expect("open");
        assert!(libs.find(b"pole_rt_run_loaded").is_some());
        assert!(libs.find(b"printf").is_some());
        assert!(libs.find(b"sqrt").is_some());
        assert!(libs.find(b"no_such_symbol_anywhere").is_none());
        // Defined by `pole` itself (Rust), not by anything a program links.
        assert!(libs.find(b"rust_eh_personality").is_none());
    }
}
