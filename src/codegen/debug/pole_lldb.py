# Pole formatters for lldb: values of Pole types shown as Pole writes them.
# Load them with
#     pole print lldb-formatters > ~/.pole_lldb.py
#     (lldb) command script import ~/.pole_lldb.py
# (or put that line in ~/.lldbinit). They live in the type category `pole`
# (`type category disable pole` turns them off).
#
# The compiler names each Pole type's DWARF type as Pole shows it
# (`Player`, `List<Player>`, `Option<Tree>`, `(Int, String)`,
# `(Int) -> Int`, `HashMap<String, Int>`, `Ptr<Rect>`, `String`, `Unit`);
# heap values are references to structures laid out as the runtime's
# objects (see codegen/debug/types.rs). A slot whose value was dropped or
# moved holds 0: it shows as <dropped>.
import lldb

POLE_MAX_ITEMS = 20
POLE_MAX_DEPTH = 8
POLE_MAX_STRING = 200
POLE_MAX_VALUES = 1000  # values shown in one summary, nested ones included
POLE_MAX_TABLE = 1 << 26  # a map's table larger than this is not read


class _Budget:
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
    text = "".join(out)
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _read(v, addr, n):
    err = lldb.SBError()
    data = v.GetProcess().ReadMemory(addr, n, err)
    if not err.Success():
        raise MemoryError(addr)
    return bytes(data)


def _kind(t):
    name = t.GetName() or ""
    if name == "String":
        return "string"
    if name == "Unit":
        return "unit"
    if name.startswith("Ptr<"):
        return "ptr"
    s = t.GetCanonicalType()
    if s.IsPointerType():
        # Only a variant is a pointer to a structure (see types.rs); lldb
        # leaves its variant part out, so the formatter reads the tag and
        # finds the payload's type, `NAME.CTOR`, by name.
        if s.GetPointeeType().GetCanonicalType().GetTypeClass() == lldb.eTypeClassStruct:
            return "variant" if t.GetTypeClass() == lldb.eTypeClassTypedef else None
        return None
    if s.IsReferenceType():
        s = s.GetDereferencedType().GetCanonicalType()
    if s.GetTypeClass() != lldb.eTypeClassStruct:
        return None
    # lldb shortens structure names with `<...>` to `List<>`.
    sname = s.GetName() or ""
    for prefix, kind in (("HashMap<", "map"), ("List<", "list")):
        if sname.startswith(prefix):
            return kind
    fields = [s.GetFieldAtIndex(i).GetName() for i in range(s.GetNumberOfFields())]
    if sname.startswith("("):
        return "closure" if fields == ["code"] else "tuple"
    return "record"


def _addr(v):
    """The address a reference or pointer holds (0: none)."""
    a = v.GetValueAsUnsigned(0)
    if a == 0 and v.GetType().GetCanonicalType().IsReferenceType():
        # An expression's result holds its referent.
        d = v.Dereference()
        if d.IsValid() and d.GetError().Success():
            la = d.GetLoadAddress()
            a = 0 if la == lldb.LLDB_INVALID_ADDRESS else la
    return a


def _struct(v):
    t = v.GetType().GetCanonicalType()
    if t.IsReferenceType() or t.IsPointerType():
        return v.Dereference()
    return v


def _member(s, name):
    return s.GetChildMemberWithName(name)


def pole_format(v, depth=0):
    if _Budget.left <= 0:
        return "..."
    _Budget.left -= 1
    kind = _kind(v.GetType())
    if kind is None:
        return _scalar(v)
    if kind == "unit":
        return "()"
    if kind == "ptr":
        a = v.GetValueAsUnsigned(0)
        return "Ptr(null)" if a == 0 else "Ptr(0x%x)" % a
    held = v.GetType().GetCanonicalType()
    if (held.IsReferenceType() or held.IsPointerType()) and _addr(v) == 0:
        return "<dropped>"
    if kind == "string":
        p = _addr(v)
        n = int.from_bytes(_read(v, p - 16, 8), "little")
        return _quote(_read(v, p, min(n, POLE_MAX_STRING)) if n else b"", n > POLE_MAX_STRING)
    if depth >= POLE_MAX_DEPTH:
        return "..."
    if kind == "variant":
        return _variant(v, depth)
    s = _struct(v)
    if kind == "list":
        return _list(s, depth)[0]
    if kind == "map":
        return _map(s, depth)
    if kind == "closure":
        return _closure(s)
    if kind == "tuple":
        items = [pole_format(s.GetChildAtIndex(i), depth + 1) for i in range(s.GetNumChildren())]
        return "(" + ", ".join(items) + ")"
    fields = []
    for i in range(s.GetNumChildren()):
        f = s.GetChildAtIndex(i)
        fields.append("%s = %s" % (f.GetName(), pole_format(f, depth + 1)))
    return "{ " + ", ".join(fields) + " }" if fields else "{}"


