//! What every long-running step shares, whatever layer it lives in: the
//! progress callback the binary draws a bar with, and how many worker
//! threads I/O-heavy work uses.
//!
//! Must not: draw anything itself or read the environment.

/// Progress callbacks for long commands (the binary draws a bar).
pub trait Progress: Sync {
    /// Work is about to start: this many files and bytes.
    fn begin(&self, _files: u64, _bytes: u64) {}
    /// This many more bytes were processed.
    fn advance(&self, _bytes: u64) {}
    /// Work is over.
    fn finish(&self) {}
}

/// Progress that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Threads for CPU-bound work: one per core.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Worker threads for I/O-heavy work: `requested`, or by default twice the
/// cores (a worker waiting on a read or a write leaves its core to another),
/// at most 16.
pub fn workers(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get() * 2).min(16),
        n => n,
    }
}
