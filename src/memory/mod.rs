//! Memory for the compiler itself: one bump arena per phase, all drawing on a
//! shared byte budget, with statistics and a fault-injection hook.
//!
//! Invariants:
//! - every allocation that grows with the input goes through [`Arena`]'s
//!   fallible methods, which charge the budget and return [`OutOfMemory`]
//!   instead of aborting;
//! - the bytes held by all arenas plus the codegen charge never exceed the
//!   limit (bumpalo enforces a per-arena limit that we recompute on entry to a
//!   phase from what the other phases hold);
//! - arenas are reset, not freed, between files and retries.

mod counting;

pub use counting::{
    CountingAlloc, configure_allocator, counting, join_group, process_live, process_peak,
    system_allocations, thread_live, thread_peak, thread_reset_peak,
};

use bumpalo::Bump;
use std::cell::Cell;
use std::fmt;

/// A compiler phase that owns an arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Parse = 0,
    Check = 1,
    Lower = 2,
    Codegen = 3,
}

/// Number of phases with an arena.
pub const PHASES: usize = 4;

/// Largest arena chunk (as rustc's arenas): chunks double up to this size,
/// so what a chunk leaves unused stays small; a larger single request gets a
/// chunk of its own size.
pub const CHUNK_CAP: usize = 2 << 20;

impl Phase {
    pub const ALL: [Phase; PHASES] = [Phase::Parse, Phase::Check, Phase::Lower, Phase::Codegen];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Check => "check",
            Phase::Lower => "lower",
            Phase::Codegen => "codegen",
        }
    }

    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The budget was exhausted: an ordinary, recoverable compile error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    pub phase: Phase,
    pub requested: usize,
    pub used: usize,
    pub limit: usize,
}

impl OutOfMemory {
    /// The (needed, used) figures a message shows, always consistent:
    /// used <= limit < used + needed. When the real heap had already
    /// outgrown the limit (it is measured after work whose size is not
    /// known in advance), the excess is part of what was needed; a request
    /// that did fit (an injected fault) is shown as the room plus one byte.
    pub fn shown(&self) -> (usize, usize) {
        let used = self.used.min(self.limit);
        let excess = self.used - used;
        let needed = self
            .requested
            .saturating_add(excess)
            .max((self.limit - used).saturating_add(1));
        (needed, used)
    }
}

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (needed, used) = self.shown();
        write!(
            f,
            "out of memory in {}: needed {} bytes, used {} of limit {}",
            self.phase.name(),
            needed,
            used,
            self.limit
        )
    }
}

pub type MemResult<T> = Result<T, OutOfMemory>;

/// Makes the N-th budgeted allocation of one phase fail (SQLite's method).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultPlan {
    pub phase: Phase,
    pub fail_at: u64,
}

/// Per-phase statistics.
#[derive(Clone, Copy, Debug, Default)]
pub struct PhaseStats {
    /// Bytes handed out by the arena over the compile (requested sizes;
    /// an arena reused per function counts every use).
    pub used: usize,
    /// Bytes held by the arena's chunks.
    pub reserved: usize,
    /// Number of chunks.
    pub chunks: usize,
    /// Largest `reserved` seen since the arena was created.
    pub peak: usize,
    /// Number of budgeted allocations.
    pub allocations: u64,
}

/// Memory statistics of one compile.
#[derive(Clone, Debug, Default)]
pub struct MemStats {
    pub limit: usize,
    pub phases: [PhaseStats; PHASES],
    /// Peak of all arenas' reserved bytes plus the charges.
    pub peak_total: usize,
    /// Peak of what the limit is checked against ([`Memory::used_now`]):
    /// the larger of the real heap (plus the source and the work charged
    /// but not yet allocated) and the arenas plus charges.
    pub peak_used: usize,
    /// The process's peak resident set (`getrusage`), base included: 0
    /// where unknown.
    pub peak_rss: usize,
    /// Peak of the real heap bytes of the compile (the counting allocator's
    /// live bytes of this memory's group, from its start): 0 when the
    /// counting allocator is not the global allocator.
    pub real_peak: usize,
    /// System allocations performed by the process so far.
    pub system_allocations: u64,
}

