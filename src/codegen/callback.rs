//! Pole functions as C function pointers (§7.8): for each named function
//! passed to C at a function type, a small C-ABI entry that converts the
//! arguments (fixed-width C types to `Int`/`Float64`), calls the function
//! (`tail` convention) and converts its result back.

use super::{CodegenError, Gen, backend};
use crate::ir::Repr;
use crate::types::Checked;
use crate::types::ty::{CNum, TyId, TyKind};
use cranelift_codegen::Context;
use cranelift_codegen::ir::{AbiParam, Function, InstBuilder, Signature, UserFuncName, types};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{FuncId, Linkage, Module};

/// How a value of type `t` crosses to C.
fn c_repr(ck: &Checked<'_>, t: TyId) -> Option<Repr> {
    Some(match ck.types.shape(t) {
        TyKind::Unit => return None,
        TyKind::Int32 | TyKind::CNum(CNum::I8 | CNum::I16 | CNum::U8 | CNum::U16 | CNum::U32) => {
            Repr::I32
        }
        TyKind::CNum(CNum::F32) => Repr::F32,
        TyKind::Float => Repr::F64,
        TyKind::Bool => Repr::I8,
        _ => Repr::I64,
    })
}

/// The C signature of a function of parameter types `params` and result
/// type `ret` (a Unit parameter is omitted).
fn c_signature(ck: &Checked<'_>, params: &[TyId], ret: TyId) -> Signature {
    let clif = super::func::clif_type;
    let mut sig = Signature::new(CallConv::SystemV);
    for &p in params {
        if let Some(r) = c_repr(ck, p) {
            sig.params.push(AbiParam::new(clif(r)));
        }
    }
    if let Some(r) = c_repr(ck, ret) {
        sig.returns.push(AbiParam::new(clif(r)));
    }
    sig
}

impl Gen<'_, '_> {
    /// An extern passed to C as a function pointer (§7.8): its C symbol,
    /// declared with the extern's own C signature.
    pub fn extern_callback(
        &mut self,
        ck: &Checked<'_>,
        symbol: &str,
        params: &[TyId],
        ret: TyId,
    ) -> Result<FuncId, CodegenError> {
        self.import(symbol, &c_signature(ck, params, ret))
    }

    /// The C-ABI entry calling Pole function `pole` (type `pole_ty`) as a
    /// C function of type `c_ty` (a function type).
    pub fn callback(
        &mut self,
        ck: &Checked<'_>,
        pole: FuncId,
        pole_ty: TyId,
        c_ty: TyId,
    ) -> Result<FuncId, CodegenError> {
        if let Some(&id) = self.callbacks.get(&(pole, c_ty)) {
            return Ok(id);
        }
        let (TyKind::Func(cl), TyKind::Func(pl)) = (ck.types.shape(c_ty), ck.types.shape(pole_ty))
        else {
            return Err(CodegenError::Backend(
                "a callback of a non-function type".into(),
            ));
        };
        let (c_params, c_ret) = ck.types.func_parts(cl);
        let (p_params, p_ret) = ck.types.func_parts(pl);
        let clif = super::func::clif_type;
        let sig = c_signature(ck, c_params, c_ret);
        // A C string argument becomes a new Pole string, which the
        // function owns (§7.2).
        let from_c = if c_params.iter().any(|&p| ck.types.shape(p) == TyKind::Str) {
            let mut s = Signature::new(CallConv::SystemV);
            s.params.push(AbiParam::new(types::I64));
            s.returns.push(AbiParam::new(types::I64));
            Some(self.import("pole_str_from_c", &s)?)
        } else {
            None
        };
        self.anon += 1;
        let name = format!("pole.cb.{}", self.anon);
        let id = self
            .module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(backend)?;
        self.callbacks.insert((pole, c_ty), id);
        let mut func = Function::with_name_signature(UserFuncName::user(0, id.as_u32()), sig);
        let mut fctx = FunctionBuilderContext::new();
        {
            let mut b = FunctionBuilder::new(&mut func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let incoming = b.block_params(entry).to_vec();
            let mut args = Vec::with_capacity(p_params.len());
            let mut k = 0;
            for (&cp, &pp) in c_params.iter().zip(p_params) {
                let Some(r) = c_repr(ck, cp) else {
                    args.push(b.ins().iconst(types::I8, 0));
                    continue;
                };
                let v = incoming[k];
                k += 1;
                let want = clif(crate::ir::lower::repr_of(ck, pp));
                if let (TyKind::Str, Some(f)) = (ck.types.shape(cp), from_c) {
                    let fref = self.module.declare_func_in_func(f, b.func);
                    let call = b.ins().call(fref, &[v]);
                    args.push(b.inst_results(call)[0]);
                    continue;
                }
                let v = match r {
                    Repr::I32 if want == types::I64 => match ck.types.shape(cp) {
                        TyKind::CNum(CNum::U8 | CNum::U16 | CNum::U32) => {
                            b.ins().uextend(types::I64, v)
                        }
                        _ => b.ins().sextend(types::I64, v),
                    },
                    Repr::F32 => b.ins().fpromote(types::F64, v),
                    _ => v,
                };
                args.push(v);
            }
            let mut psig = Signature::new(CallConv::Tail);
            for &p in p_params {
                psig.params
                    .push(AbiParam::new(clif(crate::ir::lower::repr_of(ck, p))));
            }
            psig.returns
                .push(AbiParam::new(clif(crate::ir::lower::repr_of(ck, p_ret))));
            let sref = b.import_signature(psig);
            let fref = self.module.declare_func_in_func(pole, b.func);
            let addr = b.ins().func_addr(types::I64, fref);
            let call = b.ins().call_indirect(sref, addr, &args);
            let result = b.inst_results(call)[0];
            match c_repr(ck, c_ret) {
                None => {
                    b.ins().return_(&[]);
                }
                Some(Repr::I32) => {
                    let r = b.ins().ireduce(types::I32, result);
                    b.ins().return_(&[r]);
                }
                Some(Repr::F32) => {
                    let r = b.ins().fdemote(types::F32, result);
                    b.ins().return_(&[r]);
                }
                Some(Repr::I8) => {
                    let r = match crate::ir::lower::repr_of(ck, p_ret) {
                        Repr::I8 => result,
                        _ => b.ins().ireduce(types::I8, result),
                    };
                    b.ins().return_(&[r]);
                }
                Some(_) => {
                    b.ins().return_(&[result]);
                }
            }
            let cfg = self.module.target_config();
            b.finalize(cfg);
        }
        let mut ctx = Context::for_function(func);
        self.module
            .define_function(id, &mut ctx)
            .map_err(|e| CodegenError::Backend(format!("callback entry: {e:?}")))?;
        Ok(id)
    }
}
