//! Output into a closed pipe (`improv corpus song.mid | head`) ends the program
//! quietly, as Unix tools do, instead of a panic from `println!`.

/// Restores the default action of SIGPIPE, which Rust's runtime sets to "ignore"
/// (so a write to a closed pipe returns an error that `println!` turns into a
/// panic). Call first thing in `main`.
pub fn end_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: `signal` with SIG_DFL installs no handler code; it is called once at
    // start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
