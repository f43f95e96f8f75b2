//! The audit trail of a document store.
//!
//! Beside a config file it is an append-only JSON-lines file
//! (`config.yaml.audit.jsonl`): one short `write` per event with `O_APPEND`,
//! so recording an event never rewrites the config. In dict mode it is a
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

/// Events kept in memory at most.
const MEMORY_CAPACITY: usize = 10_000;

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
        let mut name = config.as_os_str().to_owned();
        name.push(".audit.jsonl");
        AuditLog::File(PathBuf::from(name))
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
                let mut file = super::file::private_options(config_of(path).as_deref())
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| Error::io(path, e))?;
                file.write_all(&line).map_err(|e| Error::io(path, e))
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
                let file = match std::fs::File::open(path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(Error::io(path, e)),
                };
                let mut last = VecDeque::with_capacity(limit.min(MEMORY_CAPACITY));
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
                Ok(last.into())
            }
            AuditLog::Memory(events) => {
                let events = events.lock().unwrap_or_else(PoisonError::into_inner);
                let skip = events.len().saturating_sub(limit);
                Ok(events.iter().skip(skip).cloned().collect())
            }
        }
    }
}
