//! Reading existing manifests for `hms-sys check`: files, directories, `-` for stdin;
//! multi-document YAML, JSON, `List` objects. Each object keeps where it came from (the file and
//! a position index of its document, `hms_spec::Source`) so a finding can name the file, line
//! and column of the offending field. Bad input is a located problem, never a panic.

use std::io::Read;
use std::path::{Path, PathBuf};

use hms_spec::Source;
use serde::Deserialize;
use serde_json::Value;

use crate::checks::ObjectId;
use crate::findings::{Finding, Location};
use crate::pipeline::Object;
use crate::problem::Problem;

/// Most bytes read from one manifest file (or stdin).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Most files read from the directories named.
const MAX_FILES: usize = 100_000;

/// Where one object came from.
#[derive(Debug)]
pub struct Origin {
    /// The file as named on the command line (`-` for stdin).
    pub file: String,
    /// The position index of the object's document, when it could be built.
    pub source: Option<std::rc::Rc<Source>>,
    /// The object's pointer within its document: empty, or `/items/N` inside a `List`.
    pub prefix: String,
}

/// The objects read, in order, and where each came from.
#[derive(Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Object>,
    pub origins: Vec<Origin>,
    /// How many files (stdin counts as one) were read.
    pub files: usize,
}

impl Manifests {
    /// Fills in each finding's file, line and column from the object it names (the first
    /// object with that identity) and its pointer.
    pub fn locate(&self, findings: &mut [Finding]) {
        for f in findings {
            let Some(o) = &f.object else { continue };
            let found = self.objects.iter().position(|obj| {
                (
                    obj.id.group.as_str(),
                    obj.id.kind.as_str(),
                    obj.id.namespace.as_str(),
                    obj.id.name.as_str(),
                ) == (
                    o.group.as_str(),
                    o.kind.as_str(),
                    o.namespace.as_str(),
                    o.name.as_str(),
                )
            });
            let Some(origin) = found.map(|i| &self.origins[i]) else {
                continue;
            };
            let Some(source) = &origin.source else {
                f.location = Some(Location {
                    file: origin.file.clone(),
                    line: 0,
                    column: 0,
                });
                continue;
            };
            let at = source.locate_pointer(&format!("{}{}", origin.prefix, f.path));
            f.location = Some(Location {
                file: origin.file.clone(),
                line: at.line,
                column: at.column,
            });
        }
    }
}

/// Reads every input: a file, a directory (every `.yaml`, `.yml` and `.json` file under it, in
/// name order; hidden entries skipped) or `-` (stdin, read once). All problems at once.
pub fn read(inputs: &[PathBuf], stdin: &mut dyn Read) -> Result<Manifests, Vec<Problem>> {
    let mut out = Manifests::default();
    let mut problems = Vec::new();
    let mut stdin_read = false;
    for input in inputs {
        if input.as_os_str() == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let mut bytes = Vec::new();
            let read = stdin.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes);
            match read {
                Err(e) => problems.push(
                    Problem::error("HMS-INPUT", format!("cannot read stdin: {e}"))
                        .hint("pipe manifests in, e.g. `helm template . | hms-sys check -`"),
                ),
                Ok(_) if bytes.len() as u64 > MAX_MANIFEST_BYTES => {
                    problems.push(too_large("stdin"))
                }
                Ok(_) => parse_into(&mut out, &mut problems, "-", bytes),
            }
            continue;
        }
        if input.is_dir() {
            let mut files = Vec::new();
            walk(input, &mut files, &mut problems);
            if files.is_empty() {
                problems.push(
                    Problem::error(
                        "HMS-INPUT",
                        format!("{} holds no .yaml, .yml or .json file", quoted(input)),
                    )
                    .hint("name the directory that holds the manifests, or the files themselves"),
                );
            }
            for file in files {
                read_file(&file, &mut out, &mut problems);
            }
        } else {
            read_file(input, &mut out, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn quoted(p: &Path) -> String {
    format!("`{}`", p.display())
}

fn too_large(what: &str) -> Problem {
    Problem::error(
        "HMS-INPUT",
        format!(
            "{what} holds more than {} MiB of manifests",
            MAX_MANIFEST_BYTES >> 20
        ),
    )
    .hint("check the manifests in smaller parts")
}

/// Every manifest file under `dir`, sorted by path; symlinks to directories are not followed.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let mut stack = vec![dir.to_path_buf()];
    let mut found = Vec::new();
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                problems.push(
                    Problem::error(
                        "HMS-INPUT",
                        format!("cannot read directory {}: {e}", quoted(&d)),
                    )
                    .hint("check that the directory exists and is readable"),
                );
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if hidden {
                continue;
            }
            if kind.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                found.push(path);
            }
            if found.len() > MAX_FILES {
                problems.push(
                    Problem::error(
                        "HMS-INPUT",
                        format!("{} holds more than {MAX_FILES} manifest files", quoted(dir)),
                    )
                    .hint("check a smaller directory"),
                );
                return;
            }
        }
    }
    found.sort();
    files.extend(found);
}

