//! Reading an input file with a size limit, so a huge file or a device such as
//! `/dev/zero` is refused after `limit` bytes instead of filling memory.

use std::io::Read;
use std::path::Path;

/// Largest music file read (MIDI or MusicXML): a long orchestral MIDI file is a
/// few hundred KB, a big MusicXML score a few MB.
pub const MAX_MUSIC_BYTES: u64 = 32 << 20;

/// Reads at most `limit` bytes of `path`; more is an error, as is a folder. The
/// error says why in a few words, to follow "cannot read: ".
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    if path.is_dir() {
        return Err("a folder, not a file".into());
    }
    let file = std::fs::File::open(path).map_err(|e| e.kind().to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| e.kind().to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than the {} MB Improv reads", limit >> 20));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_more_than_the_limit_and_folders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.mid");
        std::fs::write(&path, [0u8; 100]).unwrap();
        assert_eq!(read_bounded(&path, 100).unwrap().len(), 100);
        assert!(read_bounded(&path, 99).unwrap_err().contains("larger than"));
        assert!(read_bounded(dir.path(), 99).unwrap_err().contains("folder"));
        #[cfg(unix)]
        assert!(read_bounded(Path::new("/dev/zero"), 1 << 20).unwrap_err().contains("larger than"));
    }
}