/// Owns the phase arenas and the budget they share.
pub struct Memory {
    limit: Cell<usize>,
    arenas: [Bump; PHASES],
    used: [Cell<usize>; PHASES],
    allocations: [Cell<u64>; PHASES],
    peak: [Cell<usize>; PHASES],
    /// Bytes charged per phase for memory outside its arena: Cranelift's heap
    /// work (codegen) and the per-function scratch arena (lower).
    charges: [Cell<usize>; PHASES],
    /// Largest charge per phase since the last reset.
    charge_peaks: [Cell<usize>; PHASES],
    peak_total: Cell<usize>,
    peak_used: Cell<usize>,
    fault: Cell<Option<FaultPlan>>,
    /// Set once an injected fault fired.
    fault_fired: Cell<bool>,
    /// The counting allocator's group of this memory's threads, and its
    /// live bytes when the memory was created (the base excluded).
    group: u8,
    base: usize,
    /// Bytes charged for work about to allocate outside the arenas
    /// (Cranelift's estimate for functions in flight): not yet in the real
    /// figure, so added to it.
    pending: Cell<usize>,
    /// Bytes counted as used outside the heap the group sees (the source
    /// text, read before the compile).
    outside: Cell<usize>,
    /// Peak of the real bytes (see [`MemStats::real_peak`]).
    real_peak: Cell<usize>,
    /// The compiling thread's stack position when the compile began (see
    /// [`stack_used_since`]): its stack is counted as used too.
    stack: Cell<usize>,
}

impl Drop for Memory {
    fn drop(&mut self) {
        if counting::current_group() == self.group {
            counting::join_group(0);
        }
        counting::release_group(self.group);
    }
}

impl Memory {
    pub fn new(limit: usize) -> Memory {
        let group = counting::take_group();
        counting::join_group(group);
        Memory {
            group,
            base: counting::group_live(group),
            pending: Cell::new(0),
            outside: Cell::new(0),
            real_peak: Cell::new(0),
            stack: Cell::new(stack_mark()),
            limit: Cell::new(limit),
            arenas: [Bump::new(), Bump::new(), Bump::new(), Bump::new()],
            used: Default::default(),
            allocations: Default::default(),
            peak: Default::default(),
            charges: Default::default(),
            charge_peaks: Default::default(),
            peak_total: Cell::new(0),
            peak_used: Cell::new(0),
            fault: Cell::new(None),
            fault_fired: Cell::new(false),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit.get()
    }

    /// Changes the limit; only between compiles (after [`Memory::reset`]).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit.set(limit);
    }

    pub fn set_fault(&mut self, plan: Option<FaultPlan>) {
        self.fault.set(plan);
        self.fault_fired.set(false);
    }

    pub fn fault_fired(&self) -> bool {
        self.fault_fired.get()
    }

    /// Bytes held now by every arena and the codegen charge.
    pub fn total_held(&self) -> usize {
        self.arenas.iter().map(Bump::allocated_bytes).sum::<usize>()
            + self.charges.iter().map(Cell::get).sum::<usize>()
    }

    /// The counting allocator's group of this memory (see
    /// [`counting`]): threads doing work for it join it.
    pub fn group(&self) -> u8 {
        self.group
    }

    /// Makes the calling thread count its allocations to this memory.
    pub fn enter(&self) {
        counting::join_group(self.group);
    }

    /// Real bytes of the compile: its group's heap above the base, and
    /// the stack the compiling thread's recursive phases have touched.
    pub fn real_used(&self) -> usize {
        counting::group_live(self.group).saturating_sub(self.base)
            + stack_used_since(self.stack.get())
    }

    /// Largest [`Memory::real_used`] since the last [`Memory::reset_peaks`]
    /// (to within the allocator's flush granularity per thread).
    pub fn real_peak(&self) -> usize {
        let p = counting::group_peak(self.group).saturating_sub(self.base);
        let p = p.max(self.real_peak.get());
        self.real_peak.set(p);
        p
    }

    /// What the budget counts as used now: the arenas and charges, or the
    /// real heap of the compile plus work charged but not yet allocated and
    /// the bytes held outside the group (the source), whichever is larger.
    pub fn used_now(&self) -> usize {
        let arenas = self.total_held();
        if !counting::counting() {
            return arenas;
        }
        let real = self.real_used() + self.pending.get() + self.outside.get();
        arenas.max(real)
    }

    /// Counts `bytes` held outside the heap this memory sees (the source
    /// text) as used, for the rest of the compile.
    pub fn set_outside(&self, bytes: usize) {
        self.outside.set(bytes);
    }

