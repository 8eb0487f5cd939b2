//! The vault model: links files, environments, and the analysis behind every feature, as
//! plain data with byte ranges. No IO happens here.

pub mod analysis;
pub mod arn;
pub mod diagnostic;
pub mod document;
pub mod features;
pub mod identifier;
pub mod incremental;
pub mod links;
pub mod plaintext;
pub mod secret;
pub mod secrets;
pub mod target;
