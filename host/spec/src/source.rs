//! Position index of the spec file: JSON pointer -> where the key and value were written.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::Section;
use crate::error::{Location, SpecError};

/// What kind of YAML node sits at a pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar,
    /// An empty (null) scalar: it has no text of its own, so its key locates it.
    Null,
    Container,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Option<Location>,
    value: Location,
    kind: Kind,
}

/// The shape of the top-level node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Root {
    Empty,
    Mapping,
    Sequence,
    Scalar(String),
}

/// Where every key and value of the spec file was written.
#[derive(Clone, Debug)]
pub struct Source {
    file: String,
    index: HashMap<String, Entry>,
    pub(crate) root: Root,
    pub(crate) documents: usize,
}

fn loc(m: Marker) -> Location {
    // yaml-rust2 lines are 1-based and columns 0-based.
    Location {
        line: m.line().max(1),
        column: m.col() + 1,
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

enum Frame {
    Map {
        path: String,
        key: Option<(String, Location)>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A mapping or sequence used as a key: not indexed.
    Ignored,
}

struct Builder {
    index: HashMap<String, Entry>,
    stack: Vec<Frame>,
    root: Root,
    documents: usize,
    started_root: bool,
    /// The index of each finished document (filled only by [`Source::build_all`]).
    finished: Option<Vec<HashMap<String, Entry>>>,
}

impl Builder {
    /// Where a new node goes: `Some((path, key location))` for a value, `None` for a key or ignored.
    fn place(
        &mut self,
        scalar_key: Option<(&str, Location)>,
    ) -> Option<(String, Option<Location>)> {
        match self.stack.last_mut() {
            None => Some((String::new(), None)),
            Some(Frame::Ignored) => None,
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}/{next}");
                *next += 1;
                Some((p, None))
            }
            Some(Frame::Map { path, key }) => match key.take() {
                Some((k, kl)) => Some((format!("{path}/{}", escape(&k)), Some(kl))),
                None => {
                    let (text, at) = scalar_key.unwrap_or(("?", Location::START));
                    *key = Some((text.to_string(), at));
                    None
                }
            },
        }
    }

    fn is_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let at = loc(mark);
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
            }
            Event::Scalar(text, style, ..) => {
                let kind = if text.is_empty() && style == TScalarStyle::Plain {
                    Kind::Null
                } else {
                    Kind::Scalar
                };
                if !self.started_root {
                    self.started_root = true;
                    self.root = if text.is_empty() || text == "~" || text == "null" {
                        Root::Empty
                    } else {
                        Root::Scalar(text.clone())
                    };
                }
                if let Some((path, key)) = self.place(Some((&text, at))) {
                    let entry = Entry {
                        key,
                        value: at,
                        kind,
                    };
                    self.index.entry(path).or_insert(entry);
                }
            }
            Event::Alias(_) => {
                if let Some((path, key)) = self.place(Some(("*alias", at))) {
                    let entry = Entry {
                        key,
                        value: at,
                        kind: Kind::Scalar,
                    };
                    self.index.entry(path).or_insert(entry);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                if !self.started_root {
                    self.started_root = true;
                    self.root = if is_map {
                        Root::Mapping
                    } else {
                        Root::Sequence
                    };
                }
                if self.is_key_position() || matches!(self.stack.last(), Some(Frame::Ignored)) {
                    self.place(None);
                    self.stack.push(Frame::Ignored);
                    return;
                }
                let Some((path, key)) = self.place(None) else {
                    self.stack.push(Frame::Ignored);
                    return;
                };
                let entry = Entry {
                    key,
                    value: at,
                    kind: Kind::Container,
                };
                self.index.entry(path.clone()).or_insert(entry);
                self.stack.push(if is_map {
                    Frame::Map { path, key: None }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::DocumentEnd => {
                if let Some(done) = &mut self.finished {
                    done.push(std::mem::take(&mut self.index));
                    self.stack.clear();
                }
            }
            _ => {}
        }
    }
}

impl Source {
    /// Indexes `text` (any YAML file, not only a spec: a plugin author's section file, say); a
    /// YAML syntax error is returned located.
    pub fn build(text: &str, file: &str) -> Result<Source, SpecError> {
        let mut b = Builder {
            index: HashMap::new(),
            stack: Vec::new(),
            root: Root::Empty,
            documents: 0,
            started_root: false,
            finished: None,
        };
        Self::parse(text, file, &mut b)?;
        Ok(Source {
            file: file.to_string(),
            index: b.index,
            root: b.root,
            documents: b.documents,
        })
    }

    /// Indexes every YAML document of `text` (a stream of Kubernetes manifests, say): one
    /// `Source` per document, in order, each with pointers from its own root. A YAML syntax
    /// error is returned located.
    pub fn build_all(text: &str, file: &str) -> Result<Vec<Source>, SpecError> {
        let mut b = Builder {
            index: HashMap::new(),
            stack: Vec::new(),
            root: Root::Empty,
            documents: 0,
            started_root: false,
            finished: Some(Vec::new()),
        };
        Self::parse(text, file, &mut b)?;
        Ok(b.finished
            .unwrap_or_default()
            .into_iter()
            .map(|index| Source {
                file: file.to_string(),
                index,
                root: Root::Mapping,
                documents: 1,
            })
            .collect())
    }

    fn parse(text: &str, file: &str, b: &mut Builder) -> Result<(), SpecError> {
        let mut parser = Parser::new_from_str(text);
        parser.load(b, true).map_err(|e| SpecError {
            file: file.to_string(),
            location: loc(*e.marker()),
            message: format!("YAML syntax error: {}", e.info()),
            hint: None,
        })
    }

    /// The file's display name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Whether a node exists at a JSON pointer from the document root (e.g. `/nodePool/count`).
    pub fn contains(&self, pointer: &str) -> bool {
        self.index.contains_key(pointer)
    }

    /// Location of the key at a JSON pointer from the document root, if it was written.
    pub fn key_location(&self, pointer: &str) -> Option<Location> {
        self.index.get(pointer).and_then(|e| e.key)
    }

    /// Location of a JSON pointer from the document root: a scalar's value, a mapping's key;
    /// falls back to the nearest written ancestor, then 1:1.
    pub fn locate_pointer(&self, pointer: &str) -> Location {
        let mut p = pointer;
        while !p.is_empty() {
            if let Some(e) = self.index.get(p) {
                return match (e.kind, e.key) {
                    (Kind::Scalar, _) => e.value,
                    (Kind::Container | Kind::Null, Some(k)) => k,
                    (Kind::Container | Kind::Null, None) => e.value,
                };
            }
            p = p.rfind('/').map_or("", |i| &p[..i]);
        }
        // The document root: a block mapping's start mark is not where anything was written.
        Location::START
    }

    /// Location of the YAML node at a JSON pointer into the section (e.g. `Section::Storage`,
    /// `/volume/size`), mapped back to where it was written in the file (a baseline given as
    /// the `nodePool.baseline` shorthand maps there). Falls back to the nearest ancestor that
    /// exists in the file, then to the section key, then 1:1.
    pub fn locate(&self, section: Section, pointer: &str) -> Location {
        if section == Section::Baseline
            && !self.contains("/baseline")
            && self.contains("/nodePool/baseline")
        {
            return self.locate_pointer("/nodePool/baseline");
        }
        self.locate_pointer(&format!("/{}{}", section.key(), pointer))
    }
}
