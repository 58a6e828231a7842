//! Phase 4: compiled functions are defined in the object in unit order
//! (so the object is the same whatever the workers' timing), streamed out
//! by the object writer as they are, and their debug information is
//! written one unit per [`DEBUG_UNIT_FUNCS`] functions.

use super::super::{CodegenError, Gen, debug, write_failed};
use super::compile::{Compiled, PANIC_PREFIX};
use crate::memory::{Memory, Phase};
use crate::types::TyId;
use crate::types::check::Checked;
use cranelift_module::{FuncId, Module};

/// Compiled functions waiting to be defined in unit order, and the debug
/// information of those defined since the last debug unit was written.
pub(in crate::codegen) struct Definer<'x> {
    /// From slot `next` on: each unit's function, then the functions
    /// lifted out of it, compiled or not yet.
    waiting: std::collections::VecDeque<Waiting>,
    /// Functions defined so far.
    pub next: usize,
    /// Bytes charged for what the object writer holds.
    held: usize,
    debug: Option<DebugOut<'x>>,
}

struct Waiting {
    id: FuncId,
    /// The charged Cranelift estimate, released when defined.
    estimate: usize,
    debug: Option<SlotDebug>,
    done: Option<Result<Compiled, String>>,
}

/// Debug information of defined functions not yet written as a unit.
struct DebugOut<'x> {
    funcs: Vec<debug::FuncDebug>,
    /// Their line rows, variables and calls.
    rows: usize,
    /// Bytes charged for `funcs`.
    charged: usize,
    src: &'x str,
    file: &'x str,
    lines: &'x crate::diag::LineIndex,
}

/// A debug unit is written once this many functions wait for one, or
/// rows of line, variable and call information: units stay small whatever
/// the program's size (the same split whatever the memory limit, so the
/// object does not depend on it).
const DEBUG_UNIT_FUNCS: usize = 64;
const DEBUG_UNIT_ROWS: usize = 1 << 13;

/// A function handed to the pipeline: its symbol, its debug name and
/// declaration offset.
pub(super) struct Slot {
    pub id: FuncId,
    pub debug: SlotDebug,
}

/// A function's debug name, declaration offset, whether it is a Pole
/// function, its named variables (their slots are known once compiled)
/// and its result type.
pub(super) struct SlotDebug {
    pub head: (String, u32, bool),
    pub vars: Vec<(u32, debug::Var)>,
    pub ret: Option<TyId>,
    /// Compiled from another file's text (see [`debug::Place`]).
    pub place: Option<std::sync::Arc<debug::Place>>,
}

impl<'x> Definer<'x> {
    /// With debug information (written from `src`, named `file`) or not.
    pub(in crate::codegen) fn new(
        debug: bool,
        src: &'x str,
        file: &'x str,
        lines: &'x crate::diag::LineIndex,
    ) -> Self {
        Definer {
            waiting: std::collections::VecDeque::new(),
            next: 0,
            held: 0,
            debug: debug.then(|| DebugOut {
                funcs: Vec::new(),
                rows: 0,
                charged: 0,
                src,
                file,
                lines,
            }),
        }
    }

    /// Registers a function to be defined; its slot index.
    pub(super) fn add(&mut self, slot: Slot, estimate: usize) -> usize {
        self.waiting.push_back(Waiting {
            id: slot.id,
            estimate,
            debug: self.debug.is_some().then_some(slot.debug),
            done: None,
        });
        self.next + self.waiting.len() - 1
    }

    /// Takes back the compiled function of slot `j`.
    pub(super) fn compiled(&mut self, j: usize, r: Result<Compiled, String>) {
        if let Some(w) = self.waiting.get_mut(j - self.next) {
            w.done = Some(r);
        }
    }

