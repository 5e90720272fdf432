//! Structured events for the operations layer: one JSON line per step (schema: docs/events.md).

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// One event. Field names and meanings are stable (docs/events.md).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// RFC 3339 UTC time with milliseconds.
    pub time: String,
    /// `render`, `gate`, `apply`, `crd`, `prune`, `inventory`, `wait`, `status`, `plan` or
    /// `submit`.
    #[serde(rename = "type")]
    pub kind: String,
    pub spec: String,
    /// The object (`Kind.group namespace/name`), or null for whole-spec steps.
    pub object: Option<String>,
    /// `ok`, `created`, `configured`, `unchanged`, `pruned`, `failed`, ... (docs/events.md).
    pub result: String,
    pub duration_ms: u64,
    /// Plugin name -> digest of the plugins that rendered the spec.
    pub plugin_digests: serde_json::Map<String, serde_json::Value>,
    /// A reason, for failures and in-progress states.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Where events go: a writer (stderr or an append-only file), shared between tasks.
pub struct Sink {
    out: Mutex<Box<dyn Write + Send>>,
    spec: String,
    digests: serde_json::Map<String, serde_json::Value>,
}

impl Sink {
    pub fn new(
        out: Box<dyn Write + Send>,
        spec: &str,
        digests: serde_json::Map<String, serde_json::Value>,
    ) -> Sink {
        Sink {
            out: Mutex::new(out),
            spec: spec.to_string(),
            digests,
        }
    }

    /// A sink that drops everything.
    pub fn none() -> Sink {
        Sink::new(Box::new(std::io::sink()), "", serde_json::Map::new())
    }

    /// Writes one event line; a failing writer never fails the operation.
    pub fn emit(
        &self,
        kind: &str,
        object: Option<String>,
        result: &str,
        duration: Duration,
        message: Option<String>,
    ) {
        let event = Event {
            time: rfc3339(SystemTime::now()),
            kind: kind.to_string(),
            spec: self.spec.clone(),
            object,
            result: result.to_string(),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            plugin_digests: self.digests.clone(),
            message,
        };
        if let (Ok(mut line), Ok(mut out)) = (serde_json::to_string(&event), self.out.lock()) {
            // One buffer per line: an append-mode file gets it in one write.
            line.push('\n');
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }
}

/// `2026-11-27T13:41:45.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 -> (year, month, day) (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_is_rfc3339() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_786_905_123);
        assert_eq!(rfc3339(t), "2026-11-27T13:41:45.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
