//! Writing output files without ever leaving a half-written one: write a
//! temporary file beside the target, then rename it into place. A target that is
//! not a regular file — a device such as `/dev/null`, a FIFO, or `-` for standard
//! output — is never replaced: the finished bytes are written into it instead.

use std::io::Write;
use std::path::Path;

/// True for `-` (standard output) and for an existing path that is neither a
/// regular file nor a folder (a device, a FIFO, a socket, or a link to one).
pub fn is_stream(path: &Path) -> bool {
    path.as_os_str() == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// A temporary file in the target's folder (in the system's temporary folder for a
/// stream target), with the given suffix (for tools that pick a format by extension).
pub fn temp_beside(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile, String> {
    let temp = std::env::temp_dir();
    let dir = match path.parent() {
        _ if is_stream(path) => temp.as_path(),
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(format!("{}: is a directory", path.display()));
    }
    tempfile::Builder::new()
        .prefix(".improv-")
        .suffix(suffix)
        .tempfile_in(dir)
        .map_err(|e| format!("{}: cannot write in {}: {e}", path.display(), dir.display()))
}

/// Moves a finished temporary file to `path` with ordinary permissions (rw-r--r--);
/// into a stream target, copies its bytes (the temporary file is then removed).
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), String> {
    if is_stream(path) {
        let mut from = std::fs::File::open(tmp.path()).map_err(|e| format!("{}: {}", path.display(), e.kind()))?;
        let copied = if path.as_os_str() == "-" {
            std::io::copy(&mut from, &mut std::io::stdout().lock())
        } else {
            std::fs::OpenOptions::new().write(true).open(path).and_then(|mut to| std::io::copy(&mut from, &mut to))
        };
        return copied.map(drop).map_err(|e| format!("{}: cannot write: {}", path.display(), e.kind()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    tmp.persist(path).map_err(|e| format!("{}: cannot create: {}", path.display(), e.error))?;
    Ok(())
}

/// Writes bytes to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = temp_beside(path, "")?;
    tmp.write_all(bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    persist(tmp, path)
}