    /// Charges `bytes` of work about to allocate outside the arenas
    /// (Cranelift compiling a function): counted on top of the real heap
    /// until [`Memory::end_work`], when the real figure includes what the
    /// work kept.
    pub fn begin_work(&self, phase: Phase, bytes: usize) -> MemResult<()> {
        self.charge(phase, bytes)?;
        self.pending.set(self.pending.get() + bytes);
        Ok(())
    }

    pub fn end_work(&self, phase: Phase, bytes: usize) {
        self.release(phase, bytes);
        self.pending.set(self.pending.get().saturating_sub(bytes));
    }

    /// Fails when the real heap has outgrown the limit (work whose memory
    /// is not known before it runs is checked after it): `needed` is what
    /// the real heap holds above the last check.
    pub fn check_real(&self, phase: Phase) -> MemResult<()> {
        let used = self.used_now();
        self.note_peak();
        if used > self.limit.get() {
            return Err(OutOfMemory {
                phase,
                requested: 0,
                used,
                limit: self.limit.get(),
            });
        }
        Ok(())
    }

    fn note_peak(&self) {
        if counting::counting() {
            let real = self.real_used();
            if real > self.real_peak.get() {
                self.real_peak.set(real);
            }
        }
        let used = self.used_now();
        if used > self.peak_used.get() {
            self.peak_used.set(used);
        }
        let total = self.total_held();
        if total > self.peak_total.get() {
            self.peak_total.set(total);
        }
        for (i, a) in self.arenas.iter().enumerate() {
            let r = a.allocated_bytes();
            if r > self.peak[i].get() {
                self.peak[i].set(r);
            }
        }
    }

