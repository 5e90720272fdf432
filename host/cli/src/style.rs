//! What a person sees on stderr: whether it is coloured (`--color`, `NO_COLOR`) and how much is
//! said (`-v`). The one owner of both decisions; the log subscriber and problem reports ask here.

use clap::ValueEnum;
use hms_plugin::Severity;

/// `--color`: when text on stderr carries colour codes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Only when the stream is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always, even into a pipe or a file (and despite `NO_COLOR`: the flag is explicit).
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Whether to colour a stream that is (`terminal`) or is not a terminal. `NO_COLOR`
    /// (no-color.org) turns `auto` off; an explicit `--color always` wins over it.
    pub fn colour(self, terminal: bool) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// How problems and notes are written to stderr for one run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// One JSON object per line (`--log-format json`) instead of text.
    pub json: bool,
    /// `-v` count: notes of severity info are shown from 1 on.
    pub verbose: u8,
    /// Colour codes in text (already decided for the stream: see [`ColorWhen::colour`]).
    pub colour: bool,
}

impl Style {
    /// Whether a remark of this severity is said at this verbosity: errors and warnings
    /// always, info notes with `-v`.
    pub fn says(&self, severity: Severity) -> bool {
        severity != Severity::Info || self.verbose > 0
    }
}

/// The severity word of a problem, coloured as rustc colours it when `colour`.
pub fn severity(severity: Severity, colour: bool) -> String {
    let (word, code) = match severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("info", "1;36"),
    };
    if colour {
        format!("\x1b[{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    }
}
