//! Files a cache trusts nothing about: the plan cache's and the disk call cache's primitives.
//!
//! Takes: paths in a cache's folder. Gives: reads of regular files only (never through a link:
//! `O_NOFOLLOW`; never blocking on a FIFO: `O_NONBLOCK`; never more than a bound), writes that
//! readers see whole or not at all (a fresh file created exclusively, mode 0600, then renamed
//! into place), folders only their user can read (0700), and eviction of the least recently used
//! files (by modification time, which a hit refreshes). Guarantees: a link or another file
//! planted in the folder redirects nothing; eviction from two processes at once is harmless.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The contents of `path` if it is a regular file of at most `max` bytes, and when it was last
/// modified.
pub(crate) fn read_regular(path: &Path, max: u64) -> std::io::Result<Option<(Vec<u8>, SystemTime)>> {
    let mut options = std::fs::File::options();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // A link where a file should be (`O_NOFOLLOW`): not ours, so nothing.
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > max {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    Ok((bytes.len() as u64 <= max).then_some((bytes, modified)))
}

/// Writes `bytes` to `path` through a fresh temporary file in the same folder renamed into
/// place; `sync` flushes it to the device first.
pub(crate) fn write_whole(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    let parent = path.parent().ok_or_else(|| std::io::Error::other("no folder"))?;
    let nonce = blake3::hash(
        format!("{:?}{:?}{:?}", std::process::id(), std::thread::current().id(), SystemTime::now()).as_bytes(),
    )
    .to_hex();
    let tmp = parent.join(format!(".{}.tmp", &nonce[..16]));
    let written = create_new(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        if sync { f.sync_data() } else { Ok(()) }
    });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}

/// Marks `path` as just used.
pub(crate) fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().write(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// A new file at `path`, failing if anything (a file, a link) is there already.
fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Creates `dir` and its missing parents, readable by the user only.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A file of a cache: when it was last used, its size, where it is.
pub(crate) type Used = (SystemTime, u64, PathBuf);

/// The files of `dir` whose names `entry` accepts.
pub(crate) fn list(dir: &Path, entry: impl Fn(&Path) -> bool) -> Vec<Used> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| entry(&e.path()))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            meta.is_file().then_some(())?;
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect()
}

/// Removes the least recently used of `files` until at most `max_entries` of at most
/// `max_total` bytes remain.
pub(crate) fn evict(mut files: Vec<Used>, max_entries: usize, max_total: u64) {
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    let mut count = files.len();
    if count <= max_entries && total <= max_total {
        return;
    }
    files.sort();
    for (_, len, path) in files {
        if count <= max_entries && total <= max_total {
            break;
        }
        // Gone already (another process's sweep) counts as removed.
        if std::fs::remove_file(&path).is_ok() || !path.exists() {
            count -= 1;
            total -= len;
        }
    }
}