    /// The arena of `phase`, limited to what the other phases leave free.
    pub fn arena(&self, phase: Phase) -> Arena<'_> {
        self.note_peak();
        let bump = &self.arenas[phase as usize];
        self.lend(bump, phase, None)
    }

    fn lend<'s>(&'s self, bump: &'s Bump, phase: Phase, scratch: Option<usize>) -> Arena<'s> {
        let arena = Arena {
            mem: self,
            bump,
            phase,
            scratch,
        };
        arena.cap_next_chunk(0);
        arena
    }

    /// An arena of `phase` over a caller-owned bump (a scratch arena reset
    /// by its owner), limited to what everything else leaves free; `charged`
    /// is what the caller already [`Memory::charge`]d for this bump. Growth
    /// must be charged before other phases allocate.
    pub fn scratch_arena<'s>(&'s self, bump: &'s Bump, phase: Phase, charged: usize) -> Arena<'s> {
        self.note_peak();
        self.lend(bump, phase, Some(charged))
    }

    /// Charges `bytes` held outside the arenas (Cranelift's heap work, a
    /// scratch arena) to `phase`; fails before the memory is used if it
    /// would exceed the limit.
    pub fn charge(&self, phase: Phase, bytes: usize) -> MemResult<()> {
        self.count_allocation(phase, bytes)?;
        let used = self.used_now();
        if used.saturating_add(bytes) > self.limit.get() {
            return Err(OutOfMemory {
                phase,
                requested: bytes,
                used,
                limit: self.limit.get(),
            });
        }
        let i = phase as usize;
        let charge = self.charges[i].get() + bytes;
        self.charges[i].set(charge);
        if charge > self.charge_peaks[i].get() {
            self.charge_peaks[i].set(charge);
        }
        self.note_peak();
        Ok(())
    }

    /// Charges `bytes` that were already allocated outside the arenas (a
    /// structure that has just grown: its bytes are in the real heap
    /// figure already, so checking them on top of it, as [`Memory::charge`]
    /// does for work about to allocate, would count them twice). Fails
    /// when the budget is now exceeded, as [`Memory::check_real`].
    pub fn charge_held(&self, phase: Phase, bytes: usize) -> MemResult<()> {
        self.count_allocation(phase, bytes)?;
        let i = phase as usize;
        let charge = self.charges[i].get() + bytes;
        self.charges[i].set(charge);
        if charge > self.charge_peaks[i].get() {
            self.charge_peaks[i].set(charge);
        }
        self.check_real(phase)
    }

    /// Releases a charge once that memory is freed.
    pub fn release(&self, phase: Phase, bytes: usize) {
        let c = &self.charges[phase as usize];
        c.set(c.get().saturating_sub(bytes));
    }

    /// An allocation of `requested` bytes was refused. When the budget is
    /// what refused it, the arena needed a chunk larger than the room left
    /// (a vector's new buffer, a table's, bumpalo's chunk rounding), so at
    /// least the room plus one byte is reported: needed + used > limit.
    fn oom(&self, phase: Phase, requested: usize) -> OutOfMemory {
        let used = self.used_now();
        let limit = self.limit.get();
        let requested = if self.fault_fired.get() {
            requested
        } else {
            requested.max(limit.saturating_sub(used).saturating_add(1))
        };
        OutOfMemory {
            phase,
            requested,
            used,
            limit,
        }
    }

    fn count_allocation(&self, phase: Phase, bytes: usize) -> MemResult<()> {
        let i = phase as usize;
        let n = self.allocations[i].get() + 1;
        self.allocations[i].set(n);
        if let Some(plan) = self.fault.get()
            && plan.phase == phase
            && plan.fail_at == n
        {
            self.fault_fired.set(true);
            return Err(self.oom(phase, bytes));
        }
        Ok(())
    }

    /// Empties every arena (keeping one chunk each for reuse) and clears the
    /// per-compile counters.
    pub fn reset(&mut self) {
        for a in &mut self.arenas {
            a.reset();
        }
        for i in 0..PHASES {
            self.used[i].set(0);
            self.allocations[i].set(0);
        }
        for i in 0..PHASES {
            self.charges[i].set(0);
            self.charge_peaks[i].set(0);
        }
        self.pending.set(0);
        self.outside.set(0);
        self.fault_fired.set(false);
        self.enter();
        // The compile's real heap starts here: what was allocated before
        // (the source, read before the compile began and counted by
        // `set_outside`) is not counted twice.
        self.base = counting::group_live(self.group);
        self.stack.set(stack_mark());
    }

    /// Forgets the peaks (between files of a batch, after reporting).
    pub fn reset_peaks(&mut self) {
        for p in &self.peak {
            p.set(0);
        }
        self.peak_total.set(0);
        counting::reset_group_peak(self.group);
        self.real_peak.set(0);
    }

    /// Peak of all arenas plus the codegen charge since the last
    /// [`Memory::reset_peaks`].
    pub fn peak_total(&self) -> usize {
        self.note_peak();
        self.peak_total.get()
    }

    pub fn stats(&mut self) -> MemStats {
        self.note_peak();
        let mut phases = [PhaseStats::default(); PHASES];
        for (i, s) in phases.iter_mut().enumerate() {
            let a = &mut self.arenas[i];
            s.reserved = a.allocated_bytes();
            s.chunks = a.iter_allocated_chunks().count();
            s.used = self.used[i].get();
            s.peak = self.peak[i].get();
            s.allocations = self.allocations[i].get();
        }
        // Memory held outside the arenas is accounted by charge: report its peak.
        for (i, s) in phases.iter_mut().enumerate() {
            s.used += self.charge_peaks[i].get();
            s.peak += self.charge_peaks[i].get();
        }
        MemStats {
            limit: self.limit.get(),
            phases,
            peak_total: self.peak_total.get(),
            peak_used: self.peak_used.get(),
            peak_rss: peak_rss(),
            real_peak: if counting::counting() {
                self.real_peak()
            } else {
                0
            },
            system_allocations: system_allocations(),
        }
    }
}

/// A phase's view of its arena: every method is fallible and charged.
#[derive(Clone, Copy)]
pub struct Arena<'m> {
    mem: &'m Memory,
    bump: &'m Bump,
    phase: Phase,
    /// For a scratch arena, the bytes its owner has charged for it.
    scratch: Option<usize>,
}

