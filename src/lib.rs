//! `pole`: a memory-bounded compiler for Pole IR.
//!
//! The pipeline, one module per phase, data flowing one way:
//! [`syntax`] -> [`types`] -> [`ir`] -> [`codegen`] -> [`link`] (or, for
//! `pole run`, [`load`]: linked in memory), with
//! [`memory`] owning every phase's arena and [`driver`] running the phases.
//! [`fmt`] (the formatter) and [`lsp`] (the language server) are further
//! clients of the front end ([`syntax`], [`types`]).

pub mod codegen;
pub mod corpus;
pub mod diag;
pub mod driver;
pub mod fmt;
pub mod fsio;
pub mod ir;
pub mod link;
pub mod load;
pub mod lsp;
pub mod memory;
pub mod shapes;
pub mod syntax;
pub mod types;
