//! x86-64 relocations: the value each kind writes at its place, as the
//! System V psABI defines it. The caller picks what the symbol is for each
//! kind: a call's target (or its stub when the target is out of reach), a
//! GOT slot's address for `GOTPCREL*`, else the symbol's address.

use object::elf;

/// Why a relocation cannot be applied.
#[derive(Debug, PartialEq, Eq)]
pub enum RelocError {
    /// A kind this loader does not handle.
    Unsupported(u32),
    /// The value does not fit the field.
    Overflow(u32),
    /// The place is outside its section.
    OutOfBounds,
}

impl std::fmt::Display for RelocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelocError::Unsupported(k) => write!(f, "relocation type {k}"),
            RelocError::Overflow(k) => write!(f, "relocation type {k} out of range"),
            RelocError::OutOfBounds => f.write_str("a relocation outside its section"),
        }
    }
}

/// How a relocation's target is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The symbol's address itself.
    Direct,
    /// A call: through a stub when the symbol is outside the image.
    Call,
    /// The address of a GOT slot holding the symbol's address.
    Got,
}

/// How relocation kind `kind` reaches its target, or `None` if unsupported.
pub fn via(kind: u32) -> Option<Via> {
    match kind {
        elf::R_X86_64_64 | elf::R_X86_64_PC32 | elf::R_X86_64_32 | elf::R_X86_64_32S => {
            Some(Via::Direct)
        }
        elf::R_X86_64_PLT32 => Some(Via::Call),
        elf::R_X86_64_GOTPCREL | elf::R_X86_64_GOTPCRELX | elf::R_X86_64_REX_GOTPCRELX => {
            Some(Via::Got)
        }
        _ => None,
    }
}

/// Writes relocation `kind` at `bytes[offset..]`, whose address is
/// `place`: `target` is what [`via`] says (symbol, stub or GOT slot).
pub fn apply(
    bytes: &mut [u8],
    offset: u64,
    place: u64,
    kind: u32,
    target: u64,
    addend: i64,
) -> Result<(), RelocError> {
    let sum = target.wrapping_add_signed(addend);
    let overflow = |_| RelocError::Overflow(kind);
    let mut field = [0u8; 8];
    let len = match kind {
        elf::R_X86_64_64 => {
            field = sum.to_le_bytes();
            8
        }
        elf::R_X86_64_PC32
        | elf::R_X86_64_PLT32
        | elf::R_X86_64_GOTPCREL
        | elf::R_X86_64_GOTPCRELX
        | elf::R_X86_64_REX_GOTPCRELX => {
            let rel = i32::try_from(sum.wrapping_sub(place) as i64).map_err(overflow)?;
            field[..4].copy_from_slice(&rel.to_le_bytes());
            4
        }
        elf::R_X86_64_32 => {
            field[..4].copy_from_slice(&u32::try_from(sum).map_err(overflow)?.to_le_bytes());
            4
        }
        elf::R_X86_64_32S => {
            field[..4].copy_from_slice(&i32::try_from(sum as i64).map_err(overflow)?.to_le_bytes());
            4
        }
        _ => return Err(RelocError::Unsupported(kind)),
    };
    let start = usize::try_from(offset).map_err(|_| RelocError::OutOfBounds)?;
    let end = start.checked_add(len).ok_or(RelocError::OutOfBounds)?;
    bytes
        .get_mut(start..end)
        .ok_or(RelocError::OutOfBounds)?
        .copy_from_slice(&field[..len]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_each_kind() {
        let mut b = [0u8; 16];
        apply(&mut b, 0, 0x1000, elf::R_X86_64_64, 0x1234_5678_9abc, 4).unwrap();
        assert_eq!(
            u64::from_le_bytes(b[..8].try_into().unwrap()),
            0x1234_5678_9ac0
        );
        // A call 0x100 bytes back from the field's end: S + A - P with A = -4.
        apply(&mut b, 8, 0x2000, elf::R_X86_64_PLT32, 0x1f04, -4).unwrap();
        assert_eq!(i32::from_le_bytes(b[8..12].try_into().unwrap()), -0x100);
        apply(&mut b, 12, 0x2000, elf::R_X86_64_GOTPCREL, 0x3000, -4).unwrap();
        assert_eq!(i32::from_le_bytes(b[12..16].try_into().unwrap()), 0xffc);
    }

    #[test]
    fn out_of_range_unsupported_and_out_of_bounds() {
        let mut b = [0u8; 8];
        assert_eq!(
            apply(&mut b, 0, 0, elf::R_X86_64_PC32, 1 << 40, 0),
            Err(RelocError::Overflow(elf::R_X86_64_PC32))
        );
        assert_eq!(
            apply(&mut b, 0, 0, elf::R_X86_64_32, 1 << 33, 0),
            Err(RelocError::Overflow(elf::R_X86_64_32))
        );
        assert_eq!(
            apply(&mut b, 0, 0, elf::R_X86_64_TPOFF32, 0, 0),
            Err(RelocError::Unsupported(elf::R_X86_64_TPOFF32))
        );
        assert_eq!(
            apply(&mut b, 6, 0, elf::R_X86_64_PC32, 0, 0),
            Err(RelocError::OutOfBounds)
        );
        assert_eq!(via(elf::R_X86_64_PLT32), Some(Via::Call));
        assert_eq!(via(elf::R_X86_64_GOTPCRELX), Some(Via::Got));
        assert_eq!(via(elf::R_X86_64_TPOFF32), None);
    }
}
