//! The server's stdio transport: `Content-Length` framed JSON-RPC
//! messages, read and checked here rather than by `lsp-server`'s reader
//! (which ends the connection, and so the server, on the first malformed
//! message).
//!
//! A body that is not JSON is answered with the parse error (-32700); JSON
//! that is not a request, notification or response (an array, no method, a
//! method that is not a string) with invalid request (-32600); a message
//! larger than the memory limit is skipped unread and answered with invalid
//! request. The reader then goes on with the next message. Problems with the
//! framing itself are logged to stderr. Messages are handed to the server
//! as an `lsp_server::Connection`, whose outgoing messages a writer thread
//! writes to stdout.

use lsp_server::{Connection, Message};
use serde_json::{Value, json};
use std::io::{BufRead, Read, Write};

/// One framed message read from the client.
enum Frame {
    Body(Vec<u8>),
    /// A body over the size limit, skipped.
    TooLarge(usize),
    /// A header block without a usable `Content-Length` (logged).
    Bad(String),
    End,
}

/// Reads the next frame; bodies above `cap` bytes are skipped.
fn read_frame(r: &mut impl BufRead, cap: usize) -> std::io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut any = false;
    loop {
        let mut line = Vec::new();
        // Header lines are short; a runaway one is cut off at 8 KiB.
        let n = r.by_ref().take(8192).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(if any {
                Frame::Bad("end of input inside a header".into())
            } else {
                Frame::End
            });
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !any {
                continue; // blank lines between messages
            }
            break;
        }
        any = true;
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("Content-Length")
        {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("invalid Content-Length '{}'", value.trim())),
            );
        }
    }
    let size = match length {
        None => return Ok(Frame::Bad("a message without Content-Length".into())),
        Some(Err(e)) => return Ok(Frame::Bad(e)),
        Some(Ok(n)) => n,
    };
    if size > cap {
        let skipped = std::io::copy(&mut r.by_ref().take(size as u64), &mut std::io::sink())?;
        if (skipped as usize) < size {
            return Ok(Frame::End);
        }
        return Ok(Frame::TooLarge(size));
    }
    let mut body = Vec::new();
    r.by_ref().take(size as u64).read_to_end(&mut body)?;
    if body.len() < size {
        return Ok(Frame::Bad("end of input inside a message".into()));
    }
    Ok(Frame::Body(body))
}

/// The JSON-RPC error codes of malformed messages.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// A message, or the error response it gets.
pub fn classify(body: &[u8]) -> Result<Message, Value> {
    let error = |id: Value, code: i64, message: String| json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Err(error(Value::Null, PARSE_ERROR, format!("parse error: {e}"))),
    };
    let Value::Object(obj) = &v else {
        return Err(error(
            Value::Null,
            INVALID_REQUEST,
            "invalid request: a message must be a JSON object".into(),
        ));
    };
    // The id to answer with: only a valid one is echoed.
    let id = match obj.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    };
    let invalid = |why: &str| {
        error(
            id.clone(),
            INVALID_REQUEST,
            format!("invalid request: {why}"),
        )
    };
    match obj.get("method") {
        Some(Value::String(_)) => {}
        Some(_) => return Err(invalid("the method is not a string")),
        None if obj.contains_key("id")
            && (obj.contains_key("result") || obj.contains_key("error")) => {}
        None => return Err(invalid("no method")),
    }
    if obj.contains_key("id") && id.is_null() {
        return Err(invalid("the id is not a number or a string"));
    }
    serde_json::from_value::<Message>(v.clone()).map_err(|e| invalid(&e.to_string()))
}

/// Writes one message body, framed.
fn write_frame(out: &mut impl Write, body: &str) -> std::io::Result<()> {
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

/// Logs to stderr (the client's log).
pub fn log(msg: &str) {
    eprintln!("pole lsp: {msg}");
}

/// The server's end of a connection over stdin and stdout, and the writer
/// thread to join once that end is dropped. The reader thread is not
/// joined: it may be blocked on stdin when the server exits.
pub fn stdio(cap: usize) -> (Connection, std::thread::JoinHandle<()>) {
    let (server, client) = Connection::memory();
    let Connection {
        sender: to_server,
        receiver: from_server,
    } = client;
    let writer = std::thread::spawn(move || {
        for msg in from_server {
            let mut out = std::io::stdout().lock();
            if let Err(e) = msg.write(&mut out) {
                log(&format!("cannot write to stdout: {e}"));
                return;
            }
        }
    });
    let reader = std::thread::Builder::new()
        .name("pole-lsp-reader".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            loop {
                let frame = match read_frame(&mut input, cap) {
                    Ok(f) => f,
                    Err(e) => {
                        log(&format!("cannot read stdin: {e}"));
                        return;
                    }
                };
                let answer = match frame {
                    Frame::End => return,
                    Frame::Bad(why) => {
                        log(&format!("ignored: {why}"));
                        continue;
                    }
                    Frame::TooLarge(n) => json!({"jsonrpc": "2.0", "id": null, "error": {
                        "code": INVALID_REQUEST,
                        "message": format!("invalid request: a message of {n} bytes is over the memory limit")
                    }}),
                    Frame::Body(body) => match classify(&body) {
                        Ok(msg) => {
                            let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                            if to_server.send(msg).is_err() || exit {
                                return;
                            }
                            continue;
                        }
                        Err(answer) => answer,
                    },
                };
                log(&format!(
                    "malformed message: {}",
                    answer["error"]["message"].as_str().unwrap_or("")
                ));
                let mut out = std::io::stdout().lock();
                if write_frame(&mut out, &answer.to_string()).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = reader {
        log(&format!("cannot start the reader thread: {e}"));
    }
    (server, writer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> (Value, i64) {
        match classify(body.as_bytes()) {
            Ok(m) => panic!("accepted {m:?}"),
            Err(v) => (v["id"].clone(), v["error"]["code"].as_i64().unwrap_or(0)),
        }
    }

    #[test]
    fn malformed_messages_get_their_error() {
        assert_eq!(code("{"), (Value::Null, -32700));
        assert_eq!(code("[1, 2]"), (Value::Null, -32600));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":3}"#), (json!(3), -32600));
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":"a","method":7}"#),
            (json!("a"), -32600)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#),
            (Value::Null, -32600)
        );
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
            Ok(Message::Request(_))
        ));
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","method":"exit"}"#),
            Ok(Message::Notification(_))
        ));
    }

    #[test]
    fn frames_resynchronise_after_a_bad_header() {
        let input = b"Content-Length: x\r\n\r\nContent-Length: 2\r\n\r\n{}Content-Length: 9\r\n\r\n0123456789";
        let mut r = std::io::BufReader::new(&input[..]);
        assert!(matches!(read_frame(&mut r, 100), Ok(Frame::Bad(_))));
        assert!(matches!(read_frame(&mut r, 100), Ok(Frame::Body(b)) if b == b"{}"));
        assert!(matches!(read_frame(&mut r, 5), Ok(Frame::TooLarge(9))));
    }
}
