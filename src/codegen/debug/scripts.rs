//! The debugger scripts that show Pole values as Pole writes them: the gdb
//! pretty-printers (`pole_gdb.py`), which every object with debug
//! variables carries in its `.debug_gdb_scripts` section so gdb loads them
//! by itself, and the lldb formatters (`pole_lldb.py`), which lldb is given
//! by hand (`pole print lldb-formatters`).

use crate::codegen::object::{Kind, StreamModule};

/// The gdb pretty-printers (`pole print gdb-script`).
pub const GDB_SCRIPT: &str = include_str!("pole_gdb.py");

/// The lldb formatters (`pole print lldb-formatters`).
pub const LLDB_SCRIPT: &str = include_str!("pole_lldb.py");

/// The name gdb tracks the embedded script by (loaded once per program,
/// however many of its objects carry it).
const SCRIPT_NAME: &str = "pole_gdb.py";

/// gdb's `SECTION_SCRIPT_ID_PYTHON_TEXT`: an inline Python script.
const PYTHON_TEXT: u8 = 4;

/// The contents of `.debug_gdb_scripts`: one inline entry, the kind byte,
/// the script's name on the first line, its text, and a NUL.
pub(crate) fn gdb_scripts_entry() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(GDB_SCRIPT.len() + SCRIPT_NAME.len() + 3);
    bytes.push(PYTHON_TEXT);
    bytes.extend_from_slice(SCRIPT_NAME.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(GDB_SCRIPT.as_bytes());
    bytes.push(0);
    bytes
}

/// Adds the `.debug_gdb_scripts` section to the object: not loaded at run
/// time, and a mergeable string, so the linker keeps one copy of the
/// identical entries of a program's objects.
pub(crate) fn add_gdb_scripts(module: &mut StreamModule) -> std::io::Result<()> {
    let sec = module.section(".debug_gdb_scripts", Kind::Strings);
    module.append(sec, &gdb_scripts_entry(), 1)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_entry_is_one_nul_terminated_inline_python_script() {
        let e = super::gdb_scripts_entry();
        assert_eq!(e[0], 4);
        let text = &e[1..e.len() - 1];
        assert_eq!(
            text,
            format!("pole_gdb.py\n{}", super::GDB_SCRIPT).as_bytes()
        );
        // The NUL ends the entry: the script holds none.
        assert!(!text.contains(&0));
        assert_eq!(e.last(), Some(&0));
    }
}
