//! A small, strict HTTP/1.1 server on `std::net`: keep-alive, `Content-Length` and chunked request
//! bodies, fixed-length responses and chunked streaming responses (for WATCH).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// One parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the router answers.
pub enum Body {
    Full(Vec<u8>),
    /// Chunks sent as they arrive, until the sender hangs up or `until` passes. Then `end`, if
    /// any, is called: it stops the sender, and what it returns is sent after the chunks still
    /// queued (a watch's closing BOOKMARK).
    Stream {
        rx: Receiver<Vec<u8>>,
        until: Instant,
        end: Option<StreamEnd>,
    },
    /// Close the connection without answering.
    Drop,
}

/// What a stream sends last when its time is up (see [`Body::Stream`]).
pub type StreamEnd = Box<dyn FnOnce() -> Vec<u8> + Send>;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Full(serde_json::to_vec(value).unwrap_or_default()),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const MAX_HEADER: usize = 64 * 1024;
const MAX_BODY: usize = 32 * 1024 * 1024;

fn read_line<R: BufRead>(r: &mut R) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(MAX_HEADER as u64)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads one request; `Ok(None)` when the client closed the connection between requests.
pub fn read_request<R: BufRead>(r: &mut R) -> io::Result<Option<Request>> {
    let line = loop {
        match read_line(r)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().ok_or_else(|| bad("no request target"))?;
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let query = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let mut headers = Vec::new();
    loop {
        let h = read_line(r)?.ok_or_else(|| bad("eof in headers"))?;
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut req = Request {
        method,
        path: decode(path),
        raw_query: raw_query.to_string(),
        query,
        headers,
        body: Vec::new(),
    };
    if req
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let size_line = read_line(r)?.ok_or_else(|| bad("eof in chunk"))?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                while read_line(r)?.is_some_and(|l| !l.is_empty()) {}
                break;
            }
            if req.body.len() + size > MAX_BODY {
                return Err(bad("body too large"));
            }
            let start = req.body.len();
            req.body.resize(start + size, 0);
            r.read_exact(&mut req.body[start..])?;
            read_line(r)?;
        }
    } else if let Some(len) = req.header("Content-Length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        if len > MAX_BODY {
            return Err(bad("body too large"));
        }
        req.body.resize(len, 0);
        r.read_exact(&mut req.body)?;
    }
    Ok(Some(req))
}

/// Writes a response; returns whether the connection may be kept open.
pub fn write_response<W: Write>(w: &mut W, resp: Response, keep_alive: bool) -> io::Result<bool> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let date = super::store::now_rfc3339();
    head.push_str(&format!(
        "Date: {date}\r\nCache-Control: no-cache, private\r\n"
    ));
    match resp.body {
        Body::Drop => Ok(false),
        Body::Full(body) => {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            if !keep_alive {
                head.push_str("Connection: close\r\n");
            }
            head.push_str("\r\n");
            let mut buf = head.into_bytes();
            buf.extend_from_slice(&body);
            w.write_all(&buf)?;
            w.flush()?;
            Ok(keep_alive)
        }
        Body::Stream { rx, until, end } => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            w.write_all(head.as_bytes())?;
            w.flush()?;
            let chunk = |w: &mut W, chunk: &[u8]| -> io::Result<()> {
                let mut buf = format!("{:x}\r\n", chunk.len()).into_bytes();
                buf.extend_from_slice(chunk);
                buf.extend_from_slice(b"\r\n");
                w.write_all(&buf)?;
                w.flush()
            };
            let timed_out = loop {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break true;
                }
                match rx.recv_timeout(left.min(Duration::from_millis(500))) {
                    Ok(c) => chunk(w, &c)?,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break false,
                }
            };
            if timed_out && let Some(end) = end {
                let last = end();
                while let Ok(c) = rx.try_recv() {
                    chunk(w, &c)?;
                }
                if !last.is_empty() {
                    chunk(w, &last)?;
                }
            }
            w.write_all(b"0\r\n\r\n")?;
            w.flush()?;
            Ok(keep_alive)
        }
    }
}
