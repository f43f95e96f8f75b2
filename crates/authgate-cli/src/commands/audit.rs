//! `authgate audit`: the store's recent security events (logins, failures,
//! locks, logouts, registrations, password resets, operator changes).

use authgate::store::AuditEvent;
use clap::Args;

use super::StoreArg;
use crate::failure::CliResult;
use crate::output::{count, outln, utc, Out, Table};

/// Show recent security events.
///
/// Logins, refusals, locks, logouts, registrations, password resets and
/// operator changes, oldest first. A config.yaml keeps its trail beside it (config.yaml.audit.jsonl); a
/// database in its audit_events table.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    store: StoreArg,
    /// How many of the most recent events to show.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
    /// Print a JSON array (times as Unix seconds) instead of a table.
    #[arg(long)]
    json: bool,
}

/// Prints the events.
pub fn run(args: AuditArgs) -> CliResult {
    let backend = args.store.open()?;
    let events = backend.store().recent_events(args.limit)?;
    let mut out = Out::new();
    if args.json {
        return out.json(&events);
    }
    if events.is_empty() {
        return outln!(out, "no audit events in {}", backend.name());
    }
    let mut table = Table::new(&["TIME", "EVENT", "USER", "DETAIL"]);
    for event in &events {
        table.push(row(event));
    }
    out.table(&table)?;
    outln!(
        out,
        "{} (most recent last)",
        count(events.len(), "event", "events")
    )
}

fn row(event: &AuditEvent) -> Vec<String> {
    vec![
        utc(event.time),
        event.kind.clone(),
        event.username.clone().unwrap_or_else(|| "-".into()),
        event.detail.clone().unwrap_or_default(),
    ]
}
