//! Spare buffers for the text and the line index of a large document. Each edit makes the
//! next version's text by copying the last one, and its line index by copying the line
//! starts; the version before is freed soon after. Copying 5 MB into memory the process has
//! just freed costs a few tenths of a millisecond; into fresh memory, which the kernel must
//! map and clear page by page (the allocator gives freed memory back within 20 ms), it costs
//! one to five milliseconds, and every keystroke waited for it. So the freed buffers of a
//! large document are kept here for the next copy: one of each kind at most, the last one
//! given back, until a document is opened or closed.

use std::sync::Mutex;

/// Buffers smaller than this, in bytes, are not kept: fresh memory is cheap for them.
pub const LARGE: usize = 1 << 18;

/// A buffer that can be kept for later.
trait Buffer: Sized {
    fn with_capacity(len: usize) -> Self;
    /// Its capacity, in elements.
    fn capacity(&self) -> usize;
    fn clear(&mut self);
    /// The size of an element, in bytes.
    const ELEMENT: usize;
}

impl Buffer for String {
    fn with_capacity(len: usize) -> Self {
        String::with_capacity(len)
    }
    fn capacity(&self) -> usize {
        self.capacity()
    }
    fn clear(&mut self) {
        self.clear()
    }
    const ELEMENT: usize = 1;
}

impl Buffer for Vec<u32> {
    fn with_capacity(len: usize) -> Self {
        Vec::with_capacity(len)
    }
    fn capacity(&self) -> usize {
        self.capacity()
    }
    fn clear(&mut self) {
        self.clear()
    }
    const ELEMENT: usize = std::mem::size_of::<u32>();
}

struct Spare<T>(Mutex<Option<T>>);

impl<T: Buffer> Spare<T> {
    const fn new() -> Spare<T> {
        Spare(Mutex::new(None))
    }

    /// An empty buffer with room for `len` elements and some to spare, so that the buffer
    /// of a document that grows by a few keystrokes still fits when it comes back: the spare
    /// one when it is large enough, else a new one.
    fn take(&self, len: usize) -> T {
        if len * T::ELEMENT < LARGE {
            return T::with_capacity(len);
        }
        let spare = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take_if(|s| s.capacity() >= len);
        match spare {
            Some(mut s) => {
                s.clear();
                s
            }
            None => T::with_capacity(len + len / 64),
        }
    }

    fn release(&self) {
        drop(self.0.lock().unwrap_or_else(|e| e.into_inner()).take());
    }

    /// Keeps `buffer`, which nobody reads any more, if it is large.
    fn give_back(&self, buffer: T) {
        if buffer.capacity() * T::ELEMENT >= LARGE {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(buffer);
        }
    }
}

static TEXT: Spare<String> = Spare::new();
static LINE_STARTS: Spare<Vec<u32>> = Spare::new();

/// An empty string with room for a text of `len` bytes (see [`Spare::take`]).
pub fn text(len: usize) -> String {
    TEXT.take(len)
}

/// Keeps the text of a version nobody reads any more, if it is large.
pub fn give_back_text(text: String) {
    TEXT.give_back(text)
}

/// Frees the spare buffers: a document was opened or closed, and the memory is better
/// spent on it, or on nothing.
pub fn release() {
    TEXT.release();
    LINE_STARTS.release();
}

/// An empty list with room for `len` line starts.
pub(super) fn line_starts(len: usize) -> Vec<u32> {
    LINE_STARTS.take(len)
}

/// Keeps the line starts of an index nobody reads any more, if they are many.
pub(super) fn give_back_line_starts(starts: Vec<u32>) {
    LINE_STARTS.give_back(starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole contract, on a spare of its own.
    #[test]
    fn a_large_buffer_given_back_is_the_next_one_and_small_ones_are_not_kept() {
        let spare: Spare<String> = Spare::new();
        let mut text = spare.take(LARGE + 10);
        assert!(
            text.capacity() >= LARGE + 10 + (LARGE + 10) / 64,
            "room to grow"
        );
        text.push_str("version 1");
        let at = text.as_ptr();
        spare.give_back(text);
        // A few bytes longer, as after typing: the same memory, empty.
        let next = spare.take(LARGE + 20);
        assert_eq!(next.as_ptr(), at);
        assert!(next.is_empty());
        // Taken: the next one is new.
        let other = spare.take(LARGE + 20);
        assert_ne!(other.as_ptr(), at);
        spare.give_back(next);
        // Too small for what is asked: a new one, and the spare stays for a smaller text.
        let larger = spare.take(4 * LARGE);
        assert_ne!(larger.as_ptr(), at);
        let smaller = spare.take(LARGE);
        assert_eq!(smaller.as_ptr(), at);
        // Small buffers never go through the spare.
        spare.give_back(String::with_capacity(100));
        assert!(spare.0.lock().unwrap().is_none());
        assert!(spare.take(100).capacity() >= 100);
        // Line starts count in elements of four bytes.
        let starts: Spare<Vec<u32>> = Spare::new();
        starts.give_back(Vec::with_capacity(LARGE / 4));
        assert!(starts.0.lock().unwrap().is_some());
        starts.give_back(Vec::with_capacity(LARGE / 4 - 1));
        assert!(
            starts.0.lock().unwrap().is_some(),
            "a small one does not replace it"
        );
        starts.release();
        assert!(starts.0.lock().unwrap().is_none());
    }
}
