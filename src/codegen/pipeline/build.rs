//! Phases 1 and 2 of a function's way to the object: it is lowered to the
//! IR (`ir::lower`, in a scratch arena reset per unit) and its Cranelift
//! function is built (`func::emit`), with its codegen memory estimated and
//! charged before it is handed on.

use super::super::func;
use super::super::{
    CHEAP_ABOVE, CodegenError, Gen, RELEASE_FACTOR, Source, backend, codegen_estimate, debug,
    debug_estimates, declare_instances, instance_name, ir_signature, panic_message,
};
use super::define::{Slot, SlotDebug};
use crate::ir::{self, lower};
use crate::memory::{Memory, Phase};
use crate::syntax::Interner;
use crate::types::check::Checked;
use cranelift_codegen::ir::{Function, UserFuncName};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{FuncId, Linkage, Module};

/// A unit's name in debug information, the source offset of its
/// declaration, and whether it is a Pole function.
fn unit_debug_name(ck: &Checked<'_>, names: &Interner<'_>, u: lower::Unit) -> (String, u32, bool) {
    match u {
        lower::Unit::Pole(fi) => {
            let d = ck.funcs[fi as usize].decl;
            (names.name(d.name).to_string(), d.span.start, true)
        }
        lower::Unit::Thunk(t, side) => (format!("pole.test.{t}.{side}"), 0, false),
        lower::Unit::Main | lower::Unit::TestRunner => ("pole_main".to_string(), 0, false),
        lower::Unit::Inst(k) => (instance_name(ck, names, k), 0, true),
    }
}

/// What every unit is compiled with.
#[derive(Clone, Copy)]
pub(in crate::codegen) struct Plan<'x> {
    pub units: &'x [lower::Unit],
    pub paths: &'x [String],
    pub unit_ids: &'x [FuncId],
    pub ids: &'x func::Ids<'x>,
    pub src: &'x str,
    pub file: &'x str,
    pub lines: &'x crate::diag::LineIndex,
    pub mem: &'x Memory,
    pub lopts: lower::Options,
}

