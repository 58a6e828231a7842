# Pole pretty-printers for gdb: values of Pole types printed as Pole writes
# them. `pole build` embeds this script in every executable with debug
# variables (section .debug_gdb_scripts); `pole print gdb-script` prints it.
#
# The compiler names each Pole type's DWARF type as Pole shows it
# (`Player`, `List<Player>`, `Option<Tree>`, `(Int, String)`,
# `(Int) -> Int`, `HashMap<String, Int>`, `Ptr<Rect>`, `String`, `Unit`);
# heap values are references to structures laid out as the runtime's
# objects (see codegen/debug/types.rs). A slot whose value was dropped or
# moved holds 0: it prints as <dropped>.
import gdb

POLE_MAX_ITEMS = 20  # elements of a list or map shown before `...`
POLE_MAX_DEPTH = 8  # nesting shown before `...`
POLE_MAX_STRING = 200  # bytes of a string shown before `...`
POLE_MAX_VALUES = 1000  # values shown in one print, nested ones included
POLE_MAX_TABLE = 1 << 26  # a map's table larger than this is not read


class _Budget:
    """What is left of POLE_MAX_VALUES for the value being printed."""

    left = POLE_MAX_VALUES

_ESCAPES = {0x0A: "\\n", 0x09: "\\t", 0x5C: "\\\\", 0x22: '\\"', 0x00: "\\0"}


def _quote(data, cut):
    out = ['"']
    for b in data:
        if b in _ESCAPES:
            out.append(_ESCAPES[b])
        elif b < 0x20 or b == 0x7F:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    out.append('..."' if cut else '"')
    # Bytes of UTF-8 text were appended one by one: decode them back.
    text = "".join(out)
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _u64(addr):
    mem = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(mem), "little")


def _addr(v):
    """The address a reference or pointer value holds."""
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_REF:
        a = v.address  # a reference's value is its referent
        return 0 if a is None else int(a)
    return int(v.cast(gdb.lookup_type("unsigned long")))


def _string(v):
    p = _addr(v)
    if p == 0:
        return "<dropped>"
    n = _u64(p - 16)  # the length is the word before the header
    cut = n > POLE_MAX_STRING
    data = bytes(gdb.selected_inferior().read_memory(p, min(n, POLE_MAX_STRING)))
    return _quote(data, cut)


def _kind(t):
    """What Pole type (typedef) or runtime structure type `t` shows."""
    name = t.name or ""
    s = t.strip_typedefs()
    if name == "String":
        return "string"
    if name == "Unit":
        return "unit"
    if name.startswith("Ptr<"):
        return "ptr"
    if s.code in (gdb.TYPE_CODE_REF, gdb.TYPE_CODE_PTR):
        # References, and pointers for variants (see types.rs).
        s = s.target().strip_typedefs()
    if s.code != gdb.TYPE_CODE_STRUCT:
        return None
    sname = s.name or ""
    if sname.startswith("HashMap<"):
        return "map"
    if sname.startswith("List<"):
        return "list"
    fields = [f.name for f in s.fields()]
    if sname.startswith("("):
        return "closure" if fields == ["code"] else "tuple"
    if fields and fields[0] == "tag":
        tag = s.fields()[0].type
        if tag.code == gdb.TYPE_CODE_ENUM and (tag.name or "").endswith(".tag"):
            return "variant"
    return "record"


def _struct(v):
    """The structure a Pole value refers to (or `v` itself)."""
    code = v.type.strip_typedefs().code
    if code == gdb.TYPE_CODE_REF:
        return v.referenced_value()
    if code == gdb.TYPE_CODE_PTR:
        return v.dereference()
    return v


def pole_format(v, depth=0):
    """The text of value `v` as Pole writes it."""
    if _Budget.left <= 0:
        return "..."
    _Budget.left -= 1
    kind = _kind(v.type)
    if kind is None:
        return _scalar(v)
    if kind == "string":
        return _string(v)
    if kind == "unit":
        return "()"
    if kind == "ptr":
        a = _addr(v)
        return "Ptr(null)" if a == 0 else "Ptr(0x%x)" % a
    if v.type.strip_typedefs().code in (gdb.TYPE_CODE_REF, gdb.TYPE_CODE_PTR):
        if _addr(v) == 0:
            return "<dropped>"
    if depth >= POLE_MAX_DEPTH:
        return "..."
    s = _struct(v)
    if kind == "list":
        return _list(s, depth)[0]
    if kind == "map":
        return _map(s, depth)[0]
    if kind == "closure":
        return _closure(s)
    if kind == "tuple":
        items = [pole_format(s[f.name], depth + 1) for f in s.type.fields()]
        return "(" + ", ".join(items) + ")"
    if kind == "variant":
        return _variant(s, depth)
    fields = ["%s = %s" % (f.name, pole_format(s[f.name], depth + 1)) for f in s.type.fields()]
    return "{ " + ", ".join(fields) + " }" if fields else "{}"


def _scalar(v):
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_BOOL:
        return "true" if int(v) & 0xFF else "false"
    if t.code == gdb.TYPE_CODE_FLT:
        f = float(v)
        text = repr(f)
        return text
    if t.code == gdb.TYPE_CODE_INT:
        return str(int(v))
    return str(v)


def _list(s, depth):
    n = int(s["len"])
    data = s["data"]
    shown = [pole_format(data[i], depth + 1) for i in range(min(n, POLE_MAX_ITEMS))]
    if n > POLE_MAX_ITEMS:
        shown.append("...")
    return "[" + ", ".join(shown) + "]", n


