//! Reading a large document in two halves side by side: its first reading (parse, analysis,
//! credential scan) is most of the wait for its first diagnostics, and a machine has more
//! than one core.

/// Runs `first` here and `second` on a thread of its own; a panic in `second` goes on here.
pub fn side_by_side<A, B: Send>(
    first: impl FnOnce() -> A,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    std::thread::scope(|s| {
        let second = s.spawn(second);
        let first = first();
        match second.join() {
            Ok(second) => (first, second),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