/// Receives each built function: its unit index, the function, its
/// charged codegen estimate, and whether to compile it the cheap way (the
/// debug settings).
pub(super) type UnitSink<'s> =
    dyn FnMut(&mut Gen<'_, '_>, &Checked<'_>, Feed) -> Result<bool, CodegenError> + 's;

/// Headroom [`build_units`] makes (by finishing work in flight) before it
/// lowers a function under a tight budget.
const LOWER_ROOM: usize = 512 * 1024;

/// What [`build_units`] hands its sink (one at a time: no need to box the
/// function).
#[allow(clippy::large_enum_variant)]
pub(super) enum Feed {
    /// A built function, its charged estimate, and whether to compile it
    /// the cheap way.
    Func(Slot, Function, usize, bool),
    /// The next function's estimate does not fit the budget: finish some
    /// of the work in flight; `false` when there is none.
    Room,
}

/// Lowers each unit to the IR in a scratch arena (reset after each), builds
/// its Cranelift function, charges its estimated codegen memory, and hands
/// it to `sink` with its index and the charge.
pub(super) fn build_units(
    g: &mut Gen<'_, '_>,
    source: &mut dyn Source,
    plan: &Plan<'_>,
    sink: &mut UnitSink<'_>,
) -> Result<(), CodegenError> {
    let Plan {
        paths: _,
        units,
        unit_ids,
        ids,
        src,
        file,
        lines,
        mem,
        lopts,
    } = *plan;
    let mut fctx = FunctionBuilderContext::new();
    let mut scratch = bumpalo::Bump::new();
    // Bytes charged for the scratch arena's chunks (it keeps its largest
    // chunk across resets).
    let mut scratch_charged = 0;
    let mut finished = false;
    let result = (|| {
        // The file's units, then the instances of generic functions they
        // call (checking an instance may ask for more).
        let mut i = 0;
        loop {
            let unit = match units.get(i) {
                Some(&u) => u,
                None => {
                    let k = (i - units.len()) as u32;
                    let known = source.checked().map_or(0, |c| c.instances.len());
                    if k as usize >= known {
                        break;
                    }
                    lower::Unit::Inst(k)
                }
            };
            let (ck, body, other) = match unit {
                lower::Unit::Pole(fi) => match source.function(fi)? {
                    Some((ck, body)) => (ck, body, None),
                    None => return Err(CodegenError::Invalid),
                },
                lower::Unit::Inst(k) => match source.instance(k)? {
                    Some(x) => x,
                    None => return Err(CodegenError::Invalid),
                },
                _ => {
                    if !finished {
                        finished = true;
                        if !source.finish()? {
                            return Err(CodegenError::Invalid);
                        }
                    }
                    (source.checked().ok_or(CodegenError::Invalid)?, None, None)
                }
            };
            declare_instances(g, &ck, plan.paths)?;
            // Under a tight budget, finish work in flight before lowering
            // the next function (its scratch arena may grow) rather than
            // fail in the lowering.
            while mem.used_now().saturating_add(LOWER_ROOM) > mem.limit()
                && sink(g, &ck, Feed::Room)?
            {}
            // An instance of an imported generic function is lowered from
            // that file's text: its locations, line rows and frames name
            // that file (`debug::Place`).
            let other_lines = other.map(|(t, _)| crate::diag::LineIndex::new(t));
            let id = match unit {
                lower::Unit::Inst(k) => g.inst_ids[k as usize],
                _ => unit_ids[i],
            };
            let cx = lower::Ctx {
                ck: &ck,
                names: g.names,
                src: other.map_or(src, |o| o.0),
                file: other.map_or(file, |o| o.1),
                lines: other_lines.as_ref().unwrap_or(lines),
                arena: mem.scratch_arena(&scratch, Phase::Lower, scratch_charged),
                opts: lopts,
                borrowed: &g.borrowed,
                templates: &g.templates,
            };
            let lower::Lowered {
                main,
                lifted,
                borrowed,
                template,
            } = match lower::lower_unit(&cx, unit, body) {
                Ok(f) => f,
                Err(lower::LowerError::Oom(e)) => return Err(CodegenError::Oom(e)),
                Err(lower::LowerError::Internal(m)) => {
                    return Err(CodegenError::Backend(m.into()));
                }
            };
            if let (lower::Unit::Pole(fi), Some(t)) = (unit, template) {
                g.templates.insert(fi, t);
            }
            let held = scratch.allocated_bytes();
            if held > scratch_charged {
                mem.charge_held(Phase::Lower, held - scratch_charged)?;
                scratch_charged = held;
            }
            // Lifted functions are local symbols, numbered in program order.
            let mut lifted_ids = Vec::with_capacity(lifted.len());
            for f in &lifted {
                g.lifted += 1;
                let name = format!("pole::lambda.{}", g.lifted);
                let lid = g
                    .module
                    .declare_function(&name, Linkage::Local, &ir_signature(f))
                    .map_err(backend)?;
                lifted_ids.push(lid);
            }
            if let (lower::Unit::Pole(fi), Some(&body_id)) = (unit, lifted_ids.last())
                && borrowed != 0
            {
                let fi = fi as usize;
                if g.borrowed.len() <= fi {
                    g.borrowed.resize(fi + 1, 0);
                }
                g.borrowed[fi] = borrowed;
                g.borrow_bodies.insert(fi as u32, body_id);
            }
            let (uname, decl, pole) = match unit {
                lower::Unit::Inst(k) => {
                    let f = ck.callee_func(ck.funcs.len() as u32 + k);
                    (instance_name(&ck, g.names, k), f.decl.span.start, true)
                }
                _ if lopts.lines => unit_debug_name(&ck, g.names, unit),
                _ => Default::default(),
            };
            let place = other.map(|(text, file)| {
                let funcs: Vec<&ir::Func<'_>> =
                    std::iter::once(&main).chain(lifted.iter()).collect();
                let lines = other_lines.as_ref().unwrap_or(lines);
                std::sync::Arc::new(place_of(&funcs, decl, file, text, lines))
            });
            for (k, f) in std::iter::once(&main).chain(lifted.iter()).enumerate() {
                let fid = if k == 0 { id } else { lifted_ids[k - 1] };
                let (func, estimate, cheap) = build_one(
                    g,
                    &mut fctx,
                    f,
                    (fid, &ck, ids, &lifted_ids),
                    mem,
                    lopts,
                    &mut |g| sink(g, &ck, Feed::Room),
                )?;
                let head = if k == 0 {
                    (uname.clone(), decl, pole)
                } else {
                    (f.name.to_string(), decl, pole)
                };
                let mut debug = slot_debug(head, f, &ck, g.names);
                debug.place = place.clone();
                let slot = Slot { id: fid, debug };
                sink(g, &ck, Feed::Func(slot, func, estimate, cheap))?;
            }
            drop(lifted);
            scratch.reset();
            i += 1;
        }
        Ok(())
    })();
    mem.release(Phase::Lower, scratch_charged);
    result
}

/// What the debug information says about IR function `f`, besides its
/// `head` (name, declaration offset, Pole function or not).
fn slot_debug(
    head: (String, u32, bool),
    f: &ir::Func<'_>,
    ck: &Checked<'_>,
    names: &Interner<'_>,
) -> SlotDebug {
    let vars = f
        .names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let v = debug::Var {
                name: names.name(n.name).to_string(),
                ty: n.ty,
                decl: n.decl,
                scope: n.scope,
                param: n.param,
                at: 0,
            };
            (k as u32, v)
        })
        .collect();
    let ret = match f.kind {
        ir::Kind::Pole(fi) => Some(ck.callee_sig(fi).1),
        _ => None,
    };
    SlotDebug {
        head,
        vars,
        ret,
        place: None,
    }
}

