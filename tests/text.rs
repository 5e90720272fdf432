//! Text on a terminal: `hms_sys::text::shown` (the one escaping rule for untrusted strings) and
//! colour codes only on a terminal.

use std::borrow::Cow;
use std::time::Duration;

use hms_sys::text::shown;

use crate::support;

#[test]
fn plain_text_is_borrowed_unchanged() {
    for s in ["", "plain text", "naïve ünïcode ✔ — ok", "C:\\path\\to"] {
        assert!(matches!(shown(s, 100), Cow::Borrowed(t) if t == s), "{s:?}");
    }
}

#[test]
fn control_characters_are_made_visible() {
    let cases = [
        ("a\nb", "a\\nb"),
        ("a\rb", "a\\rb"),
        ("a\tb", "a\\tb"),
        ("\x1b[31mred", "\\u{1b}[31mred"),
        ("\x1b]0;pwned\x07", "\\u{1b}]0;pwned\\u{7}"),
        ("\0", "\\u{0}"),
        ("del\x7f", "del\\u{7f}"),
        ("c1\u{9b}31m", "c1\\u{9b}31m"),
        ("\u{85}", "\\u{85}"),
        (
            "\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}",
            "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}",
        ),
        (
            "\u{2066}\u{2067}\u{2068}\u{2069}",
            "\\u{2066}\\u{2067}\\u{2068}\\u{2069}",
        ),
        ("\u{200e}\u{200f}\u{61c}", "\\u{200e}\\u{200f}\\u{61c}"),
        ("\u{2028}\u{2029}", "\\u{2028}\\u{2029}"),
    ];
    for (raw, visible) in cases {
        assert_eq!(shown(raw, 100), visible, "{raw:?}");
    }
}

#[test]
fn nothing_a_terminal_acts_on_survives() {
    let all: String = (0..=0x3000u32).filter_map(char::from_u32).collect();
    let out = shown(&all, usize::MAX);
    assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
    assert!(!out.contains(['\u{202e}', '\u{2066}', '\u{2028}']));
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn long_text_is_cut_with_an_ellipsis() {
    assert_eq!(shown("abcdef", 3), "abc…");
    assert_eq!(shown("abc", 3), "abc");
    assert_eq!(shown("ééééé", 2), "éé…");
    // An escape counts at its shown length and is never cut in half.
    assert_eq!(shown("\x1b\x1b", 7), "\\u{1b}…");
    assert_eq!(shown("ab\ncd", 3), "ab…");
    assert_eq!(shown("x", 0), "…");
}

/// `-v` logs to a pipe (as these tests run the binary) carry no colour codes.
#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let args: Vec<String> = [
        "-v",
        "validate",
        support::example().to_str().expect("utf-8"),
        "--cache-dir",
        support::cache_dir().to_str().expect("utf-8"),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let run = support::wait_child(support::spawn_hms(&args), Duration::from_secs(120));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("rendered section"), "{run:?}");
    assert!(!run.stderr.contains("\x1b["), "{run:?}");
}
