//! The inputs of a run: files in order, `-` (or none) for stdin.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file path.
    Path(PathBuf),
}

impl Input {
    /// `-` is stdin, anything else a path.
    pub fn from_arg(arg: &Path) -> Input {
        if arg.as_os_str() == "-" { Input::Stdin } else { Input::Path(arg.to_path_buf()) }
    }

    /// The inputs for a list of arguments (none means stdin).
    pub fn from_args(args: &[PathBuf]) -> Vec<Input> {
        if args.is_empty() { vec![Input::Stdin] } else { args.iter().map(|a| Input::from_arg(a)).collect() }
    }

    /// A name for messages and findings (`<stdin>` for stdin).
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::Path(p) => p.display().to_string(),
        }
    }

    /// Opens the input for reading.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Input::Stdin => Ok(Box::new(io::stdin())),
            Input::Path(p) => {
                let f = File::open(p)?;
                if f.metadata()?.is_dir() {
                    return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a directory"));
                }
                Ok(Box::new(f))
            }
        }
    }
}