fn read_file(path: &Path, out: &mut Manifests, problems: &mut Vec<Problem>) {
    match hms_spec::read_regular_file(path, MAX_MANIFEST_BYTES) {
        Ok(bytes) => parse_into(out, problems, &path.display().to_string(), bytes),
        Err(e) => problems.push(
            Problem::error("HMS-INPUT", format!("cannot read {}: {e}", quoted(path)))
                .hint(e.hint()),
        ),
    }
}

/// Whether `text` (a file's content) is manifests rather than a spec: more than one YAML
/// document, or a first document that is a mapping with a `kind` or `apiVersion` key (a spec
/// has neither: it would be an unknown field).
pub fn looks_like_manifests(text: &str) -> bool {
    let mut docs = serde_yaml_ng::Deserializer::from_str(text);
    let Some(first) = docs.next() else {
        return false;
    };
    if docs.next().is_some() {
        return true;
    }
    match Value::deserialize(first) {
        Ok(Value::Object(m)) => m.contains_key("kind") || m.contains_key("apiVersion"),
        _ => false,
    }
}

fn parse_into(out: &mut Manifests, problems: &mut Vec<Problem>, file: &str, bytes: Vec<u8>) {
    out.files += 1;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            problems.push(
                Problem::error(
                    "HMS-INPUT",
                    format!(
                        "{file} is not UTF-8 text (at byte {})",
                        e.utf8_error().valid_up_to()
                    ),
                )
                .hint("save the manifests as UTF-8"),
            );
            return;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // Positions first: a YAML syntax error is reported located, once.
    let sources = match Source::build_all(text, file) {
        Ok(s) => s,
        Err(e) => {
            problems.push(Problem {
                location: Some(format!(
                    "{}:{}:{}",
                    e.file, e.location.line, e.location.column
                )),
                ..Problem::error("HMS-INPUT", e.message).hint("fix the YAML (or JSON) syntax")
            });
            return;
        }
    };
    let mut values = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        match Value::deserialize(doc) {
            Ok(v) => values.push(v),
            Err(e) => {
                let at = e
                    .location()
                    .map(|l| format!("{file}:{}:{}", l.line(), l.column()));
                problems.push(Problem {
                    location: at,
                    ..Problem::error(
                        "HMS-INPUT",
                        format!("cannot read a document of {file}: {e}"),
                    )
                    .hint("each document must be a Kubernetes object (apiVersion, kind, metadata)")
                });
                return;
            }
        }
    }
    // Only when both parsers agree on the documents are positions used.
    let aligned = sources.len() == values.len();
    let mut sources = sources.into_iter().map(std::rc::Rc::new);
    for (n, value) in values.into_iter().enumerate() {
        let source = if aligned { sources.next() } else { None };
        if value.is_null() {
            continue;
        }
        let locate = |pointer: &str| {
            source.as_ref().map(|s| {
                let l = s.locate_pointer(pointer);
                format!("{file}:{}:{}", l.line, l.column)
            })
        };
        let is_list = value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && value.get("items").is_some_and(Value::is_array);
        let items: Vec<(String, Value)> = if is_list {
            match value {
                Value::Object(mut m) => match m.remove("items") {
                    Some(Value::Array(items)) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (format!("/items/{i}"), v))
                        .collect(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            }
        } else {
            vec![(String::new(), value)]
        };
        for (prefix, value) in items {
            match object_id(&value) {
                Ok(id) => {
                    out.objects.push(Object {
                        id,
                        plugin: String::new(),
                        value,
                    });
                    out.origins.push(Origin {
                        file: file.to_string(),
                        source: source.clone(),
                        prefix,
                    });
                }
                Err(why) => problems.push(Problem {
                    location: locate(&prefix),
                    ..Problem::error(
                        "HMS-INPUT",
                        format!("document {} of {file}{}: {why}", n + 1, if prefix.is_empty() { String::new() } else { format!(", {}", &prefix[1..]) }),
                    )
                    .hint("each document must be a Kubernetes object with a string `apiVersion` and `kind` (or a `List` of them)")
                }),
            }
        }
    }
}

/// The identity of a manifest: group (from `apiVersion`), kind, namespace, name.
fn object_id(value: &Value) -> Result<ObjectId, String> {
    if !value.is_object() {
        return Err("not a mapping".into());
    }
    let s = |p: &str| value.pointer(p).and_then(Value::as_str);
    let api_version = s("/apiVersion").ok_or("no `apiVersion`")?;
    let kind = s("/kind").ok_or("no `kind`")?;
    let group = api_version
        .rsplit_once('/')
        .map_or("", |(g, _)| g)
        .to_string();
    Ok(ObjectId {
        group,
        kind: kind.to_string(),
        namespace: s("/metadata/namespace").unwrap_or("").to_string(),
        name: s("/metadata/name").unwrap_or("").to_string(),
    })
}
