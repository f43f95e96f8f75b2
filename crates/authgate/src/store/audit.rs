//! The audit trail of a document store.
//!
//! Beside a config file it is an append-only JSON-lines file
//! (`config.yaml.audit.jsonl`): one short `write` per event with `O_APPEND`,
//! so recording an event never rewrites the config. Anyone can add events
//! (a refused cookie is one), so the file rotates: once it holds
//! [`MAX_LOG_BYTES`], it becomes `….audit.jsonl.1` (and `.1` becomes `.2`,
//! up to [`ROTATED_LOGS`]; the oldest is deleted). In dict mode it is a
//! bounded list in memory.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::AuditEvent;
use crate::error::{Error, Result};

/// The config file an audit log sits beside (`<config>.audit.jsonl`).
fn config_of(log: &Path) -> Option<PathBuf> {
    let name = log.to_str()?.strip_suffix(".audit.jsonl")?;
    Some(PathBuf::from(name))
}

/// Where the audit log of the config file `config` is kept:
/// `<config>.audit.jsonl`.
pub(crate) fn log_beside(config: &Path) -> PathBuf {
    let mut name = config.as_os_str().to_owned();
    name.push(".audit.jsonl");
    PathBuf::from(name)
}

/// Events kept in memory at most.
const MEMORY_CAPACITY: usize = 10_000;

/// A log file rotates once it has this many bytes.
pub const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;

/// Rotated files kept (`.1` newest to `.5` oldest).
pub const ROTATED_LOGS: u32 = 5;

/// Where a document store's events go.
#[derive(Debug)]
pub enum AuditLog {
    /// A JSON-lines file.
    File(PathBuf),
    /// A bounded list.
    Memory(Mutex<VecDeque<AuditEvent>>),
}

impl AuditLog {
    /// The log beside `config`: `<config>.audit.jsonl`.
    pub fn beside(config: &Path) -> Self {
        AuditLog::File(log_beside(config))
    }

    /// A log kept in memory.
    pub fn in_memory() -> Self {
        AuditLog::Memory(Mutex::new(VecDeque::new()))
    }

    /// Appends one event.
    pub fn append(&self, event: &AuditEvent) -> Result<()> {
        match self {
            AuditLog::File(path) => {
                let mut line = serde_json::to_vec(event)
                    .map_err(|e| Error::InvalidInput(format!("audit event: {e}")))?;
                line.push(b'\n');
                append_rotating(path, &line, MAX_LOG_BYTES)
            }
            AuditLog::Memory(events) => {
                let mut events = events.lock().unwrap_or_else(PoisonError::into_inner);
                if events.len() == MEMORY_CAPACITY {
                    events.pop_front();
                }
                events.push_back(event.clone());
                Ok(())
            }
        }
    }

    /// The last `limit` events, oldest first. Lines that do not parse (a
    /// torn last line after a crash) are skipped.
    pub fn recent(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        match self {
            AuditLog::File(path) => {
                // The newest file first, then the rotated ones, until enough.
                let files = std::iter::once(path.clone())
                    .chain((1..=ROTATED_LOGS).map(|n| rotated(path, n)));
                let mut newest_first = Vec::new();
                let mut have = 0;
                for file in files {
                    if have >= limit {
                        break;
                    }
                    let mut part = VecDeque::new();
                    read_last(&file, limit - have, &mut part)?;
                    have += part.len();
                    newest_first.push(part);
                }
                Ok(newest_first.into_iter().rev().flatten().collect())
            }
            AuditLog::Memory(events) => {
                let events = events.lock().unwrap_or_else(PoisonError::into_inner);
                let skip = events.len().saturating_sub(limit);
                Ok(events.iter().skip(skip).cloned().collect())
            }
        }
    }
}

/// Reads the events of the log at `path` into `last`, keeping the last
/// `limit`. Lines that do not parse (a torn last line after a crash) are
/// skipped; a missing file has none.
fn read_last(path: &Path, limit: usize, last: &mut VecDeque<AuditEvent>) -> Result<()> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if let Ok(event) = serde_json::from_str::<AuditEvent>(&line) {
            if last.len() == limit {
                last.pop_front();
            }
            if limit > 0 {
                last.push_back(event);
            }
        }
    }
    Ok(())
}

