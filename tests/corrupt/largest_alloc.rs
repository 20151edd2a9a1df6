//! The largest single allocation, to show that no length field is trusted blindly.

use std::alloc::{GlobalAlloc, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Tracking;

pub static LARGEST_ALLOC: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        LARGEST_ALLOC.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: std::alloc::Layout) -> *mut u8 {
        LARGEST_ALLOC.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new: usize) -> *mut u8 {
        LARGEST_ALLOC.fetch_max(new, Ordering::Relaxed);
        System.realloc(p, l, new)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        System.dealloc(p, l)
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// Nothing in this test binary allocates anywhere near this much in one piece (segments are 4 KiB).
pub const ALLOC_LIMIT: usize = 8 << 20;
