//! `pole`: a memory-bounded compiler for Pole IR.
//!
//! The pipeline, one module per phase, data flowing one way:
//! [`syntax`] -> [`types`] -> [`ir`] -> [`codegen`] -> [`link`], with
//! [`memory`] owning every phase's arena and [`driver`] running the phases.

pub mod codegen;
pub mod corpus;
pub mod diag;
pub mod driver;
pub mod ir;
pub mod link;
pub mod memory;
pub mod shapes;
pub mod syntax;
pub mod types;
