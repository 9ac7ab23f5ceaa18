//! Writing outputs: whole or not at all, and never over something that is not a regular file.
//!
//! [`write_atomic`] fills a temporary file beside the destination and renames it into place.
//! Before that it looks at what is there: a symlink is followed (its target is replaced and the
//! link kept), a directory, device, FIFO or socket is refused and left as it was. Temporary files
//! that a killed run left behind are removed by the next write into the same folder once they are
//! older than [`STALE_AFTER`]. (Keeping outputs off inputs and the registry is
//! [`crate::store::guard_output`].)

use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// Prefix of the temporary files [`write_atomic`] writes beside a destination.
pub const TMP_PREFIX: &str = ".churn-tmp-";

/// A temporary file or folder of ours this old is a leftover of a killed run, not a write in
/// progress (an output is written in seconds).
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

/// `-` as an output path: write to standard output.
pub const STDOUT: &str = "-";

/// Whether `path` means standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == STDOUT
}

/// Write a file whole or not at all: the content goes to a temporary file in the destination's
/// folder, which is renamed over the destination only after `fill` succeeded and the data is
/// flushed. A symlink at `path` is followed: its target is replaced, the link kept.
///
/// # Errors
/// `Usage` when `path` is a directory, device, FIFO or socket (left untouched); I/O errors, or
/// whatever `fill` returns; on error nothing appears at `path`.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    let target = regular_destination(path)?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    remove_stale(&dir, TMP_PREFIX);
    let tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, e))?;
    // Outputs are ordinary shared-readable files (0644), not tempfile's private 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let readable = std::fs::Permissions::from_mode(0o644);
        tmp.as_file()
            .set_permissions(readable)
            .map_err(|e| Error::io(path, e))?;
    }
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w)?;
        w.flush().map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(&target).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Write an output the user named: to standard output for `-`, else with [`write_atomic`].
///
/// # Errors
/// As [`write_atomic`]; a closed standard output is an I/O error of kind `BrokenPipe`.
pub fn write_output<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    if !is_stdout(path) {
        return write_atomic(path, fill);
    }
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    fill(&mut w)?;
    w.flush().map_err(|e| Error::io("standard output", e))
}

/// The file that marks a folder as one [`write_folder_atomic`] wrote, so a later run may replace
/// it (and never a folder of anything else).
pub const FOLDER_MARKER: &str = ".churn-output";

/// Write a folder of outputs whole or not at all: `fill` writes into a staging folder beside
/// `dir`, which then takes `dir`'s place (an earlier folder of ours is moved aside first and
/// removed after).
///
/// # Errors
/// `Usage` when `dir` is a file, or a non-empty folder this tool did not write (no
/// [`FOLDER_MARKER`]); I/O errors, or whatever `fill` returns; on error `dir` is as it was.
pub fn write_folder_atomic<F>(dir: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&Path) -> Result<()>,
{
    let replaces = check_output_folder(dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    remove_stale(&parent, TMP_PREFIX);
    let staging = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(staging.path(), mode).map_err(|e| Error::io(staging.path(), e))?;
    }
    fill(staging.path())?;
    std::fs::write(staging.path().join(FOLDER_MARKER), b"written by churn\n")
        .map_err(|e| Error::io(staging.path(), e))?;
    let staged = staging.keep();
    let aside = parent.join(format!(
        "{TMP_PREFIX}old-{}-{}",
        std::process::id(),
        dir.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    if replaces {
        std::fs::rename(dir, &aside).map_err(|e| Error::io(dir, e))?;
    }
    if let Err(e) = std::fs::rename(&staged, dir) {
        if replaces {
            let _ = std::fs::rename(&aside, dir);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(Error::io(dir, e));
    }
    if replaces {
        let _ = std::fs::remove_dir_all(&aside);
    }
    Ok(())
}

/// Whether `dir` holds an earlier output folder to replace (`false`: nothing, or an empty
/// folder, is there).
fn check_output_folder(dir: &Path) -> Result<bool> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(dir, e)),
    };
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "{} is {}, not a folder of lists",
            dir.display(),
            if meta.file_type().is_symlink() {
                "a symlink".to_string()
            } else {
                kind_of(&meta).to_string()
            }
        )));
    }
    let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    if entries.next().is_none() {
        std::fs::remove_dir(dir).map_err(|e| Error::io(dir, e))?;
        return Ok(false);
    }
    if !dir.join(FOLDER_MARKER).is_file() {
        return Err(Error::Usage(format!(
            "{} is a folder this tool did not write (no {FOLDER_MARKER} in it): it is left as \
             it is; name a new or empty folder",
            dir.display()
        )));
    }
    Ok(true)
}

