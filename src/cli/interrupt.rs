//! Ctrl-C and SIGTERM during long work (a WAV render): the work notices within a
//! block, returns an error, and its temporary file is removed on the way out,
//! where the default action would kill the process and leave hundreds of MB behind.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// What the work returns when it was interrupted.
pub const INTERRUPTED: &str = "interrupted; the partial file was removed";

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Runs `work` with SIGINT, SIGTERM and SIGHUP caught (see [`check`]), then puts
/// their default actions back, so Ctrl-C anywhere else still ends the program at once.
pub fn guarded<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    REQUESTED.store(false, Ordering::SeqCst);
    set_handlers(true);
    let out = work();
    set_handlers(false);
    out
}

fn set_handlers(catch: bool) {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let action = if catch { on_signal as *const () as libc::sighandler_t } else { libc::SIG_DFL };
        // SAFETY: the handler only stores to an atomic.
        unsafe {
            libc::signal(signal, action);
        }
    }
    #[cfg(not(unix))]
    let _ = catch;
}

/// `Err` once an interrupt was asked for.
pub fn check() -> Result<(), String> {
    if REQUESTED.load(Ordering::SeqCst) { Err(INTERRUPTED.to_string()) } else { Ok(()) }
}
