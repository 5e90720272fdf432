//! The error collector of the envelope's checks.

use crate::error::{Location, SpecError};
use crate::source::Source;

pub(crate) const LABEL_HINT: &str = "names are DNS-1123 labels: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

/// Collects located errors while the spec is checked.
pub(crate) struct Ctx<'a> {
    pub src: &'a Source,
    pub errors: Vec<SpecError>,
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
}