def _scalar(v):
    t = v.GetType().GetCanonicalType()
    basic = t.GetBasicType()
    if basic == lldb.eBasicTypeBool:
        return "true" if v.GetValueAsUnsigned(0) & 0xFF else "false"
    if basic in (lldb.eBasicTypeDouble, lldb.eBasicTypeFloat):
        return repr(float(v.GetValue()))
    if t.GetTypeFlags() & lldb.eTypeIsInteger:
        if t.GetTypeFlags() & lldb.eTypeIsSigned:
            return str(v.GetValueAsSigned(0))
        return str(v.GetValueAsUnsigned(0))
    return v.GetValue() or ""


def _list(s, depth):
    n = _member(s, "len").GetValueAsUnsigned(0)
    data = _member(s, "data")
    elem = data.GetType().GetPointeeType()
    size = elem.GetByteSize()
    base = data.GetValueAsUnsigned(0)
    shown = []
    for i in range(min(n, POLE_MAX_ITEMS)):
        e = s.CreateValueFromAddress("[%d]" % i, base + size * i, elem)
        shown.append(pole_format(e, depth + 1))
    if n > POLE_MAX_ITEMS:
        shown.append("...")
    return "[" + ", ".join(shown) + "]", n


def _map(m, depth):
    cap = _member(m, "mask").GetValueAsUnsigned(0) + 1
    if cap > POLE_MAX_TABLE or _member(m, "ord_len").GetValueAsUnsigned(0) > POLE_MAX_TABLE:
        raise MemoryError(cap)
    tab = _member(m, "tab")
    entry = tab.GetType().GetPointeeType()
    size = entry.GetByteSize()
    base = tab.GetValueAsUnsigned(0)
    string_keys = _member(m, "is_str").GetValueAsUnsigned(0) != 0
    entries = []
    present = {}
    for i in range(cap):
        e = m.CreateValueFromAddress("e", base + size * i, entry)
        key = _member(e, "key")
        k = key.GetValueAsUnsigned(0)
        if k == 0:
            continue
        if string_keys:
            entries.append((_member(e, "ord").GetValueAsUnsigned(0), key, _member(e, "val")))
        else:
            present[k] = (key, _member(e, "val"))
    if string_keys:
        entries.sort(key=lambda x: x[0])
        pairs = [(pole_format(k, depth + 1), v) for _, k, v in entries]
    else:
        if _member(m, "has_zero").GetValueAsUnsigned(0):
            present[0] = (None, _member(m, "zero_val"))
        log = _member(m, "log").GetValueAsUnsigned(0)
        n = _member(m, "ord_len").GetValueAsUnsigned(0)
        raw = _read(m, log, 8 * n) if n else b""
        seen, order = set(), []
        for i in range(n - 1, -1, -1):
            k = int.from_bytes(raw[8 * i : 8 * i + 8], "little")
            if k in present and k not in seen:
                seen.add(k)
                order.append(k)
        order.reverse()
        pairs = []
        for k in order:
            key, val = present[k]
            pairs.append(("0" if key is None else pole_format(key, depth + 1), val))
    shown = ["%s => %s" % (k, pole_format(v, depth + 1)) for k, v in pairs[:POLE_MAX_ITEMS]]
    if len(pairs) > POLE_MAX_ITEMS:
        shown.append("...")
    body = " { " + ", ".join(shown) + " }" if shown else " {}"
    return "HashMap(size=%d)%s" % (len(pairs), body)


def _closure(s):
    code = _member(s, "code").GetValueAsUnsigned(0)
    target = s.GetTarget()
    addr = target.ResolveLoadAddress(code)
    f = addr.GetFunction()
    name = f.GetName() if f.IsValid() else addr.GetSymbol().GetName()
    return "<function %s>" % name


def _variant(v, depth):
    name = v.GetType().GetName()
    target = v.GetTarget()
    addr = _addr(v)
    tag = int.from_bytes(_read(v, addr, 8), "little")
    ctor = None
    for m in target.FindFirstType(name + ".tag").GetEnumMembers():
        if m.GetValueAsUnsigned() == tag:
            ctor = m.GetName()
    if ctor is None:
        return "<tag %d>" % tag
    payload_type = target.FindFirstType("%s.%s" % (name, ctor))
    if not payload_type.IsValid():
        return ctor
    payload = v.CreateValueFromAddress(ctor, addr + 8, payload_type)
    items = [pole_format(payload.GetChildAtIndex(i), depth + 1) for i in range(payload.GetNumChildren())]
    return "%s(%s)" % (ctor, ", ".join(items))


def pole_summary(valobj, internal_dict):
    """The summary lldb shows for a value of a Pole type."""
    _Budget.left = POLE_MAX_VALUES
    try:
        v = valobj.GetNonSyntheticValue()
        kind = _kind(v.GetType())
        if kind is None:
            return ""
        if kind == "list" and _addr(v) != 0:
            text, n = _list(_struct(v), 0)
            return "List(length=%d) %s" % (n, text)
        return pole_format(v)
    except MemoryError:
        return "<unreadable>"


# Pole's type names: `String`, `Unit`, generic builtins, tuples and
# function types, and user types (any other name of a typedef that the
# summary recognises, see _kind).
def __lldb_init_module(debugger, internal_dict):
    here = __name__
    debugger.HandleCommand(
        "type summary add --category pole --regex '.*' --python-function %s.pole_summary" % here
    )
    debugger.HandleCommand("type category enable pole")
