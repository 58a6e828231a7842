//! The `pole` command line.

use pole::memory::CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn main() {
    std::process::exit(pole::driver::on_compiler_stack(pole::driver::cli::main));
}