/// A value as the bytes [`write_json`] writes: pretty JSON and a final line break.
///
/// # Errors
/// Serialization errors.
pub fn json_bytes<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Write a serializable value as pretty JSON, atomically.
///
/// # Errors
/// As [`write_atomic`], and serialization errors.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = json_bytes(value)?;
    write_atomic(path, |w| {
        w.write_all(&bytes).map_err(|e| Error::io(path, e))
    })
}

/// The file an output at `path` replaces: `path` itself, or the end of its symlink chain.
///
/// # Errors
/// `Usage` naming `path` when it (or its link's target) exists and is not a regular file.
pub fn regular_destination(path: &Path) -> Result<PathBuf> {
    match std::fs::metadata(path) {
        // `metadata` follows every link: this is what a write would replace.
        Ok(meta) if meta.is_file() => {
            let linked = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if linked {
                path.canonicalize().map_err(|e| Error::io(path, e))
            } else {
                Ok(path.to_path_buf())
            }
        }
        Ok(meta) => Err(Error::Usage(format!(
            "{} is {}, not a regular file: refusing to replace it",
            path.display(),
            kind_of(&meta)
        ))),
        Err(_) => dangling_target(path),
    }
}

/// Nothing exists at the end of `path`: the file to create, following a dangling link.
fn dangling_target(path: &Path) -> Result<PathBuf> {
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&target).map_err(|e| Error::io(&target, e))?;
                target = match target.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            _ => return Ok(target),
        }
    }
    Err(Error::Usage(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

fn kind_of(meta: &std::fs::Metadata) -> Cow<'static, str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO".into();
        }
        if t.is_socket() {
            return "a socket".into();
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device".into();
        }
    }
    if meta.is_dir() {
        "a directory".into()
    } else {
        "not a regular file".into()
    }
}

/// Remove this tool's leftovers in `dir`: entries named `prefix...` older than [`STALE_AFTER`]
/// (files, or folders of a staged write). Best effort: a failure only leaves the leftover.
pub fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if !old {
            continue;
        }
        let path = entry.path();
        let removed = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if removed.is_ok() {
            log::info!("removed {}, left by an interrupted run", path.display());
        }
    }
}

/// `path` made absolute: `.` and `..` resolved by their names first (so `new/../data` is
/// `data`, even when `new` does not exist yet), then symlinks as far as the path exists.
pub fn absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut lexical = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    // Resolve links in the longest prefix that exists, keep the rest by name.
    let mut rest = Vec::new();
    let mut head = lexical.as_path();
    loop {
        if let Ok(real) = head.canonicalize() {
            return rest.iter().rev().fold(real, |p, name| p.join(name));
        }
        match (head.parent(), head.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                head = parent;
            }
            _ => return lexical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let r = write_atomic(&path, |w| {
            w.write_all(b"half").unwrap();
            Err(Error::Generic("boom".into()))
        });
        assert!(r.is_err());
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn successful_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, |w| {
            w.write_all(b"new").map_err(|e| Error::io("x", e))
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        let link = dir.path().join("current.csv");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        write_atomic(&link, |w| {
            w.write_all(b"new").map_err(|e| Error::io("x", e))
        })
        .unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn a_directory_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomic(dir.path(), |_| Ok(())).unwrap_err();
        assert!(
            matches!(err, Error::Usage(ref m) if m.contains("a directory")),
            "{err}"
        );
        assert!(dir.path().is_dir());
    }

    #[test]
    fn stale_temporary_files_are_removed_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!("{TMP_PREFIX}old"));
        let fresh = dir.path().join(format!("{TMP_PREFIX}new"));
        std::fs::write(&stale, "x").unwrap();
        std::fs::write(&fresh, "x").unwrap();
        let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
        let f = std::fs::File::options().write(true).open(&stale).unwrap();
        f.set_modified(two_hours_ago).unwrap();
        write_atomic(&dir.path().join("out"), |_| Ok(())).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists());
    }

    #[test]
    fn absolute_resolves_dot_dot_by_name_before_the_folder_exists() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        let p = dir.path().join("new").join("..").join("data").join("x.csv");
        assert_eq!(absolute(&p), real.join("data").join("x.csv"));
    }
}
