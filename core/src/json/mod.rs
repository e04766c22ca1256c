//! JSON in and out: typed inputs read straight from JSON text with the path of the first bad field,
//! answers written as JSON text, and the canonical form (RFC 8785) that audit hashes cover.

pub(crate) mod canonical;
pub(crate) mod read;
pub(crate) mod write;
