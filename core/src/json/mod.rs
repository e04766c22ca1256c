//! JSON in and out: typed inputs read from JSON values with the path of the first bad field, and
//! answers written as JSON text.

pub(crate) mod read;
pub(crate) mod write;
