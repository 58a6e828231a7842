//! Phase 3 of a function's way to the object: Cranelift compiles its
//! function to machine code (on any thread; the heavy work), and the code's
//! relocations, line ranges, direct calls and variable slots are collected
//! for the definition phase ([`super::define`]).

use super::super::{debug_estimates, func, panic_message};
use cranelift_codegen::Context;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::TargetIsa;
use cranelift_module::{FuncId, ModuleReloc};
use std::collections::HashMap;

/// Machine code of one function, ready to be defined in the object.
pub(super) struct Compiled {
    pub alignment: u64,
    pub bytes: Vec<u8>,
    pub relocs: Vec<ModuleReloc>,
    /// Machine-code ranges and the source offsets they come from.
    pub lines: Vec<(u32, u32, u32)>,
    /// Direct calls: return offset, callee.
    pub calls: Vec<(u32, Option<FuncId>)>,
    /// Each named variable's stack slot: `(k, offset from the frame
    /// pointer)` (see `func::named_slots`).
    pub slots: Vec<(u32, i32)>,
}

/// Compiles `func` in the reusable `ctx` (Cranelift's heavy work; runs on
/// any thread). Also gives `func` back cleared, as a [`spare`] to build
/// another function in, unless it was large.
pub(super) fn compile_one(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    func: Function,
    id: FuncId,
) -> (Result<Compiled, String>, Option<Function>) {
    ctx.func = func;
    let r = compile_kept(isa, ctx, id);
    let small = ctx.func.dfg.num_insts() <= SPARE_MAX_INSTS;
    ctx.clear();
    (
        r,
        small.then(|| std::mem::replace(&mut ctx.func, Function::new())),
    )
}

/// Spare functions kept at most (`Gen::spare_funcs`): building a function
/// in a cleared one reuses its tables' storage instead of growing new
/// ones from nothing (a tenth of the building).
pub(super) const SPARES: usize = 32;

/// Functions of more instructions are not kept as spares (their storage
/// would stay held).
const SPARE_MAX_INSTS: usize = 2048;

/// Keeps `spare` for building another function, if there is room.
pub(super) fn spare(spares: &mut Vec<Function>, spare: Option<Function>) {
    if let Some(f) = spare
        && spares.len() < SPARES
    {
        spares.push(f);
    }
}

fn compile_kept(isa: &dyn TargetIsa, ctx: &mut Context, id: FuncId) -> Result<Compiled, String> {
    let before = crate::memory::thread_live();
    crate::memory::thread_reset_peak();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compile_in(isa, ctx, id)));
    let r = match r {
        Ok(r) => r,
        Err(p) => {
            // The context may be left in any state: start afresh.
            *ctx = Context::new();
            return Err(format!("{PANIC_PREFIX}{}", panic_message(&*p)));
        }
    };
    if debug_estimates() {
        eprintln!(
            "pole: estimate compile peak {}",
            crate::memory::thread_peak() - before
        );
    }
    r
}

/// Marks a backend error that was a caught panic.
pub(super) const PANIC_PREFIX: &str = "panic: ";

fn compile_in(isa: &dyn TargetIsa, ctx: &mut Context, id: FuncId) -> Result<Compiled, String> {
    let (alignment, bytes, relocs, lines, rets, value_calls, slots) = {
        let code = ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| format!("{:?}", e.inner))?;
        let relocs: Vec<_> = code.buffer.relocs().to_vec();
        let rets: Vec<u32> = code.buffer.call_sites().map(|c| c.ret_addr).collect();
        let slots = func::named_slots(code.buffer.frame_layout());
        let located = code.buffer.get_srclocs_sorted();
        // Calls of function values carry their location with a flag (see
        // `func::VALUE_CALL`): the code ranges of those calls.
        let value_calls: Vec<(u32, u32)> = located
            .iter()
            .filter(|l| !l.loc.is_default() && l.loc.bits() & func::VALUE_CALL != 0)
            .map(|l| (l.start, l.end))
            .collect();
        let lines = located
            .iter()
            .filter(|l| !l.loc.is_default())
            .map(|l| (l.start, l.end, l.loc.bits() & !func::VALUE_CALL))
            .collect();
        (
            code.buffer.alignment as u64,
            code.buffer.data().to_vec(),
            relocs,
            lines,
            rets,
            value_calls,
            slots,
        )
    };
    let relocs: Vec<ModuleReloc> = relocs
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
        .collect();
    let calls = direct_calls(&bytes, &relocs, &rets, &value_calls);
    Ok(Compiled {
        alignment,
        bytes,
        relocs,
        lines,
        calls,
        slots,
    })
}

/// The direct calls (`call rel32`, not tail jumps) among the call sites
/// returning at `rets`: each call's return offset and its callee.
fn direct_calls(
    bytes: &[u8],
    relocs: &[ModuleReloc],
    rets: &[u32],
    value_calls: &[(u32, u32)],
) -> Vec<(u32, Option<FuncId>)> {
    const CALL_REL32: u8 = 0xE8;
    // Call relocations by offset (one pass: huge functions make many calls).
    let targets: HashMap<u32, FuncId> = relocs
        .iter()
        .filter_map(|r| match r.name {
            cranelift_module::ModuleRelocTarget::User {
                namespace: 0,
                index,
            } if matches!(r.kind, Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4) => {
                Some((r.offset, FuncId::from_u32(index)))
            }
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for &ret in rets {
        let Some(at) = ret.checked_sub(5) else {
            continue;
        };
        if bytes.get(at as usize) != Some(&CALL_REL32) {
            // A call of a function value's code (its location is flagged).
            if value_calls.iter().any(|&(s, e)| s < ret && ret <= e) {
                out.push((ret, None));
            }
            continue;
        }
        if let Some(&f) = targets.get(&(at + 1)) {
            out.push((ret, Some(f)));
        }
    }
    out
}
