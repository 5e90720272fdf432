//! Reading a file a person named: a regular file only, and at most a bounded number of bytes.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The largest spec file [`load`](crate::load) reads: 4 MiB (a spec is a few kilobytes).
pub const MAX_SPEC_BYTES: u64 = 4 * 1024 * 1024;

/// Why [`read_regular_file`] refused or could not read a file. `Display` says what is wrong and
/// names the path; [`ReadFileError::hint`] says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ReadFileError {
    #[error("`{}` does not exist", .path.display())]
    NotFound { path: PathBuf },
    #[error("`{}` is a directory", .path.display())]
    Directory { path: PathBuf },
    #[error("`{}` is not a regular file (a FIFO or device)", .path.display())]
    NotRegular { path: PathBuf },
    #[error("`{}` is larger than the limit of {}", .path.display(), size(*.limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("cannot read `{}`: {error}", .path.display())]
    Io { path: PathBuf, error: io::Error },
}

impl ReadFileError {
    /// What to do about it, for a person.
    pub fn hint(&self) -> String {
        match self {
            ReadFileError::NotFound { .. } => {
                "check the path (a relative path starts from the current directory)".into()
            }
            ReadFileError::Directory { .. } => "give the path of a file in it".into(),
            ReadFileError::NotRegular { .. } => {
                "give the path of a regular file; save the output of a pipe or device to a file first"
                    .into()
            }
            ReadFileError::TooLarge { limit, .. } => format!(
                "files over {} are refused; check that this is the file you meant",
                size(*limit)
            ),
            ReadFileError::Io { .. } => "check that the file exists and is readable".into(),
        }
    }

    /// The path as it was given.
    pub fn path(&self) -> &Path {
        match self {
            ReadFileError::NotFound { path }
            | ReadFileError::Directory { path }
            | ReadFileError::NotRegular { path }
            | ReadFileError::TooLarge { path, .. }
            | ReadFileError::Io { path, .. } => path,
        }
    }
}

/// `n` bytes for a person: `4 MiB`, `64 KiB`, else `N bytes`.
fn size(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Reads the regular file at `path` (a symlink to one is followed), at most `limit` bytes.
///
/// Anything else is refused before it is opened (opening a FIFO would block until a writer
/// comes): a directory, a FIFO, a socket, a device such as `/dev/zero`. The read goes through
/// [`Read::take`], so a file that claims to be regular but never ends (some files in `/proc`
/// report a size of 0) still costs at most `limit + 1` bytes of memory; more than `limit` bytes
/// is [`ReadFileError::TooLarge`].
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFileError> {
    let (file, len) = open_regular_file(path, limit)?;
    read_at_most(file, len, limit).map_err(|e| match e {
        ReadLimit::TooLarge => ReadFileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        },
        ReadLimit::Io(error) => ReadFileError::Io {
            path: path.to_path_buf(),
            error,
        },
    })
}

/// Opens the regular file at `path` (a symlink to one is followed) for reading, with the size
/// it has when opened, refusing what [`read_regular_file`] refuses before reading: anything but
/// a regular file (checked before opening it, and again on what was opened) and a file larger
/// than `limit` bytes. The caller reads at most `limit` bytes of it (or nothing: the plugin
/// runtime may know the digest of an unchanged component file from its cache).
pub fn open_regular_file(path: &Path, limit: u64) -> Result<(std::fs::File, u64), ReadFileError> {
    let io = |error: io::Error| match error.kind() {
        io::ErrorKind::NotFound => ReadFileError::NotFound {
            path: path.to_path_buf(),
        },
        _ => ReadFileError::Io {
            path: path.to_path_buf(),
            error,
        },
    };
    let kind = |meta: &std::fs::Metadata| {
        if meta.is_dir() {
            Err(ReadFileError::Directory {
                path: path.to_path_buf(),
            })
        } else if !meta.is_file() {
            Err(ReadFileError::NotRegular {
                path: path.to_path_buf(),
            })
        } else if meta.len() > limit {
            Err(ReadFileError::TooLarge {
                path: path.to_path_buf(),
                limit,
            })
        } else {
            Ok(meta.len())
        }
    };
    kind(&std::fs::metadata(path).map_err(io)?)?;
    let file = std::fs::File::open(path).map_err(io)?;
    // The same check on what was opened, in case the path changed in between.
    let len = kind(&file.metadata().map_err(io)?)?;
    Ok((file, len))
}

