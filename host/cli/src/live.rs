//! Live progress at a terminal: `apply` (a line per step, redrawn as objects finish), and
//! `apply --wait` and `status --watch` (the status lines redrawn in place), drawn with indicatif
//! on stdout. Only when stdout is a terminal ([`enable`], called by [`crate::run_process`]) and
//! `TERM` is not `dumb`; otherwise, and always for `-o json` and in-process callers (the
//! tests' writers are not terminals), the commands print the plain lines they always did.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hms_apply::{Action, Line, ObjectResult, State};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::kinds;

static TERMINAL: AtomicBool = AtomicBool::new(false);

/// The spinner's frames; the last is shown when it stops.
const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "…"];
const TICK: Duration = Duration::from_millis(120);

/// Says this process's stdout is a terminal a person watches (the binary's `main` only).
pub(crate) fn enable() {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    TERMINAL.store(!dumb, Ordering::SeqCst);
}

/// Whether to draw live progress on stdout.
pub(crate) fn active() -> bool {
    TERMINAL.load(Ordering::SeqCst)
}

fn spinner(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .tick_strings(SPINNER)
}

/// `apply`'s live line under the finished objects: the step in flight, how far it is, how far
/// the whole apply is.
pub(crate) struct ApplyProgress {
    bar: ProgressBar,
    /// Per step (rank, in apply order): objects in it and objects finished.
    steps: Vec<(u8, usize, usize)>,
    pruned: usize,
}

impl ApplyProgress {
    /// `ranks`: each object's apply step ([`kinds::rank`]).
    pub(crate) fn new(ranks: &[u8]) -> Self {
        let mut steps: Vec<(u8, usize, usize)> = Vec::new();
        let mut sorted = ranks.to_vec();
        sorted.sort_unstable();
        for r in sorted {
            match steps.last_mut() {
                Some((rank, n, _)) if *rank == r => *n += 1,
                _ => steps.push((r, 1, 0)),
            }
        }
        let bar =
            ProgressBar::with_draw_target(Some(ranks.len() as u64), ProgressDrawTarget::stdout());
        bar.set_style(
            spinner("{spinner} {msg} [{bar:24}] {pos}/{len} objects").progress_chars("=> "),
        );
        let progress = ApplyProgress {
            bar,
            steps,
            pruned: 0,
        };
        progress.bar.set_message(progress.message());
        progress.bar.enable_steady_tick(TICK);
        progress
    }

    /// A finished object's line, printed above the live line, which then moves on.
    pub(crate) fn finished(&mut self, r: &ObjectResult, line: &str) {
        self.bar.println(line);
        if r.action == Action::Pruned {
            self.pruned += 1;
        } else {
            let rank = kinds::rank(&r.object.group, &r.object.kind);
            if let Some(step) = self.steps.iter_mut().find(|s| s.0 == rank) {
                step.2 += 1;
            }
            self.bar.inc(1);
        }
        self.bar.set_message(self.message());
    }

    fn message(&self) -> Cow<'static, str> {
        let total = self.steps.len();
        match self.steps.iter().position(|(_, n, done)| done < n) {
            Some(i) => {
                let (rank, n, done) = self.steps[i];
                format!(
                    "step {} of {total}, {}: {done} of {n}",
                    i + 1,
                    kinds::step_name(rank)
                )
                .into()
            }
            None if self.pruned > 0 => format!("pruning: {} deleted", self.pruned).into(),
            None => "pruning what the spec no longer renders".into(),
        }
    }

    /// Takes the live line away (the summary line follows as plain text).
    pub(crate) fn done(self) {
        self.bar.finish_and_clear();
    }
}

/// `status --watch` and `apply --wait`: the status lines, redrawn in place, with a spinner on
/// each line still in progress and a footer saying how long it has been watching.
pub(crate) struct StatusView {
    multi: MultiProgress,
    lines: Vec<ProgressBar>,
    footer: ProgressBar,
    name: String,
}

impl StatusView {
    pub(crate) fn new(name: &str) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let footer = multi.add(ProgressBar::new_spinner());
        footer.set_style(spinner("  {msg} ({elapsed})"));
        footer.enable_steady_tick(TICK);
        StatusView {
            multi,
            lines: Vec::new(),
            footer,
            name: name.to_string(),
        }
    }

    /// Shows `lines` in place of the ones shown before.
    pub(crate) fn show(&mut self, lines: &[Line]) {
        while self.lines.len() < lines.len() {
            let bar = self
                .multi
                .insert_before(&self.footer, ProgressBar::new_spinner());
            bar.enable_steady_tick(TICK);
            self.lines.push(bar);
        }
        while self.lines.len() > lines.len() {
            if let Some(bar) = self.lines.pop() {
                bar.finish_and_clear();
                self.multi.remove(&bar);
            }
        }
        for (bar, line) in self.lines.iter().zip(lines) {
            if line.state == State::InProgress {
                bar.set_style(spinner("{spinner} {msg}"));
                let text = shown_line(line);
                bar.set_message(text.strip_prefix("… ").unwrap_or(&text).to_string());
            } else {
                bar.set_style(spinner("{msg}"));
                bar.set_message(shown_line(line));
            }
        }
        let ready = lines.iter().filter(|l| l.state == State::Ready).count();
        self.footer.set_message(format!(
            "watching {}: {ready} of {} ready",
            self.name,
            lines.len()
        ));
    }

    /// Leaves the last lines on the screen as the plain lines would read (`…` for a line still
    /// in progress) and takes the footer away.
    pub(crate) fn done(self, lines: &[Line]) {
        self.footer.finish_and_clear();
        self.multi.remove(&self.footer);
        for (bar, line) in self.lines.iter().zip(lines) {
            bar.set_style(spinner("{msg}"));
            bar.finish_with_message(shown_line(line));
        }
    }
}

/// A status line as a terminal may show it: a plugin wrote its text (`crate::text`).
pub(crate) fn shown_line(line: &Line) -> String {
    crate::text::shown(&line.to_string(), crate::text::MESSAGE).into_owned()
}
