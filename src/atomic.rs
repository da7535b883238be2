//! Writing output files without ever leaving a half-written one: write a
//! temporary file beside the target, then rename it into place.

use std::io::Write;
use std::path::Path;

/// A temporary file in the target's folder, with the given suffix (for tools that
/// pick a format by extension).
pub fn temp_beside(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile, String> {
    let dir = match path.parent() {
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

/// Moves a finished temporary file to `path` with ordinary permissions (rw-r--r--).
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), String> {
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
