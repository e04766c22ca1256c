//! Writing JSON text: serde_json into a byte buffer that copies short pieces byte by byte.
//!
//! serde_json writes an answer in hundreds of small pieces (a quote, a colon, a key). Into a
//! `Vec<u8>` each is an `extend_from_slice`, which in Wasm is a `memory.copy`: a runtime call in
//! V8 that costs as much for one byte as for a few hundred (≈ 25 ns here). Short pieces are
//! pushed instead; long ones still go through one copy.

use std::io;

use serde::Serialize;

/// A JSON text being written.
pub(crate) struct Text(Vec<u8>);

impl Text {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl io::Write for Text {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.len() <= 32 {
            self.0.reserve(buf.len());
            for &b in buf {
                self.0.push(b);
            }
        } else {
            self.0.extend_from_slice(buf);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `value` as JSON bytes.
pub(crate) fn to_bytes<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> serde_json::Result<Vec<u8>> {
    let mut text = Text::with_capacity(capacity);
    serde_json::to_writer(&mut text, value)?;
    Ok(text.into_bytes())
}

/// `value` as a JSON string.
pub(crate) fn to_string<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> serde_json::Result<String> {
    // serde_json writes valid UTF-8; checking it again is cheap and keeps this crate free of `unsafe`.
    let bytes = to_bytes(value, capacity)?;
    String::from_utf8(bytes).map_err(|e| serde::ser::Error::custom(e.to_string()))
}
