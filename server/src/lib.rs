//! vaultlink: Azure Key Vault links for HTTP request files, as a library behind the
//! `vaultlink` command line and language server.
//!
//! Layers, lowest first: [`text`] (offsets and encodings), [`syntax`] (parsers that never
//! fail), [`vault`] (links, environments and the analysis behind every feature). See
//! `ARCHITECTURE.md` at the repository root.

pub mod aws;
pub mod azure;
pub mod cache;
pub mod cli;
pub mod fs;
pub mod fuzz;
pub mod halves;
pub mod lsp;
pub mod net;
pub mod providers;
pub mod send;
pub mod syntax;
pub mod text;
pub mod vault;
pub mod workspace;
