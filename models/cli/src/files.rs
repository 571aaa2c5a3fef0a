//! Files a command writes besides its standard output (`--report`, `--junit`, `--out`):
//! checked before anything runs, so that a run is not wasted on a path that cannot be written,
//! and never overwriting what a user saved unless `--force`.

use crate::Failure;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file to write at the end of a run, named by `flag` on the command line.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// The flag that named it (`--report`), for messages.
    pub flag: &'static str,
    /// Its path.
    pub path: PathBuf,
    /// Whether an existing file may be overwritten.
    pub force: bool,
}

impl OutputFile {
    /// `path` for `flag`, checked: its folder exists and can be written to, and the file does
    /// not exist (unless `force`) and is not a folder.
    pub fn checked(flag: &'static str, path: &Path, force: bool) -> Result<Self, String> {
        let shown = path.display();
        if path.as_os_str().is_empty() {
            return Err(format!("{flag}: the path is empty"));
        }
        if path.is_dir() {
            return Err(format!("{flag} {shown} is a folder; name a file in it"));
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(format!(
                "{flag} {shown}: the folder {} does not exist; create it first",
                folder.display()
            ));
        }
        if !force && path.exists() {
            return Err(format!(
                "{flag} {shown} already exists; choose another file or pass --force to \
                 overwrite it"
            ));
        }
        writable(&folder).map_err(|e| {
            format!(
                "{flag} {shown}: cannot write in the folder {}: {e}",
                folder.display()
            )
        })?;
        Ok(OutputFile {
            flag,
            path: path.to_path_buf(),
            force,
        })
    }

    /// `path` for `flag` if it is given.
    pub fn optional(
        flag: &'static str,
        path: Option<&Path>,
        force: bool,
    ) -> Result<Option<Self>, String> {
        path.map(|p| Self::checked(flag, p, force)).transpose()
    }

    /// Writes `contents`: a new file, or with `force` over an existing one. A file that
    /// appeared since the check is refused (nothing a user saved is overwritten).
    pub fn write(&self, contents: &str) -> Result<(), Failure> {
        let mut options = OpenOptions::new();
        options.write(true);
        if self.force {
            options.create(true).truncate(true);
        } else {
            options.create_new(true);
        }
        let shown = self.path.display();
        let mut file = options.open(&self.path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Failure::Usage(format!(
                    "{} {shown} already exists; choose another file or pass --force to \
                     overwrite it",
                    self.flag
                ))
            } else {
                Failure::Output(format!("cannot write {} {shown}: {e}", self.flag))
            }
        })?;
        file.write_all(contents.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| Failure::Output(format!("cannot write {} {shown}: {e}", self.flag)))
    }
}

/// Whether a file can be created in `folder`: creates a uniquely named empty file there and
/// removes it.
fn writable(folder: &Path) -> std::io::Result<()> {
    let probe = folder.join(format!(".notifier-check-probe-{}", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

/// Several output files: every one is checked before the run, and no two may be the same.
pub fn distinct(files: &[&Option<OutputFile>]) -> Result<(), String> {
    let given: Vec<&OutputFile> = files.iter().filter_map(|f| f.as_ref()).collect();
    for (i, a) in given.iter().enumerate() {
        if let Some(b) = given[i + 1..].iter().find(|b| b.path == a.path) {
            return Err(format!(
                "{} and {} name the same file {}",
                a.flag,
                b.flag,
                a.path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_an_existing_file_and_a_folder_are_refused() {
        let dir = std::env::temp_dir().join(format!("notifier-check-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("nope").join("r.html");
        let e = OutputFile::checked("--report", &missing, false).unwrap_err();
        assert!(
            e.contains("does not exist") && e.contains("--report"),
            "{e}"
        );
        let e = OutputFile::checked("--junit", &dir, false).unwrap_err();
        assert!(e.contains("is a folder"), "{e}");
        let saved = dir.join("saved.xml");
        std::fs::write(&saved, "mine").unwrap();
        let e = OutputFile::checked("--junit", &saved, false).unwrap_err();
        assert!(e.contains("already exists") && e.contains("--force"), "{e}");
        let forced = OutputFile::checked("--junit", &saved, true).unwrap();
        forced.write("new").unwrap();
        assert_eq!(std::fs::read_to_string(&saved).unwrap(), "new");
        let fresh = OutputFile::checked("--out", &dir.join("out.json"), false).unwrap();
        // The probe left nothing behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::write(dir.join("out.json"), "appeared").unwrap();
        assert!(matches!(fresh.write("x"), Err(Failure::Usage(_))));
        assert_eq!(
            std::fs::read_to_string(dir.join("out.json")).unwrap(),
            "appeared"
        );
        let same = [
            Some(OutputFile::checked("--out", &dir.join("a"), false).unwrap()),
            Some(OutputFile::checked("--junit", &dir.join("a"), false).unwrap()),
        ];
        assert!(distinct(&[&same[0], &same[1]]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