/// The place of the functions `funcs` of a unit lowered from `text` at
/// `file` (another file than the object's): the line and column of every
/// source offset their code and declarations refer to.
fn place_of(
    funcs: &[&ir::Func<'_>],
    decl: u32,
    file: &str,
    text: &str,
    lines: &crate::diag::LineIndex,
) -> debug::Place {
    let mut offs = vec![decl];
    for f in funcs {
        for b in f.blocks {
            for i in b.insts {
                if let ir::Inst::Loc(off) = i {
                    offs.push(*off);
                }
            }
        }
    }
    offs.sort_unstable();
    offs.dedup();
    let at = offs
        .into_iter()
        .map(|o| {
            let (l, c) = lines.line_col(text, o as usize);
            (o, l as u32, c as u32)
        })
        .collect();
    debug::Place {
        file: file.to_string(),
        at,
    }
}

/// Builds the Cranelift function of IR function `f` (symbol `id`),
/// charging its estimated codegen memory: the function, the charge, and
/// whether to compile it the cheap way.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::type_complexity)]
fn build_one(
    g: &mut Gen<'_, '_>,
    fctx: &mut FunctionBuilderContext,
    f: &ir::Func<'_>,
    (id, ck, ids, lifted): (FuncId, &Checked<'_>, &func::Ids<'_>, &[FuncId]),
    mem: &Memory,
    lopts: lower::Options,
    room: &mut dyn FnMut(&mut Gen<'_, '_>) -> Result<bool, CodegenError>,
) -> Result<(Function, usize, bool), CodegenError> {
    let (base, size) = codegen_estimate(f);
    let release = !lopts.contracts;
    let fits = |bytes: usize| mem.used_now().saturating_add(bytes) <= mem.limit();
    // Huge functions, and those whose optimised compile would not fit the
    // budget, are compiled the cheap way.
    let (estimate, cheap) = if !release {
        (base, false)
    } else if size > CHEAP_ABOVE || !fits(base * RELEASE_FACTOR) {
        (base, true)
    } else {
        (base * RELEASE_FACTOR, false)
    };
    // Under a tight budget, the spare functions go first, and fewer
    // functions are in flight: wait for compiled ones (and write them out)
    // until this one fits.
    if !fits(estimate) {
        g.spare_funcs = Vec::new();
    }
    while !fits(estimate) && room(g)? {}
    mem.begin_work(Phase::Codegen, estimate)?;
    // A spare is cleared: it builds the same function a new one would.
    let mut func = g.spare_funcs.pop().unwrap_or_else(Function::new);
    func.name = UserFuncName::user(0, id.as_u32());
    func.signature = ir_signature(f);
    let before = crate::memory::thread_live();
    crate::memory::thread_reset_peak();
    let emitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let unit = func::Unit {
            lifted,
            optimized: release && !cheap,
        };
        func::emit(g, &mut func, fctx, f, (id, ids), ck, unit)
    }));
    match emitted {
        Ok(r) => r?,
        Err(p) => return Err(CodegenError::Panic(panic_message(&*p))),
    }
    if debug_estimates() {
        let insts: usize = f.blocks.iter().map(|b| b.insts.len()).sum();
        eprintln!(
            "pole: estimate {}: {} blocks {} insts {} vars: estimate {} emit peak {}",
            f.name,
            f.blocks.len(),
            insts,
            f.vars.len(),
            estimate,
            crate::memory::thread_peak() - before
        );
    }
    Ok((func, estimate, cheap))
}