def _map_entries(m, depth):
    """The map's (key text, value) pairs, in the order `HashMap_keys`
    gives: a string map's entries know their insertion index; an int map's
    log lists keys as inserted, a key's last entry being where it is now."""
    cap = int(m["mask"]) + 1
    if cap > POLE_MAX_TABLE or int(m["ord_len"]) > POLE_MAX_TABLE:
        raise gdb.MemoryError("not a map")
    tab = m["tab"]
    if int(m["is_str"]):
        live = []
        for i in range(cap):
            e = tab[i]
            if _addr(e["key"]) != 0:
                live.append((int(e["ord"]), e["key"], e["val"]))
        live.sort(key=lambda x: x[0])
        return [(pole_format(k, depth + 1), v) for _, k, v in live]
    present = {}
    for i in range(cap):
        e = tab[i]
        k = int(e["key"])
        if k != 0:
            present[k] = e["val"]
    if int(m["has_zero"]):
        present[0] = m["zero_val"]
    seen, order = set(), []
    log = m["log"]
    for i in range(int(m["ord_len"]) - 1, -1, -1):
        k = int(log[i])
        if k in present and k not in seen:
            seen.add(k)
            order.append(k)
    order.reverse()
    return [(str(k), present[k]) for k in order]


def _map(m, depth):
    entries = _map_entries(m, depth)
    shown = ["%s => %s" % (k, pole_format(v, depth + 1)) for k, v in entries[:POLE_MAX_ITEMS]]
    if len(entries) > POLE_MAX_ITEMS:
        shown.append("...")
    body = " { " + ", ".join(shown) + " }" if shown else " {}"
    return "HashMap(size=%d)%s" % (len(entries), body), len(entries)


def _closure(s):
    code = int(s["code"].cast(gdb.lookup_type("unsigned long")))
    block = None
    try:
        block = gdb.block_for_pc(code)
    except RuntimeError:
        pass
    while block is not None and block.function is None:
        block = block.superblock
    if block is not None:
        return "<function %s>" % block.function.name
    sym = gdb.execute("info symbol 0x%x" % code, to_string=True).split(" in section")[0]
    return "<function %s>" % sym.strip()


def _variant(s, depth):
    tag = str(s["tag"])
    names = [f.name for f in s.type.fields()]
    if tag not in names[1:]:
        return tag
    payload = s[tag]
    items = [pole_format(payload[f.name], depth + 1) for f in payload.type.fields()]
    return "%s(%s)" % (tag, ", ".join(items))


class PolePrinter:
    """Prints one Pole value (the value gdb asked for)."""

    def __init__(self, v, kind):
        self.v = v
        self.kind = kind

    def to_string(self):
        _Budget.left = POLE_MAX_VALUES
        try:
            v = self.v
            if self.kind == "list" and _addr(v) != 0:
                text, n = _list(_struct(v), 0)
                return "List(length=%d) %s" % (n, text)
            return pole_format(v)
        except gdb.error:  # memory that holds no Pole value (yet)
            return "<unreadable>"


class PoleLookup:
    """Finds the printer of values of Pole types: the types the compiler
    named (typedefs) and the structures behind them, of the program this
    script was loaded for (a C library's `String` is not Pole's)."""

    def __init__(self, objfile):
        self.objfile = objfile
        self.name = "pole"
        self.enabled = True

    def __call__(self, v):
        t = v.type
        if t.code not in _CODES:
            return None
        owner = getattr(t, "objfile", None)
        if self.objfile is not None and owner is not None and owner != self.objfile:
            return None
        kind = _kind(t)
        # A value gdb stripped the Pole name of (`finish` does): references
        # are Pole values, pointers only a variant's (others are C's).
        if kind is None or (t.code == gdb.TYPE_CODE_PTR and kind != "variant"):
            return None
        return PolePrinter(v, kind)


_CODES = (gdb.TYPE_CODE_TYPEDEF, gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_REF, gdb.TYPE_CODE_PTR)


def _register(objfile):
    printers = objfile.pretty_printers if objfile is not None else gdb.pretty_printers
    if not any(getattr(p, "name", None) == "pole" for p in printers):
        printers.append(PoleLookup(objfile))


def _pole_frame(frame):
    """The first frame from `frame` on that has Pole source lines."""
    while frame is not None and frame.find_sal().symtab is None:
        frame = frame.older()
    return frame


def _on_stop(event):
    """At `break pole_runtime_error`: say which error, and select the Pole
    function it happened in, so `info args`, `info locals` and `print`
    show its values at once."""
    try:
        frame = gdb.newest_frame()
        if frame.name() != "pole_runtime_error":
            return
        char_p = gdb.lookup_type("char").pointer()
        msg = frame.read_register("rdi").cast(char_p)
        loc = frame.read_register("rsi").cast(char_p)
        text = "pole: runtime error: %s" % msg.string()
        if int(loc) != 0:
            text += "\n  at %s" % loc.string()
        print(text)
        pole = _pole_frame(frame)
        if pole is not None:
            pole.select()
            gdb.execute("frame", to_string=False)
    except (gdb.error, RuntimeError):
        pass


_register(gdb.current_objfile())
if not getattr(gdb, "_pole_stop_hook", False):
    gdb._pole_stop_hook = True
    gdb.events.stop.connect(_on_stop)
