//! How a `@repr(C)` record crosses to C by value (§7.7), by the x86-64
//! System V classification: a struct of at most 16 bytes travels in
//! registers, one per eightbyte, an SSE register when every scalar in
//! that eightbyte is a float, else an integer register; a larger one goes
//! through memory. Written as a pure function of the C layout so that a
//! second target is a second classifier.

use super::layout::{Layout, LayoutKind};

/// The register class of one eightbyte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Int,
    Sse,
}

/// How a struct is passed or returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassMode {
    /// In registers: the class of each eightbyte, in order.
    Regs(Vec<Class>),
    /// Through memory (a copy on the stack; a result through a hidden
    /// pointer).
    Memory,
}

/// Classifies a struct of layout `l` (System V x86-64).
pub fn classify(l: &Layout) -> PassMode {
    if l.size > 16 || l.size == 0 {
        return PassMode::Memory;
    }
    let words = l.size.div_ceil(8) as usize;
    // Whether each eightbyte holds anything but floats.
    let mut int = vec![false; words];
    let mut any = vec![false; words];
    mark(l, 0, &mut int, &mut any);
    PassMode::Regs(
        (0..words)
            .map(|w| {
                if int[w] || !any[w] {
                    Class::Int
                } else {
                    Class::Sse
                }
            })
            .collect(),
    )
}

fn mark(l: &Layout, at: u64, int: &mut [bool], any: &mut [bool]) {
    match &l.kind {
        LayoutKind::Scalar(s) => {
            let w = (at / 8) as usize;
            if let Some(slot) = any.get_mut(w) {
                *slot = true;
                if !s.is_float() {
                    int[w] = true;
                }
            }
        }
        LayoutKind::Struct(fields) => {
            for (off, _, fl) in fields {
                mark(fl, at + off, int, any);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::layout::Scalar;

    fn scalar(s: Scalar) -> Layout {
        Layout {
            size: s.size(),
            align: s.size(),
            kind: LayoutKind::Scalar(s),
        }
    }

    fn strukt(fields: &[(u64, Scalar)], size: u64, align: u64) -> Layout {
        Layout {
            size,
            align,
            kind: LayoutKind::Struct(
                fields
                    .iter()
                    .map(|&(o, s)| (o, crate::types::ty::INT, scalar(s)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn system_v_eightbytes() {
        use Scalar::*;
        // div_t: two ints in one INTEGER eightbyte.
        let div = strukt(&[(0, I32), (4, I32)], 8, 4);
        assert_eq!(classify(&div), PassMode::Regs(vec![Class::Int]));
        // double complex: two SSE eightbytes.
        let c = strukt(&[(0, F64), (8, F64)], 16, 8);
        assert_eq!(classify(&c), PassMode::Regs(vec![Class::Sse, Class::Sse]));
        // { float, float }: one SSE eightbyte.
        let v2 = strukt(&[(0, F32), (4, F32)], 8, 4);
        assert_eq!(classify(&v2), PassMode::Regs(vec![Class::Sse]));
        // { float, int }: mixed in one eightbyte is INTEGER.
        let mixed = strukt(&[(0, F32), (4, I32)], 8, 4);
        assert_eq!(classify(&mixed), PassMode::Regs(vec![Class::Int]));
        // { double, long }: SSE then INTEGER.
        let dl = strukt(&[(0, F64), (8, I64)], 16, 8);
        assert_eq!(classify(&dl), PassMode::Regs(vec![Class::Sse, Class::Int]));
        // More than 16 bytes: memory.
        let big = strukt(&[(0, I64), (8, I64), (16, I64)], 24, 8);
        assert_eq!(classify(&big), PassMode::Memory);
    }
}