impl<'m> Arena<'m> {
    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn bump(&self) -> &'m Bump {
        self.bump
    }

    /// Counts one budgeted allocation (the fault-injection point).
    #[inline]
    pub fn charge(&self, bytes: usize) -> MemResult<()> {
        self.mem.count_allocation(self.phase, bytes)
    }

    #[inline]
    fn note_used(&self, bytes: usize) {
        let used = &self.mem.used[self.phase as usize];
        used.set(used.get() + bytes);
    }

    /// Bytes the budget has left now (for a read sized before it is made).
    pub fn left(&self) -> usize {
        self.mem.limit().saturating_sub(self.mem.used_now())
    }

    #[cold]
    pub fn fail(&self, bytes: usize) -> OutOfMemory {
        self.mem.oom(self.phase, bytes)
    }

    /// Before an allocation of `bytes`: when it needs a new chunk, limit
    /// bumpalo so that chunk is at most [`CHUNK_CAP`] (or just big enough
    /// for a larger request), within the phase's room in the budget.
    #[inline]
    fn prepare(&self, bytes: usize) {
        if bytes.saturating_add(64) > self.bump.chunk_capacity() {
            self.cap_next_chunk(bytes);
        }
    }

    /// Bytes this arena's bump may hold: what everything else leaves free
    /// now (arenas grow in turns, so this is computed when a chunk is due).
    fn room(&self) -> usize {
        // A scratch arena's uncharged growth is in the real heap figure
        // already: then its own bytes are all its chunks (bumpalo's limit
        // is on them all, so the room must include them).
        let own = match self.scratch {
            Some(charged) if !counting::counting() => charged,
            _ => self.bump.allocated_bytes(),
        };
        let others = self.mem.used_now().saturating_sub(own);
        self.mem.limit.get().saturating_sub(others)
    }

    #[cold]
    fn cap_next_chunk(&self, bytes: usize) {
        let room = self.room();
        // bumpalo tries halvings of twice its current chunk: allowing twice
        // the request guarantees one of them fits, however big that chunk.
        let next = CHUNK_CAP.max(bytes.saturating_mul(2).saturating_add(64 << 10));
        let limit = room.min(self.bump.allocated_bytes().saturating_add(next));
        self.set_limit(limit);
    }

    /// After a failed allocation of about `bytes` whose exact size the
    /// arena could not know (a hash table, a vector's new buffer): if the
    /// chunk cap rather than the budget refused it, allow a chunk big
    /// enough and say so, so the caller retries once.
    #[cold]
    fn widen(&self, bytes: usize) -> bool {
        let room = self.room();
        let before = self.bump.allocation_limit().unwrap_or(usize::MAX);
        // A hash table asks for up to ~4x the estimate; twice that for the
        // halving sequence (see `cap_next_chunk`).
        let want = CHUNK_CAP.max(bytes.saturating_mul(8).saturating_add(64 << 10));
        let limit = room.min(self.bump.allocated_bytes().saturating_add(want));
        self.set_limit(limit) > before
    }

    /// After a refusal with the chunk capped: allow a chunk as large as the
    /// whole room left (a refusal then is the budget's), and say whether
    /// that changed anything.
    #[cold]
    fn open_up(&self) -> bool {
        let room = self.room();
        let before = self.bump.allocation_limit().unwrap_or(usize::MAX);
        self.set_limit(room) > before
    }

    /// Sets bumpalo's limit on the bytes of all its chunks, never below
    /// what they hold now: bumpalo treats a limit already exceeded as no
    /// limit at all (a full budget then let lowering grow unchecked).
    fn set_limit(&self, limit: usize) -> usize {
        let limit = limit.max(self.bump.allocated_bytes());
        self.bump.set_allocation_limit(Some(limit));
        limit
    }

    #[inline]
    pub fn alloc<T>(&self, value: T) -> MemResult<&'m mut T> {
        let size = std::mem::size_of::<T>();
        self.charge(size)?;
        self.prepare(size);
        let r = self.bump.try_alloc(value).map_err(|_| self.fail(size))?;
        self.note_used(size);
        Ok(r)
    }

    pub fn alloc_slice_copy<T: Copy>(&self, items: &[T]) -> MemResult<&'m mut [T]> {
        let size = std::mem::size_of_val(items);
        if items.is_empty() {
            return Ok(&mut []);
        }
        self.charge(size)?;
        self.prepare(size);
        let r = self
            .bump
            .try_alloc_slice_copy(items)
            .map_err(|_| self.fail(size))?;
        self.note_used(size);
        Ok(r)
    }

    /// A slice of `n` copies of `value`.
    pub fn alloc_slice_fill<T: Copy>(&self, n: usize, value: T) -> MemResult<&'m mut [T]> {
        let size = n.saturating_mul(std::mem::size_of::<T>());
        self.charge(size)?;
        self.prepare(size);
        let r = self
            .bump
            .try_alloc_slice_fill_copy(n, value)
            .map_err(|_| self.fail(size))?;
        self.note_used(size);
        Ok(r)
    }

    pub fn alloc_str(&self, s: &str) -> MemResult<&'m str> {
        self.charge(s.len())?;
        self.prepare(s.len());
        match self.bump.try_alloc_str(s) {
            Ok(r) => {
                self.note_used(s.len());
                Ok(r)
            }
            Err(_) => Err(self.fail(s.len())),
        }
    }

    /// A growable vector in this arena.
    pub fn vec<T>(&self) -> Vec<'m, T> {
        Vec {
            arena: *self,
            inner: bumpalo::collections::Vec::new_in(self.bump),
        }
    }

    /// An empty hash map in this arena; grow it with [`Arena::map_room`].
    pub fn map<K, V>(&self) -> Map<'m, K, V> {
        hashbrown::HashMap::with_hasher_in(Default::default(), self.bump)
    }

    /// Makes room for one more insertion into `map`, charging the growth.
    #[inline]
    pub fn map_room<K: Eq + std::hash::Hash, V>(&self, map: &mut Map<'m, K, V>) -> MemResult<()> {
        if map.len() < map.capacity() {
            return Ok(());
        }
        self.map_reserve(map, map.capacity().max(16))
    }

    /// Makes room for `extra` more insertions into `map` at once (each
    /// table it outgrows stays behind in the arena), charging the growth.
    pub fn map_reserve<K: Eq + std::hash::Hash, V>(
        &self,
        map: &mut Map<'m, K, V>,
        extra: usize,
    ) -> MemResult<()> {
        if map.capacity() - map.len() >= extra {
            return Ok(());
        }
        let bytes = extra.saturating_mul(std::mem::size_of::<(K, V)>() + 1);
        self.charge(bytes)?;
        // The new table plus its control bytes, rounded up generously.
        self.prepare(bytes.saturating_mul(2));
        if map.try_reserve(extra).is_err() {
            if !self.widen(bytes) {
                return Err(self.fail(bytes));
            }
            if map.try_reserve(extra).is_err() {
                if !self.open_up() {
                    return Err(self.fail(bytes));
                }
                map.try_reserve(extra).map_err(|_| self.fail(bytes))?;
            }
        }
        self.note_used(bytes);
        Ok(())
    }

    /// An empty hash table in this arena; grow it with [`Arena::table_room`].
    pub fn table<T>(&self) -> Table<'m, T> {
        hashbrown::HashTable::new_in(self.bump)
    }

    /// Makes room for one more insertion into `table` (whose entries hash
    /// with `hash`), charging the growth.
    #[inline]
    pub fn table_room<T>(
        &self,
        table: &mut Table<'m, T>,
        hash: impl Fn(&T) -> u64,
    ) -> MemResult<()> {
        if table.len() < table.capacity() {
            return Ok(());
        }
        let extra = table.capacity().max(16);
        let bytes = extra.saturating_mul(std::mem::size_of::<T>() + 1);
        self.charge(bytes)?;
        self.prepare(bytes.saturating_mul(2));
        if table.try_reserve(extra, &hash).is_err() {
            if !self.widen(bytes) {
                return Err(self.fail(bytes));
            }
            if table.try_reserve(extra, &hash).is_err() {
                if !self.open_up() {
                    return Err(self.fail(bytes));
                }
                table
                    .try_reserve(extra, &hash)
                    .map_err(|_| self.fail(bytes))?;
            }
        }
        self.note_used(bytes);
        Ok(())
    }

    /// A vector with room for exactly `n` items.
    pub fn vec_with_capacity<T>(&self, n: usize) -> MemResult<Vec<'m, T>> {
        let mut v = self.vec();
        if n > 0 {
            v.grow_to(n)?;
        }
        Ok(v)
    }
}

