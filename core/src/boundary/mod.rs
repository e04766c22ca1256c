//! The boundary of the core, as the Wasm module (`core/wasm`) and native callers use it: every
//! entry point as a plain tagged answer (`answer.rs`), and on JSON text, answered as JSON text
//! (`text.rs`).

mod answer;
mod text;

pub use crate::json::read::{as_javascript_numbers, read, read_text, Unread};
pub use answer::*;
pub use text::*;
