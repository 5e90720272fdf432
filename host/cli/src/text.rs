//! Untrusted text on a terminal: the one place that makes a string safe to print.
//!
//! Plugins are strangers: a diagnostic's code, message, hint and path, the objects they name,
//! their metadata and what they write to stderr may carry escape sequences, carriage returns,
//! newlines that forge a line of our own (`error[...]`) or bidi overrides that reorder what a
//! person reads. Every such string goes through [`shown`] before it reaches text output; JSON
//! output stays exact (serde escapes it).

use std::borrow::Cow;
use std::fmt::Write;

/// The most characters shown of a diagnostic code.
pub const CODE: usize = 64;
/// The most characters shown of a message, a hint or a log field.
pub const MESSAGE: usize = 2000;
/// The most characters shown of a location, a plugin or an object.
pub const FIELD: usize = 512;
/// The most characters shown in one cell of a table (`plugins list`).
pub const CELL: usize = 64;

/// `s` as it may be shown on a terminal: every character a terminal would act on made visible
/// (`\n`, `\r`, `\t`, otherwise `\u{1b}`: C0 controls, DEL, C1 controls, the bidi embedding,
/// override and isolate controls U+202A–U+202E and U+2066–U+2069, the bidi marks U+200E,
/// U+200F and U+061C, and the line and paragraph separators U+2028 and U+2029), and cut after
/// `max_chars` shown characters (escapes count at their shown length) with `…`. Borrowed when
/// there is nothing to change.
pub fn shown(s: &str, max_chars: usize) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) && s.chars().nth(max_chars).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max_chars * 4) + 3);
    let mut used = 0;
    let mut piece = String::new();
    for c in s.chars() {
        piece.clear();
        match c {
            '\n' => piece.push_str("\\n"),
            '\r' => piece.push_str("\\r"),
            '\t' => piece.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(piece, "\\u{{{:x}}}", c as u32);
            }
            c => piece.push(c),
        }
        let len = piece.chars().count();
        if used + len > max_chars {
            out.push('…');
            break;
        }
        used += len;
        out.push_str(&piece);
    }
    Cow::Owned(out)
}

/// Whether a terminal could act on `c` (or a reader be misled by it).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{2028}'
                | '\u{2029}'
        )
}