/// A hash table (the entries hash themselves) living in a phase arena.
pub type Table<'m, T> = hashbrown::HashTable<T, &'m Bump>;

/// A hash map living in a phase arena.
pub type Map<'m, K, V> = hashbrown::HashMap<K, V, hashbrown::DefaultHashBuilder, &'m Bump>;

/// An arena vector whose growth is fallible and charged to the budget.
pub struct Vec<'m, T> {
    arena: Arena<'m>,
    inner: bumpalo::collections::Vec<'m, T>,
}

impl<'m, T> Vec<'m, T> {
    #[inline]
    pub fn push(&mut self, item: T) -> MemResult<()> {
        if self.inner.len() == self.inner.capacity() {
            self.grow(1)?;
        }
        self.inner.push(item);
        Ok(())
    }

    pub fn reserve(&mut self, additional: usize) -> MemResult<()> {
        if self.inner.capacity() - self.inner.len() < additional {
            self.grow(additional)?;
        }
        Ok(())
    }

    #[cold]
    fn grow(&mut self, additional: usize) -> MemResult<()> {
        let want = (self.inner.capacity() * 2)
            .max(self.inner.len() + additional)
            .max(4);
        self.grow_to(want)
    }

    /// Grows the buffer to hold `want` items.
    fn grow_to(&mut self, want: usize) -> MemResult<()> {
        let extra = want - self.inner.len();
        let bytes = extra.saturating_mul(std::mem::size_of::<T>());
        self.arena.charge(bytes)?;
        let total = (self.inner.len() + extra).saturating_mul(std::mem::size_of::<T>());
        self.arena.prepare(total);
        if self.inner.try_reserve_exact(extra).is_err() {
            if !self.arena.widen(total) {
                return Err(self.arena.fail(bytes));
            }
            if self.inner.try_reserve_exact(extra).is_err() {
                if !self.arena.open_up() {
                    return Err(self.arena.fail(bytes));
                }
                self.inner
                    .try_reserve_exact(extra)
                    .map_err(|_| self.arena.fail(bytes))?;
            }
        }
        self.arena.note_used(bytes);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    pub fn as_slice(&self) -> &[T] {
        &self.inner
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.inner
    }

    pub fn pop(&mut self) -> Option<T> {
        self.inner.pop()
    }

    /// Grows to `len` elements, filling with `value` (or truncates).
    pub fn resize(&mut self, len: usize, value: T) -> MemResult<()>
    where
        T: Clone,
    {
        if len <= self.len() {
            self.truncate(len);
            return Ok(());
        }
        self.reserve(len - self.len())?;
        while self.len() < len {
            self.push(value.clone())?;
        }
        Ok(())
    }

    pub fn truncate(&mut self, len: usize) {
        self.inner.truncate(len)
    }

    pub fn clear(&mut self) {
        self.inner.clear()
    }

    /// Freezes the vector into an arena slice.
    pub fn into_slice(self) -> &'m [T] {
        self.inner.into_bump_slice()
    }