    /// Defines the compiled functions that are next in unit order.
    pub(super) fn define_ready(
        &mut self,
        g: &mut Gen<'_, '_>,
        mem: &Memory,
        ck: &Checked<'_>,
    ) -> Result<(), CodegenError> {
        while self.waiting.front().is_some_and(|w| w.done.is_some()) {
            let Some(w) = self.waiting.pop_front() else {
                break;
            };
            let Some(r) = w.done else { break };
            let c = r.map_err(|m| match m.strip_prefix(PANIC_PREFIX) {
                Some(p) => CodegenError::Panic(p.to_string()),
                None => CodegenError::Backend(m),
            })?;
            let defined = g
                .module
                .define_function_bytes(w.id, c.alignment, &c.bytes, &c.relocs);
            if let Some(e) = g.module.failure() {
                return Err(write_failed(e));
            }
            defined.map_err(|e| CodegenError::Backend(format!("{e:?}")))?;
            mem.end_work(Phase::Codegen, w.estimate);
            if let (Some(out), Some(d)) = (&mut self.debug, w.debug) {
                let f = func_debug(g, w.id, d, c);
                let bytes = f.held();
                mem.charge_held(Phase::Codegen, bytes)?;
                out.charged += bytes;
                out.rows += f.lines.len() + f.vars.len() + f.calls.len();
                out.funcs.push(f);
                if out.funcs.len() >= DEBUG_UNIT_FUNCS || out.rows >= DEBUG_UNIT_ROWS {
                    self.flush_debug(g, mem, ck)?;
                }
            }
            // What the object writer keeps (its buffers, the symbols).
            let held = g.module.held();
            if held > self.held {
                mem.charge_held(Phase::Codegen, held - self.held)?;
                self.held = held;
            }
            self.next += 1;
            // An estimate that fell short shows here: fail rather than go on.
            mem.check_real(Phase::Codegen)?;
        }
        Ok(())
    }

    /// Writes the waiting debug information as one unit.
    pub(super) fn flush_debug(
        &mut self,
        g: &mut Gen<'_, '_>,
        mem: &Memory,
        ck: &Checked<'_>,
    ) -> Result<bool, CodegenError> {
        let Some(out) = &mut self.debug else {
            return Ok(false);
        };
        if out.funcs.is_empty() {
            return Ok(false);
        }
        let info = debug::TypeInfo { ck, names: g.names };
        let r = debug::write(
            &mut g.module,
            &out.funcs,
            out.file,
            out.src,
            out.lines,
            info,
        );
        if let Some(e) = g.module.failure() {
            return Err(write_failed(e));
        }
        r.map_err(CodegenError::Backend)?;
        out.funcs.clear();
        out.rows = 0;
        mem.release(Phase::Codegen, out.charged);
        out.charged = 0;
        Ok(true)
    }

    /// After the last function: every one defined, the last debug unit
    /// written, the writer's charge released.
    pub(in crate::codegen) fn finish(
        &mut self,
        g: &mut Gen<'_, '_>,
        mem: &Memory,
        ck: &Checked<'_>,
    ) -> Result<(), CodegenError> {
        if !self.waiting.is_empty() {
            return Err(CodegenError::Backend("a function was not compiled".into()));
        }
        self.flush_debug(g, mem, ck)?;
        mem.release(Phase::Codegen, self.held);
        self.held = 0;
        Ok(())
    }
}

/// What compiled function `c` (symbol `id`) contributes to the debug
/// information.
fn func_debug(g: &Gen<'_, '_>, id: FuncId, mut d: SlotDebug, c: Compiled) -> debug::FuncDebug {
    let (name, decl, pole) = d.head;
    // Each named variable with a stack slot, at its offset.
    let vars = std::mem::take(&mut d.vars)
        .into_iter()
        .filter_map(|(k, mut v)| {
            let i = c.slots.binary_search_by_key(&k, |s| s.0).ok()?;
            v.at = c.slots[i].1;
            Some(v)
        })
        .collect();
    // Calls of Pole functions, for `called from` lines.
    let calls = if pole {
        c.calls
            .iter()
            .filter(|&&(_, f)| f.is_none_or(|f| g.module.is_pole_function(f)))
            .filter_map(|&(ret, _)| {
                let i = c.lines.partition_point(|l| l.1 < ret);
                let l = c.lines.get(i).filter(|l| l.0 < ret)?;
                Some((ret, l.2))
            })
            .collect()
    } else {
        Vec::new()
    };
    debug::FuncDebug {
        id,
        name,
        decl,
        pole,
        size: c.bytes.len() as u32,
        lines: c.lines,
        calls,
        vars,
        ret: d.ret,
        place: d.place,
    }
}
