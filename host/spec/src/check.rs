//! Shared validation helpers: the error collector and checks for names, enums, numbers, quantities.

use crate::Section;
use crate::error::{Location, SpecError};
use crate::names::{choice_hint, dns1123_label_reason};
use crate::quantity;
use crate::source::Source;

pub(crate) const LABEL_HINT: &str = "names are DNS-1123 labels: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

/// Collects located errors while the spec is checked.
pub(crate) struct Ctx<'a> {
    pub src: &'a Source,
    pub errors: Vec<SpecError>,
}

/// `nodePool` + `/volume/size` -> `nodePool.volume.size`, for messages.
pub(crate) fn dotted(section: Section, pointer: &str) -> String {
    let mut s = section.key().to_string();
    for part in pointer.split('/').filter(|p| !p.is_empty()) {
        s.push('.');
        s.push_str(part);
    }
    s
}

impl<'a> Ctx<'a> {
    pub fn new(src: &'a Source) -> Self {
        Ctx {
            src,
            errors: Vec::new(),
        }
    }

    pub fn at(&mut self, location: Location, message: impl Into<String>, hint: Option<String>) {
        self.errors.push(SpecError {
            file: self.src.file().to_string(),
            location,
            message: message.into(),
            hint,
        });
    }

    /// An error located at a pointer into a section.
    pub fn err(&mut self, s: Section, ptr: &str, message: impl Into<String>, hint: Option<String>) {
        let location = self.src.locate(s, ptr);
        self.at(location, message, hint);
    }

    /// A required field: reports it missing (at its parent) and returns `None`.
    pub fn required<'v>(
        &mut self,
        s: Section,
        parent: &str,
        field: &str,
        value: Option<&'v str>,
    ) -> Option<&'v str> {
        if value.is_none() {
            self.err(
                s,
                parent,
                format!(
                    "missing required field `{field}` in `{}`",
                    dotted(s, parent)
                ),
                None,
            );
        }
        value
    }

    /// A DNS-1123 label.
    pub fn label(&mut self, s: Section, ptr: &str, value: &str) -> bool {
        match dns1123_label_reason(value) {
            None => true,
            Some(reason) => {
                let msg = format!("invalid name `{value}` in `{}`: {reason}", dotted(s, ptr));
                self.err(s, ptr, msg, Some(LABEL_HINT.into()));
                false
            }
        }
    }

    /// One of a fixed set of values.
    pub fn choice(&mut self, s: Section, ptr: &str, value: &str, allowed: &[&str]) -> bool {
        if allowed.contains(&value) {
            return true;
        }
        let msg = format!("`{}` cannot be `{value}`", dotted(s, ptr));
        let hint = choice_hint(value, allowed, "values");
        self.err(s, ptr, msg, Some(hint));
        false
    }

    /// An integer at least `min` and at most `max`; returns it when it fits.
    pub fn int_range(&mut self, s: Section, ptr: &str, v: i64, min: i64, max: i64) -> Option<i64> {
        if v < min {
            let msg = format!("`{}` must be at least {min}, got {v}", dotted(s, ptr));
            self.err(s, ptr, msg, None);
            None
        } else if v > max {
            let msg = format!("`{}` must be at most {max}, got {v}", dotted(s, ptr));
            self.err(s, ptr, msg, None);
            None
        } else {
            Some(v)
        }
    }

    /// A count or replica number: at least 1.
    pub fn count(&mut self, s: Section, ptr: &str, v: i64) -> Option<u32> {
        self.int_range(s, ptr, v, 1, i64::from(u32::MAX))
            .and_then(|v| u32::try_from(v).ok())
    }

    /// A Kubernetes quantity greater than zero.
    pub fn quantity(&mut self, s: Section, ptr: &str, value: &str) -> bool {
        match quantity::parse(value) {
            Ok(q) if q.is_positive() => true,
            Ok(_) => {
                let msg = format!(
                    "invalid quantity `{value}` for `{}`: must be greater than zero",
                    dotted(s, ptr)
                );
                self.err(s, ptr, msg, None);
                false
            }
            Err(reason) => {
                let msg = format!(
                    "invalid quantity `{value}` for `{}`: {reason}",
                    dotted(s, ptr)
                );
                self.err(s, ptr, msg, quantity::hint(value));
                false
            }
        }
    }

    /// A block that only fits one provider.
    pub fn only_with(&mut self, s: Section, ptr: &str, field: &str, wanted: &str, provider: &str) {
        let msg = format!(
            "`{field}` is only allowed with `provider: {wanted}`, but the provider is `{provider}`"
        );
        let hint = format!("remove `{field}`, or set `provider: {wanted}`");
        self.err(s, ptr, msg, Some(hint));
    }
}