    pub fn into_slice_mut(self) -> &'m mut [T] {
        self.inner.into_bump_slice_mut()
    }
}

impl<T> std::ops::Deref for Vec<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.inner
    }
}

impl<T> std::ops::DerefMut for Vec<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.inner
    }
}

/// Runs `f`, first moving to a fresh stack segment when less than 256 KiB
/// of stack remain: the recursive phases (parser, checker, code generator)
/// call this at each level, so nesting as deep as the parser allows never
/// overflows whatever thread they run on.
#[inline]
pub fn deep<R>(f: impl FnOnce() -> R) -> R {
    // Fast path: compare the stack pointer with this segment's limit, cached
    // in a thread-local (asking `stacker` at every level costs a call into
    // assembly and a slower thread-local).
    let marker = 0u8;
    let sp = std::ptr::addr_of!(marker) as usize;
    let limit = STACK_LIMIT.with(Cell::get);
    if limit != 0 && sp > limit.saturating_add(RED_ZONE) {
        note_stack(sp);
        return f();
    }
    deep_slow(sp, f)
}

thread_local! {
    /// Lowest stack address the recursive phases reached on the thread's
    /// own stack (usize::MAX: none yet), and the stack segments of
    /// `stacker` in use at most (each [`SEGMENT`] bytes).
    static STACK_LOW: Cell<usize> = const { Cell::new(usize::MAX) };
    static SEGMENTS: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
}

/// Bytes of each stack segment `deep` adds.
const SEGMENT: usize = 8 << 20;

#[inline]
fn note_stack(sp: usize) {
    STACK_LOW.with(|l| {
        if sp < l.get() && SEGMENTS.with(Cell::get).0 == 0 {
            l.set(sp);
        }
    });
}

/// The stack position of the caller, as a mark for [`stack_used_since`].
#[inline(never)]
pub fn stack_mark() -> usize {
    let marker = 0u8;
    let sp = std::ptr::addr_of!(marker) as usize;
    STACK_LOW.with(|l| l.set(sp));
    SEGMENTS.with(|s| s.set((s.get().0, 0)));
    sp
}

/// Stack bytes the recursive phases used below `mark` on this thread
/// (touched stack pages stay resident, so the budget counts them), plus
/// the segments added when the thread's own stack ran short.
pub fn stack_used_since(mark: usize) -> usize {
    let low = STACK_LOW.with(Cell::get);
    let own = if low == usize::MAX || low > mark {
        0
    } else {
        mark - low
    };
    own + SEGMENTS.with(Cell::get).1 as usize * SEGMENT
}

const RED_ZONE: usize = 256 * 1024;