/// `path` with `.n` appended: the `n`-th rotated log.
fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Appends `line` to the log at `path`, first rotating it if it holds
/// `max_bytes` already.
///
/// Processes that append at once agree through an exclusive lock on the
/// file they opened: the one that rotates holds it, and the others, once
/// they have it, see that `path` names another file now and write where
/// they are (the newest rotated file) instead of rotating again.
fn append_rotating(path: &Path, line: &[u8], max_bytes: u64) -> Result<()> {
    let io = |e| Error::io(path, e);
    let open_log = || {
        super::file::private_options(config_of(path).as_deref())
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)
    };
    let file = open_log()?;
    file.lock().map_err(io)?;
    let open = file.metadata().map_err(io)?;
    if open.len() < max_bytes || !still_named(path, &open) {
        // Rotated meanwhile by another writer: this event still belongs
        // with the ones just before it, in the newest rotated file.
        return (&file).write_all(line).map_err(io);
    }
    for n in (1..ROTATED_LOGS).rev() {
        match std::fs::rename(rotated(path, n), rotated(path, n + 1)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    std::fs::rename(path, rotated(path, 1)).map_err(io)?;
    (&open_log()?).write_all(line).map_err(io)
}

/// Whether `path` still names the file whose metadata is `open`.
#[cfg(unix)]
fn still_named(path: &Path, open: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).is_ok_and(|m| m.dev() == open.dev() && m.ino() == open.ino())
}

#[cfg(not(unix))]
fn still_named(path: &Path, _open: &std::fs::Metadata) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(path: &Path) -> usize {
        std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
    }

    #[test]
    fn the_log_rotates_and_keeps_five_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml.audit.jsonl");
        for i in 0..100 {
            append_rotating(&path, format!("event {i:02}\n").as_bytes(), 30).unwrap();
        }
        // Three 9-byte lines reach 30 bytes at the fourth: files of 4 lines.
        assert_eq!(lines(&path), 4);
        for n in 1..=ROTATED_LOGS {
            assert_eq!(lines(&rotated(&path, n)), 4, ".{n}");
        }
        assert!(!rotated(&path, ROTATED_LOGS + 1).exists());
        let newest = std::fs::read_to_string(&path).unwrap();
        assert!(newest.ends_with("event 99\n"), "{newest}");
    }

    #[test]
    fn event_times_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::beside(&dir.path().join("config.yaml"));
        // Times serde_json reads one bit off without float_roundtrip.
        let events: Vec<AuditEvent> = [1_796_361_074.698_563_3, 1_796_361_074.719_331_7]
            .into_iter()
            .map(|time| AuditEvent {
                time,
                kind: "login".into(),
                username: None,
                detail: None,
            })
            .collect();
        for event in &events {
            log.append(event).unwrap();
        }
        assert_eq!(log.recent(10).unwrap(), events);
    }

    #[test]
    fn recent_events_span_the_rotated_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::beside(&dir.path().join("config.yaml"));
        let AuditLog::File(path) = &log else {
            unreachable!()
        };
        for i in 0..30 {
            let event = AuditEvent {
                time: f64::from(i),
                kind: "login".into(),
                username: Some(format!("u{i}")),
                detail: None,
            };
            let mut line = serde_json::to_vec(&event).unwrap();
            line.push(b'\n');
            append_rotating(path, &line, 200).unwrap();
        }
        assert!(rotated(path, 2).exists());
        let recent = log.recent(12).unwrap();
        let times: Vec<f64> = recent.iter().map(|e| e.time).collect();
        assert_eq!(times, (18..30).map(f64::from).collect::<Vec<_>>());
        assert_eq!(log.recent(0).unwrap().len(), 0);
    }

    #[test]
    fn writers_at_once_rotate_once_and_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml.audit.jsonl");
        std::thread::scope(|s| {
            for t in 0..8 {
                let path = &path;
                s.spawn(move || {
                    for i in 0..10 {
                        append_rotating(path, format!("{t}-{i}\n").as_bytes(), 1_000_000).unwrap();
                    }
                });
            }
        });
        assert_eq!(lines(&path), 80);
        // The limit is reached by all of them together: one rotation.
        std::fs::write(&path, "x".repeat(100)).unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| append_rotating(&path, b"y\n", 50).unwrap());
            }
        });
        let old = std::fs::read_to_string(rotated(&path, 1)).unwrap();
        assert!(old.starts_with(&"x".repeat(100)), "{old}");
        assert!(!rotated(&path, 2).exists());
        let total = old.matches('y').count() + lines(&path);
        assert_eq!(total, 8);
    }
}
