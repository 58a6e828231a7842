//! The `pole` command line.

use pole::memory::CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn main() {
    pole::memory::configure_allocator();
    // Before any other thread starts: they inherit the blocked signals.
    pole::link::install_signal_cleanup();
    std::process::exit(pole::driver::on_compiler_stack(pole::driver::cli::main));
}
