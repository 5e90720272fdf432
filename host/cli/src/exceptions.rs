//! Exceptions (`exceptions:` in the spec): the one place that decides which findings an
//! exception accepts, used by the baseline gate, so render, validate, apply and check treat them
//! identically. An error finding whose control id and object match an exception that has not
//! expired is accepted (it stays in the findings, marked, and no longer refuses); one that
//! matches only an expired exception refuses again, naming the exception and its expiry; an
//! exception that matches no finding is a warning.

use hms_spec::{Document, Exception, Source};

use crate::findings::{Excepted, Finding};
use crate::problem::Problem;

/// Exceptions and the file they were written in: a spec's, or the file `hms-sys check
/// --exceptions FILE` names for manifests.
#[derive(Clone, Copy)]
pub struct Exceptions<'a> {
    pub list: &'a [Exception],
    pub source: &'a Source,
}

impl<'a> Exceptions<'a> {
    /// The spec's own `exceptions:`.
    pub fn of(doc: &'a Document) -> Self {
        Exceptions {
            list: &doc.spec.exceptions,
            source: &doc.source,
        }
    }
}

/// Applies the exceptions to `findings` as of `today` (`YYYY-MM-DD`); returns the warnings
/// about exceptions that matched nothing.
pub fn apply(ex: Exceptions<'_>, findings: &mut [Finding], today: &str) -> Vec<Problem> {
    let exceptions = ex.list;
    let mut used = vec![false; exceptions.len()];
    for f in findings.iter_mut() {
        if f.severity != hms_plugin::Severity::Error {
            continue;
        }
        let mut expired: Option<&Exception> = None;
        for (i, e) in exceptions.iter().enumerate() {
            if !matches(e, f) {
                continue;
            }
            used[i] = true;
            if e.expires.as_str() >= today {
                f.excepted = Some(Excepted {
                    exception: named(e),
                    location: where_(ex.source, e),
                    justification: e.justification.clone(),
                    approver: e.approver.clone(),
                    ticket: e.ticket.clone(),
                    expires: e.expires.clone(),
                });
                expired = None;
                break;
            }
            expired.get_or_insert(e);
        }
        if let Some(e) = expired {
            f.message.push_str(&format!(
                " (exception {} at {} expired on {}: it no longer accepts this finding)",
                named(e),
                where_(ex.source, e),
                e.expires
            ));
        }
    }
    exceptions
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(e, _)| {
            let mut p = Problem::error(
                "HMS-EXCEPTION-UNUSED",
                format!(
                    "exception {} (control `{}`) matched no error finding",
                    named(e),
                    e.control
                ),
            )
            .at_source(ex.source, &format!("{}/control", e.pointer))
            .hint("remove it, or correct its control id or objects");
            p.severity = hms_plugin::Severity::Warning;
            p
        })
        .collect()
}

/// `exceptions[0]`, as a person finds it in the spec.
fn named(e: &Exception) -> String {
    let index = e.pointer.rsplit('/').next().unwrap_or("");
    format!("exceptions[{index}]")
}

/// Where the exception was written: its `control` line.
fn where_(source: &Source, e: &Exception) -> String {
    let l = source.locate_pointer(&format!("{}/control", e.pointer));
    format!("{}:{}:{}", source.file(), l.line, l.column)
}

/// Whether an exception covers a finding: its control glob matches the finding's control id,
/// and it lists no objects or one of its object patterns matches the finding's object.
fn matches(e: &Exception, f: &Finding) -> bool {
    if !glob(&e.control, &f.control) {
        return false;
    }
    if e.objects.is_empty() {
        return true;
    }
    let Some(o) = &f.object else { return false };
    e.objects.iter().any(|p| {
        glob(&p.kind, &o.kind) && glob(&p.namespace, &o.namespace) && glob(&p.name, &o.name)
    })
}

/// `*` any run of characters, `?` one character, anything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative matching with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    crate::oscal::rfc3339(std::time::SystemTime::now())[..10].to_string()
}
