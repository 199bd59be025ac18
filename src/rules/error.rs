//! Errors from loading and compiling a rule file.
//!
//! Every error knows where it happened: `Display` prints `FILE:LINE:COL: message`, lowercase,
//! naming the key in backticks and echoing the bad value. Several problems in one file are
//! reported together ([`RuleError::problems`]), as Vector's config validation does.

use std::fmt;

/// What kind of problem a rule file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The file could not be read.
    Io,
    /// Not valid TOML, or a value of the wrong type, or an unknown key.
    Syntax,
    /// A regex that does not compile (or exceeds the size limit).
    BadRegex,
    /// An action name that does not exist, or is not allowed where it is used.
    UnknownAction,
    /// A value outside its allowed range.
    BadValue,
    /// `hash` is used but no key could be loaded.
    MissingHashKey,
}

/// One located problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What went wrong.
    pub kind: RuleErrorKind,
    /// 1-based line, 0 when the position is unknown.
    pub line: usize,
    /// 1-based column (in characters), 0 when unknown.
    pub col: usize,
    /// Human-readable message, without the position.
    pub message: String,
}

/// A rule file that cannot be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file name used in messages (`<default>` for the embedded rules).
    pub source_name: String,
    problems: Vec<Problem>,
}

impl RuleError {
    pub(crate) fn new(source_name: &str, problems: Vec<Problem>) -> Self {
        debug_assert!(!problems.is_empty());
        Self { source_name: source_name.to_string(), problems }
    }

    pub(crate) fn single(source_name: &str, kind: RuleErrorKind, message: String) -> Self {
        Self::new(source_name, vec![Problem { kind, line: 0, col: 0, message }])
    }

    /// Every problem, in file order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The kind of the first problem.
    pub fn kind(&self) -> RuleErrorKind {
        self.problems[0].kind
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.line > 0 {
                write!(f, "{}:{}:{}: {}", self.source_name, p.line, p.col, p.message)?;
            } else {
                write!(f, "{}: {}", self.source_name, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for RuleError {}

/// Converts a byte offset in `src` to a 1-based (line, column in chars).
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(1, |s| s.chars().count() + 1);
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 9), (2, 4));
    }

    #[test]
    fn display_lists_every_problem_with_position() {
        let e = RuleError::new(
            "r.toml",
            vec![
                Problem { kind: RuleErrorKind::Syntax, line: 3, col: 5, message: "x".into() },
                Problem { kind: RuleErrorKind::BadRegex, line: 9, col: 1, message: "y".into() },
            ],
        );
        assert_eq!(e.to_string(), "r.toml:3:5: x\nr.toml:9:1: y");
    }
}
