//! Hover at a call of a generic function (§4.8): below its signature, the
//! type arguments of the instance the call resolved to (`T = Int`).

use crate::syntax::Interner;
use crate::syntax::ast::Expr;
use crate::types::Checked;
use crate::types::check::Res;

/// `T = Int, U = String` for a call `e` of a generic function at known
/// type arguments; `None` for any other call.
pub fn instantiation(ck: &Checked<'_>, e: &Expr<'_>, names: &Interner<'_>) -> Option<String> {
    let Res::Inst(i) = *ck.expr_res.get(e.id.0 as usize)? else {
        return None;
    };
    let inst = ck.instances.get(i as usize)?;
    let f = ck.funcs.get(inst.func as usize)?;
    let args: Vec<String> = f
        .tparams
        .iter()
        .zip(inst.targs)
        .map(|(&p, &t)| format!("{} = {}", names.name(p), ck.show(t, names)))
        .collect();
    (!args.is_empty()).then(|| args.join(", "))
}
