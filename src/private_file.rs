//! Creating the files postbode writes without access for others.
//!
//! The database, the outbox, exports, DKIM keys and the config hold
//! subscribers' addresses or secrets, so nobody else on the machine may
//! read them. Every such file is made here: mode 0600, or 0640 and owned
//! by the group `files.group` names (for a separate service user or a
//! backup job that must read them). The mode is set on the open file, so
//! neither the umask nor a file that was already there decides it.
//!
//! No write follows a symbolic link: new files are created with
//! `O_EXCL | O_NOFOLLOW`, and a file that replaces another is written to a
//! fresh temporary file beside it, synced, and renamed over it; a link (or
//! anything but a plain file) at the target is refused. A link planted at
//! either name is never written through.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::Rng;
use serde::Deserialize;

/// Who may read the files postbode creates: the owner only (0600), or the
/// owner and one group (0640). Parsed from `files.group`: empty is the
/// owner only; a name must be a group on this machine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct FileAccess {
    group: Option<Group>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: String,
    gid: u32,
}

impl TryFrom<String> for FileAccess {
    type Error = String;

    fn try_from(name: String) -> Result<FileAccess, String> {
        if name.is_empty() {
            return Ok(FileAccess::owner_only());
        }
        FileAccess::shared_with(&name)
    }
}

impl FileAccess {
    /// Mode 0600: the owner only.
    pub fn owner_only() -> FileAccess {
        FileAccess { group: None }
    }

    /// Mode 0640, owned by the group `name`, which must exist.
    pub fn shared_with(name: &str) -> Result<FileAccess, String> {
        let group = nix::unistd::Group::from_name(name)
            .map_err(|e| format!("cannot look up the group {name:?}: {e}"))?
            .ok_or_else(|| format!("there is no group {name:?} on this machine"))?;
        Ok(FileAccess {
            group: Some(Group {
                name: name.to_owned(),
                gid: group.gid.as_raw(),
            }),
        })
    }

    /// The mode of files: 0600, or 0640 with a group.
    pub fn mode(&self) -> u32 {
        if self.group.is_some() { 0o640 } else { 0o600 }
    }

    /// The mode of folders made for such files: 0700, or 0750 with a group.
    fn dir_mode(&self) -> u32 {
        if self.group.is_some() { 0o750 } else { 0o700 }
    }

    /// Creates `path`, which must not exist yet (not even as a link).
    pub fn create_new(&self, path: &Path) -> io::Result<File> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(self.mode())
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(path)?;
        self.set_on(&file)?;
        Ok(file)
    }

    /// Creates `path` empty unless something is there already (the
    /// SQLite database before SQLite opens it: its -wal and -shm files
    /// take their mode from it).
    pub fn create_if_missing(&self, path: &Path) -> io::Result<()> {
        match self.create_new(path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Gives `path`, a plain file this process's user owns, this access;
    /// anything else (missing, a link, someone else's) is left alone.
    /// For files another program made (SQLite's -wal and -shm), and ones
    /// made before postbode restricted them.
    ///
    /// Works on the path, never opening the file: SQLite holds POSIX
    /// locks on the database, -wal and -shm, and closing *any* descriptor
    /// of a file drops every such lock the process holds on it, so another
    /// process could then check-point or remove the WAL under a live
    /// connection (seen as "disk I/O error" and stale reads). `lstat`
    /// first, so a link is never followed.
    pub fn restrict(&self, path: &Path) -> io::Result<()> {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_file() || meta.uid() != nix::unistd::geteuid().as_raw() {
            return Ok(());
        }
        if let Some(group) = &self.group {
            std::os::unix::fs::lchown(path, None, Some(group.gid)).map_err(|e| group.refused(e))?;
        }
        // chmod follows links, but `path` was a plain file a moment ago
        // and its folder is ours: nobody else can swap it.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(self.mode()))
    }

    /// Makes `dir` and its missing parents, the new ones 0700 (0750 with a
    /// group); folders that exist keep their mode.
    pub fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(self.dir_mode())
            .create(dir)
    }

    /// Writes `bytes` as the whole of `path`, replacing a file that is
    /// there: see [`TempFile`].
    pub fn write_replacing(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut temp = self.temp_beside(path)?;
        temp.file().write_all(bytes)?;
        temp.replace(path)
    }

    /// A new temporary file in `path`'s folder, to be renamed over `path`
    /// with [`TempFile::replace`] once complete.
    pub fn temp_beside(&self, path: &Path) -> io::Result<TempFile> {
        // Checked first too, so a refusal comes before the work.
        replaceable(path)?;
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "names no file (ends in ..)")
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        loop {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".{:016x}.tmp", rand::rng().random::<u64>()));
            let temp = dir.join(temp_name);
            match self.create_new(&temp) {
                Ok(file) => return Ok(TempFile { file, path: temp }),
                // A name someone else took, by chance or on purpose.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Sets the mode (and group) on an open file.
    fn set_on(&self, file: &File) -> io::Result<()> {
        if let Some(group) = &self.group {
            std::os::unix::fs::fchown(file, None, Some(group.gid)).map_err(|e| group.refused(e))?;
        }
        file.set_permissions(std::fs::Permissions::from_mode(self.mode()))
    }
}

impl Group {
    /// The error when the file cannot be given to this group.
    fn refused(&self, e: io::Error) -> io::Error {
        io::Error::new(
            e.kind(),
            format!(
                "cannot give the file to the group {:?} (files.group): {e}",
                self.name
            ),
        )
    }
}

/// A file being written beside its final name; removed unless
/// [`TempFile::replace`] puts it in place.
#[derive(Debug)]
pub struct TempFile {
    file: File,
    path: PathBuf,
}

impl TempFile {
    /// The open file, to write to.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Syncs the file and renames it over `target`, so `target` appears
    /// complete or not at all. Refused when `target` is a symbolic link or
    /// anything but a plain file (see [`replaceable`]).
    pub fn replace(mut self, target: &Path) -> io::Result<()> {
        replaceable(target)?;
        self.file.sync_all()?;
        std::fs::rename(&self.path, target)?;
        // Renamed: nothing left for Drop to remove.
        self.path = PathBuf::new();
        Ok(())
    }
}

/// Whether a file may be renamed over `target`: when nothing is there, or
/// a plain file. A rename over a link would replace the link, not write
/// where it points, which is not what whoever made it meant; over a device
/// (`/dev/null`) it would replace the device.
fn replaceable(target: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a symbolic link; postbode does not write through links: name the file itself",
        )),
        Ok(meta) if !meta.is_file() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a plain file, and postbode only replaces plain files",
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
#[path = "private_file/tests.rs"]
mod tests;
