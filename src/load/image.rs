//! The program's memory: where each loaded section goes, one mapping for
//! all of them, and the protections of an executable's segments once the
//! relocations are written.
//!
//! ```text
//! [ code of every object | call stubs ]             read + execute
//! [ constants            | GOT          ]           read only
//! [ data | pole_funcs of every object | pole_calls ] read + write
//! ```
//!
//! Each part starts on a page. The image is one mapping of less than 2 GiB,
//! so every PC-relative reference inside it fits in 32 bits; what is outside
//! (the runtime in `pole`, C libraries) is reached through the GOT: a call
//! through a stub `jmp *slot(%rip)`, an address by loading the slot.

use super::input::{GROUPS, Group, Input};

/// Bytes per call stub: `ff 25 REL32` (`jmp *REL32(%rip)`) and two `int3`.
pub const STUB_SIZE: u64 = 8;

/// Offsets in the image.
pub struct Layout {
    /// `at[i][k]`: where section `k` of object `i` (its index in
    /// `Input::sections`) starts.
    pub at: Vec<Vec<u64>>,
    /// `[start, end)` of each group (in [`GROUPS`] order).
    pub groups: [(u64, u64); GROUPS.len()],
    pub stubs: u64,
    pub got: u64,
    /// End of the executable part and of the read-only part.
    pub exec_end: u64,
    pub ro_end: u64,
    pub size: u64,
}

fn align(x: u64, a: u64) -> u64 {
    x.div_ceil(a) * a
}

/// Lays out the sections of `inputs`, `stubs` call stubs and `slots` GOT
/// slots on pages of `page` bytes.
pub fn layout(inputs: &[Input<'_>], stubs: usize, slots: usize, page: u64) -> Layout {
    let mut at: Vec<Vec<u64>> = inputs.iter().map(|i| vec![0; i.sections.len()]).collect();
    let mut groups = [(0, 0); GROUPS.len()];
    let mut end = 0u64;
    let (mut stub_at, mut got_at, mut exec_end, mut ro_end) = (0, 0, 0, 0);
    for (g, group) in GROUPS.iter().enumerate() {
        if *group == Group::ReadOnly {
            exec_end = align(end, page);
            end = exec_end;
        }
        if *group == Group::Data {
            ro_end = align(end, page);
            end = ro_end;
        }
        let start = end;
        for (i, input) in inputs.iter().enumerate() {
            for (k, s) in input.sections.iter().enumerate() {
                if s.group == *group {
                    end = align(end, s.align);
                    at[i][k] = end;
                    end += s.size;
                }
            }
        }
        groups[g] = (start, end);
        match group {
            Group::Text => {
                stub_at = align(end, 16);
                end = stub_at + STUB_SIZE * stubs as u64;
            }
            Group::ReadOnly => {
                got_at = align(end, 8);
                end = got_at + 8 * slots as u64;
            }
            _ => {}
        }
    }
    Layout {
        at,
        groups,
        stubs: stub_at,
        got: got_at,
        exec_end,
        ro_end,
        size: align(end.max(1), page),
    }
}

/// The bytes of a call stub at address `stub` jumping through the GOT slot
/// at address `slot` (within 2 GiB: both are in the image).
pub fn stub(stub: u64, slot: u64) -> [u8; STUB_SIZE as usize] {
    let rel = slot.wrapping_sub(stub + 6) as i32;
    let r = rel.to_le_bytes();
    [0xff, 0x25, r[0], r[1], r[2], r[3], 0xcc, 0xcc]
}

/// One private anonymous mapping, unmapped when dropped.
pub struct Image {
    base: *mut u8,
    size: usize,
}

impl Image {
    /// Maps `size` bytes, readable and writable, zeroed.
    pub fn map(size: u64) -> Result<Image, String> {
        let size = usize::try_from(size).map_err(|_| "a program too large".to_string())?;
        // SAFETY: a new anonymous mapping; nothing else refers to it.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(format!(
                "cannot map memory: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(Image {
            base: p.cast(),
            size,
        })
    }

    pub fn base(&self) -> u64 {
        self.base as u64
    }

    /// The whole image, while it is writable (before [`Image::protect`]).
    pub fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is `size` bytes, readable and writable until
        // `protect`, which takes `self` by value.
        unsafe { std::slice::from_raw_parts_mut(self.base, self.size) }
    }

    /// Gives the parts of `layout` their final protections.
    pub fn protect(self, layout: &Layout) -> Result<Image, String> {
        let parts = [
            (0, layout.exec_end, libc::PROT_READ | libc::PROT_EXEC),
            (layout.exec_end, layout.ro_end, libc::PROT_READ),
        ];
        for (start, end, prot) in parts {
            if end <= start {
                continue;
            }
            // SAFETY: a page-aligned range inside this mapping.
            let r = unsafe {
                libc::mprotect(
                    self.base.add(start as usize).cast(),
                    (end - start) as usize,
                    prot,
                )
            };
            if r != 0 {
                return Err(format!(
                    "cannot protect memory: {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        Ok(self)
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: the mapping made by `map`, no longer used.
        unsafe {
            libc::munmap(self.base.cast(), self.size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::input::Section;

    fn section(group: Group, align: u64, size: u64) -> Section<'static> {
        Section {
            index: 0,
            group,
            align,
            size,
            data: &[],
            relocs: Vec::new(),
        }
    }

    #[test]
    fn groups_in_order_on_their_own_pages() {
        let a = Input {
            sections: vec![
                section(Group::Funcs, 8, 48),
                section(Group::Text, 16, 100),
                section(Group::ReadOnly, 8, 10),
            ],
            symbols: Vec::new(),
        };
        let b = Input {
            sections: vec![section(Group::Funcs, 8, 24), section(Group::Text, 16, 5)],
            symbols: Vec::new(),
        };
        let l = layout(&[a, b], 2, 3, 4096);
        // Code: a's at 0, b's aligned after it, then the stubs.
        assert_eq!((l.at[0][1], l.at[1][1]), (0, 112));
        assert_eq!(l.stubs, 128);
        assert_eq!(l.exec_end, 4096);
        assert_eq!(l.at[0][2], 4096);
        assert_eq!(l.got, 4096 + 16);
        assert_eq!(l.ro_end, 8192);
        // Both objects' pole_funcs are one array.
        assert_eq!((l.at[0][0], l.at[1][0]), (8192, 8192 + 48));
        assert_eq!(l.groups[3], (8192, 8192 + 72));
        assert_eq!(l.size, 3 * 4096);
    }

    #[test]
    fn a_stub_jumps_through_its_slot() {
        assert_eq!(
            stub(0x1000, 0x2000),
            [0xff, 0x25, 0xfa, 0x0f, 0, 0, 0xcc, 0xcc]
        );
    }
}