/// Why [`read_at_most`] failed.
#[derive(Debug)]
enum ReadLimit {
    /// More than the limit.
    TooLarge,
    Io(io::Error),
}

/// Reads `reader` to its end, at most `limit` bytes, into a buffer of `expected` bytes (the
/// size the file had when opened, at most `limit`): a file that kept its size is read without
/// growing the buffer (an 18 MB component into a doubled 32 MB buffer, before). More than
/// `limit` bytes is [`ReadLimit::TooLarge`], having read at most `limit + 1`.
fn read_at_most(reader: impl Read, expected: u64, limit: u64) -> Result<Vec<u8>, ReadLimit> {
    let mut bytes = Vec::with_capacity(expected.min(limit) as usize);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadLimit::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadLimit::TooLarge);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn reads_a_regular_file_and_a_symlink_to_one() {
        let d = dir();
        let file = d.path().join("spec.yml");
        std::fs::write(&file, "name: x\n").expect("write");
        assert_eq!(read_regular_file(&file, 100).expect("read"), b"name: x\n");
        #[cfg(unix)]
        {
            let link = d.path().join("link.yml");
            std::os::unix::fs::symlink(&file, &link).expect("symlink");
            assert_eq!(read_regular_file(&link, 100).expect("read"), b"name: x\n");
        }
    }

    #[test]
    fn the_limit_is_inclusive_and_named() {
        let d = dir();
        let file = d.path().join("big");
        std::fs::write(&file, [b'a'; 2048]).expect("write");
        assert_eq!(read_regular_file(&file, 2048).expect("read").len(), 2048);
        let e = read_regular_file(&file, 2047).expect_err("too large");
        assert!(matches!(e, ReadFileError::TooLarge { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "`{}` is larger than the limit of 2047 bytes",
                file.display()
            )
        );
        let e = read_regular_file(&file, 1024).expect_err("too large");
        assert!(e.to_string().ends_with("the limit of 1 KiB"), "{e}");
        assert!(e.hint().contains("1 KiB"), "{}", e.hint());
        // A sparse file past the spec limit is refused by its size, without reading it.
        std::fs::File::create(&file)
            .and_then(|f| f.set_len(MAX_SPEC_BYTES + 1))
            .expect("sparse file");
        let e = read_regular_file(&file, MAX_SPEC_BYTES).expect_err("too large");
        assert!(e.to_string().ends_with("the limit of 4 MiB"), "{e}");
    }

    #[test]
    fn a_directory_is_refused() {
        let d = dir();
        let e = read_regular_file(d.path(), 100).expect_err("a directory");
        assert!(matches!(e, ReadFileError::Directory { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("`{}` is a directory", d.path().display())
        );
        assert_eq!(e.path(), d.path());
    }

    #[test]
    fn a_missing_file_says_so() {
        let d = dir();
        let path = d.path().join("missing.yml");
        let e = read_regular_file(&path, 100).expect_err("missing");
        assert_eq!(
            e.to_string(),
            format!("`{}` does not exist", path.display())
        );
        assert!(e.hint().contains("check the path"), "{}", e.hint());
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_without_opening_them() {
        let e = read_regular_file(Path::new("/dev/zero"), 100).expect_err("a device");
        assert!(matches!(e, ReadFileError::NotRegular { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "`/dev/zero` is not a regular file (a FIFO or device)"
        );
        let d = dir();
        let fifo = d.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("run mkfifo");
        assert!(made.success(), "mkfifo failed");
        // Opening it would block forever: there is no writer.
        let e = read_regular_file(&fifo, 100).expect_err("a FIFO");
        assert!(matches!(e, ReadFileError::NotRegular { .. }), "{e:?}");
        // A symlink to a FIFO is the FIFO.
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).expect("symlink");
        let e = read_regular_file(&link, 100).expect_err("a FIFO");
        assert!(matches!(e, ReadFileError::NotRegular { .. }), "{e:?}");
    }

    /// `/proc` files are regular but report a size of 0: the limit still holds, by `take`.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_regular_file_that_lies_about_its_size_is_still_bounded() {
        let path = Path::new("/proc/self/status");
        let meta = std::fs::metadata(path).expect("metadata");
        assert!(meta.is_file() && meta.len() == 0, "{meta:?}");
        let e = read_regular_file(path, 16).expect_err("more than 16 bytes");
        assert!(matches!(e, ReadFileError::TooLarge { .. }), "{e:?}");
    }
}