thread_local! {
    /// Lowest usable address of the current stack segment (0: unknown).
    static STACK_LIMIT: Cell<usize> = const { Cell::new(0) };
}

#[cold]
#[inline(never)]
fn deep_slow<R>(sp: usize, f: impl FnOnce() -> R) -> R {
    match stacker::remaining_stack() {
        Some(rem) if rem > RED_ZONE => {
            STACK_LIMIT.with(|l| l.set(sp.saturating_sub(rem)));
            f()
        }
        _ => stacker::maybe_grow(RED_ZONE, SEGMENT, || {
            // On the new segment the limit is unknown until asked again;
            // the old one is back when the segment is left.
            let saved = STACK_LIMIT.with(|l| l.replace(0));
            SEGMENTS.with(|s| {
                let (n, max) = s.get();
                s.set((n + 1, max.max(n + 1)));
            });
            let r = f();
            SEGMENTS.with(|s| {
                let (n, max) = s.get();
                s.set((n.saturating_sub(1), max));
            });
            STACK_LIMIT.with(|l| l.set(saved));
            r
        }),
    }
}

/// Parses a size such as `4096`, `64K`, `8M`, `1G` (powers of 1024).
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let (digits, mult) = match t.as_bytes().last()? {
        b'K' | b'k' => (&t[..t.len() - 1], 1usize << 10),
        b'M' | b'm' => (&t[..t.len() - 1], 1 << 20),
        b'G' | b'g' => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<usize>().ok()?.checked_mul(mult)
}

/// The process's peak resident set size in bytes (0 if unknown).
fn peak_rss() -> usize {
    // SAFETY: getrusage writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0;
    }
    (u.ru_maxrss as usize).saturating_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("64K"), Some(65536));
        assert_eq!(parse_size("8M"), Some(8 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("K"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("1.5M"), None);
    }

    #[test]
    fn limit_is_enforced_across_phases() {
        let mem = Memory::new(64 * 1024);
        let a = mem.arena(Phase::Parse);
        let mut v = a.vec::<u64>();
        let mut failed = None;
        for i in 0..100_000u64 {
            if let Err(e) = v.push(i) {
                failed = Some(e);
                break;
            }
        }
        let e = failed.expect("the limit must stop the vector");
        assert_eq!(e.phase, Phase::Parse);
        assert!(mem.total_held() <= 64 * 1024);
        let b = mem.arena(Phase::Check);
        assert!(b.alloc_slice_copy(&[0u8; 60 * 1024]).is_err());
    }

    #[test]
    fn chunks_are_capped() {
        let mut mem = Memory::new(1 << 30);
        {
            let a = mem.arena(Phase::Parse);
            for i in 0..2_000_000u64 {
                a.alloc(i).expect("room");
            }
        }
        let stats = mem.stats();
        let p = stats.phases[Phase::Parse as usize];
        // 16 MB of u64s: with doubling chunks capped at 2 MiB, the arena
        // holds at most one partly used chunk more than it needs.
        assert!(p.reserved <= 16_000_000 + 2 * CHUNK_CAP, "{p:?}");
        assert!(p.chunks >= 8, "{p:?}");
    }

    #[test]
    fn mid_size_growth_after_a_huge_chunk() {
        // A huge chunk (like the token vector) followed by tables and
        // vectors growing past the chunk cap: bumpalo halves its huge
        // chunk size looking for a fit, which the cap must leave room for.
        let mem = Memory::new(1 << 30);
        let a = mem.arena(Phase::Parse);
        a.alloc_slice_fill(150_000_000, 0u8).expect("big slice");
        let mut m: Map<'_, u64, u64> = a.map();
        let mut v = a.vec::<u64>();
        for i in 0..200_000u64 {
            a.map_room(&mut m).expect("table growth");
            m.insert(i, i);
            v.push(i).expect("vector growth");
            if i % 1000 == 0 {
                a.alloc_slice_fill(700_000 + i as usize, 1u8)
                    .expect("slice");
            }
        }
        assert_eq!(m.len(), 200_000);
    }

    #[test]
    fn fault_injection_fails_the_nth_allocation() {
        let mut mem = Memory::new(1 << 20);
        mem.set_fault(Some(FaultPlan {
            phase: Phase::Check,
            fail_at: 3,
        }));
        let a = mem.arena(Phase::Check);
        assert!(a.alloc(1u32).is_ok());
        assert!(a.alloc(2u32).is_ok());
        assert!(a.alloc(3u32).is_err());
        assert!(mem.fault_fired());
    }
}
