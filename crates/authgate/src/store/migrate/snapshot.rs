//! Everything a store holds, in one value that can be compared and copied:
//! its config document (users with every key, settings, pre-authorized
//! emails, sessions, lockouts, pending passwords, revocations, second
//! factors and passkeys) and its audit trail.
//!
//! Two snapshots hold the same data when their documents would be written
//! as the same `config.yaml` text — which does not depend on key order or on
//! the kind of store they came from — and their audit trails are equal.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::OpenStore;
use crate::error::Result;
use crate::store::document::{Document, Layout, State, STATE_KEY};
use crate::store::AuditEvent;
use crate::user::{EmailKey, UserKey};
use crate::yaml::{self, Map, Value};

/// A store's whole content, without the state of users who no longer
/// exist (see [`Snapshot::left_out`]).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Users, settings and authgate's state.
    doc: Document,
    /// `doc` as a config file holds it; made once, as it copies every user.
    value: Value,
    /// The audit trail, oldest first.
    events: Vec<AuditEvent>,
    /// What was left out of `doc`.
    left_out: Counts,
}

/// How many of each kind of record a snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Users.
    pub users: usize,
    /// Pre-authorized emails.
    pub preauthorized: usize,
    /// Top-level settings (`cookie`, `api_key`, `oauth2`, …).
    pub settings: usize,
    /// Sessions.
    pub sessions: usize,
    /// Lockout records.
    pub lockouts: usize,
    /// Pending passwords from `forgot_password`.
    pub pending_passwords: usize,
    /// Per-user revocations of legacy tokens.
    pub revocations: usize,
    /// Users with second factors (TOTP, recovery codes, passkeys).
    pub second_factors: usize,
    /// Passkeys (of those users).
    pub passkeys: usize,
    /// Audit events.
    pub events: usize,
}

impl Counts {
    /// Everything but the audit events, for a progress bar.
    pub fn records(&self) -> usize {
        self.users
            + self.preauthorized
            + self.settings
            + self.sessions
            + self.lockouts
            + self.pending_passwords
            + self.revocations
            + self.second_factors
    }

    /// `1,000 users, 3 pre-authorized emails, … and 250 audit events`:
    /// users always, the other kinds when there are any.
    pub fn describe(&self) -> String {
        let mut parts = vec![count(self.users, "user", "users")];
        parts.extend(self.others());
        join_and(&parts)
    }

    /// The kinds there are any of: `2 sessions and 1 lockout`.
    pub fn describe_present(&self) -> String {
        let mut parts: Vec<String> = (self.users > 0)
            .then(|| count(self.users, "user", "users"))
            .into_iter()
            .collect();
        parts.extend(self.others());
        join_and(&parts)
    }

    /// Every kind but users that there are any of, counted.
    fn others(&self) -> Vec<String> {
        [
            (
                self.preauthorized,
                "pre-authorized email",
                "pre-authorized emails",
            ),
            (self.settings, "setting", "settings"),
            (self.sessions, "session", "sessions"),
            (self.lockouts, "lockout", "lockouts"),
            (
                self.pending_passwords,
                "pending password",
                "pending passwords",
            ),
            (self.revocations, "revocation", "revocations"),
            (
                self.second_factors,
                "user's second factors",
                "users' second factors",
            ),
            (self.passkeys, "passkey", "passkeys"),
            (self.events, "audit event", "audit events"),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| count(*n, one, many))
        .collect()
    }
}

/// `n` with thousands separators: `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and the noun, plural unless `n` is one: `1 user`, `1,000 users`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!(
        "{} {}",
        thousands(n),
        if n == 1 { singular } else { plural }
    )
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Snapshot {
    /// A snapshot of `doc` and `events`, without state that names a user
    /// the document does not have (a session of a removed user, say): no
    /// store can use it, and a database does not keep it.
    pub fn new(mut doc: Document, events: Vec<AuditEvent>) -> Self {
        let left_out = drop_orphans(&mut doc);
        Snapshot {
            value: doc.to_value(),
            doc,
            events,
            left_out,
        }
    }

    /// Reads everything `backend` holds.
    pub fn read(backend: &OpenStore) -> Result<Self> {
        Ok(Snapshot::new(backend.export()?, backend.events()?))
    }

    /// What a store that does not exist yet holds: nothing.
    pub fn empty() -> Result<Self> {
        let mut credentials = Map::new();
        credentials.insert("usernames", Value::Map(Map::new()));
        let mut root = Map::new();
        root.insert("credentials", Value::Map(credentials));
        let doc = Document::from_value(Value::Map(root), Layout::Config, Path::new("<empty>"))?;
        Ok(Snapshot::new(doc, Vec::new()))
    }

    /// Users, settings and state.
    pub fn doc(&self) -> &Document {
        &self.doc
    }

    /// The document as the value a config file holds.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The audit trail, oldest first.
    pub fn events(&self) -> &[AuditEvent] {
        &self.events
    }

    /// The state left out because its user no longer exists.
    pub fn left_out(&self) -> Counts {
        self.left_out
    }

    /// How many records of each kind it holds.
    pub fn counts(&self) -> Counts {
        let state = &self.doc.state;
        Counts {
            users: self.doc.user_count(),
            preauthorized: self.doc.preauthorized().map_or(0, |emails| emails.len()),
            settings: settings(&self.value)
                .iter()
                .filter(|(key, _)| key.as_str() != Some("pre-authorized"))
                .count(),
            sessions: state.sessions.len(),
            lockouts: state.lockouts.len(),
            pending_passwords: state.pending_passwords.len(),
            revocations: state.revoked_before.len(),
            second_factors: state.second_factors.len(),
            passkeys: state
                .second_factors
                .values()
                .map(|f| f.passkeys.len())
                .sum(),
            events: self.events.len(),
        }
    }

    /// Whether the document holds nothing: no user, setting or state.
    pub fn doc_is_empty(&self) -> bool {
        self.doc.user_count() == 0
            && settings(&self.value).is_empty()
            && self.doc.state == State::default()
    }

    /// Whether the documents hold the same data: whether they would be
    /// written as the same config file.
    pub fn same_doc(&self, other: &Snapshot) -> bool {
        yaml::emit(&self.value) == yaml::emit(&other.value)
    }

    /// How this document differs from `other`'s, in a few lines; `here` and
    /// `there` name the two stores.
    pub fn differences(&self, other: &Snapshot, here: &str, there: &str) -> Vec<String> {
        let mut lines = user_differences(&self.doc, &other.doc, here, there);
        lines.extend(setting_differences(&self.value, &other.value, here, there));
        lines.extend(state_differences(
            &self.doc.state,
            &other.doc.state,
            here,
            there,
        ));
        lines
    }
}

/// Users only on one side, and users whose records differ.
fn user_differences(a: &Document, b: &Document, here: &str, there: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mine: BTreeSet<&str> = a.usernames().collect();
    let theirs: BTreeSet<&str> = b.usernames().collect();
    let quoted = |names: Vec<&&str>| -> Vec<String> {
        names.into_iter().map(|name| format!("'{name}'")).collect()
    };
    for (names, place) in [
        (quoted(mine.difference(&theirs).collect()), here),
        (quoted(theirs.difference(&mine).collect()), there),
    ] {
        if !names.is_empty() {
            lines.push(format!(
                "{} only in {place}: {}",
                count(names.len(), "user", "users"),
                abbreviate(&names)
            ));
        }
    }
    let record = |doc: &Document, name: &str| {
        doc.user_entry(name)
            .map(|entry| yaml::emit(&Value::Map(entry.clone())))
    };
    let changed = quoted(
        mine.intersection(&theirs)
            .filter(|name| record(a, name) != record(b, name))
            .collect(),
    );
    if !changed.is_empty() {
        lines.push(format!(
            "{} with other details: {}",
            count(changed.len(), "user", "users"),
            abbreviate(&changed)
        ));
    }
    lines
}

/// Settings only on one side, and settings whose values differ.
fn setting_differences(a: &Value, b: &Value, here: &str, there: &str) -> Vec<String> {
    let (a, b) = (settings(a), settings(b));
    let text = |list: &[(&Value, Value)], name: &str| {
        list.iter()
            .find(|(key, _)| key_name(key) == name)
            .map(|(_, value)| yaml::emit(value))
    };
    let names: BTreeSet<String> = a.iter().chain(&b).map(|(key, _)| key_name(key)).collect();
    names
        .into_iter()
        .filter_map(|name| match (text(&a, &name), text(&b, &name)) {
            (Some(x), Some(y)) if x != y => Some(format!("'{name}' differs")),
            (Some(_), None) => Some(format!("'{name}' only in {here}")),
            (None, Some(_)) => Some(format!("'{name}' only in {there}")),
            _ => None,
        })
        .collect()
}

/// Which kinds of state differ, with how many records each side has.
fn state_differences(a: &State, b: &State, here: &str, there: &str) -> Vec<String> {
    let kinds = [
        (
            "sessions",
            a.sessions != b.sessions,
            a.sessions.len(),
            b.sessions.len(),
        ),
        (
            "lockouts",
            a.lockouts != b.lockouts,
            a.lockouts.len(),
            b.lockouts.len(),
        ),
        (
            "pending passwords",
            a.pending_passwords != b.pending_passwords,
            a.pending_passwords.len(),
            b.pending_passwords.len(),
        ),
        (
            "revocations",
            a.revoked_before != b.revoked_before,
            a.revoked_before.len(),
            b.revoked_before.len(),
        ),
        (
            "second factors",
            a.second_factors != b.second_factors,
            a.second_factors.len(),
            b.second_factors.len(),
        ),
    ];
    kinds
        .into_iter()
        .filter(|(_, differ, _, _)| *differ)
        .map(|(what, _, n, m)| format!("{what} differ ({n} in {here}, {m} in {there})"))
        .collect()
}

/// Drops state that names a user `doc` does not have; session owners are
/// lower-cased first, as usernames are. Returns what was dropped.
fn drop_orphans(doc: &mut Document) -> Counts {
    let users: BTreeSet<String> = doc.usernames().map(str::to_string).collect();
    let state = &mut doc.state;
    let before = (
        state.sessions.len(),
        state.lockouts.len(),
        state.pending_passwords.len(),
        state.second_factors.len(),
    );
    for session in state.sessions.values_mut() {
        session.username = UserKey::new(&session.username).into_string();
    }
    state.sessions.retain(|_, s| users.contains(&s.username));
    state.lockouts.retain(|name, _| users.contains(name));
    state
        .pending_passwords
        .retain(|name, _| users.contains(name));
    state.second_factors.retain(|name, _| users.contains(name));
    Counts {
        second_factors: before.3 - state.second_factors.len(),
        sessions: before.0 - state.sessions.len(),
        lockouts: before.1 - state.lockouts.len(),
        pending_passwords: before.2 - state.pending_passwords.len(),
        ..Counts::default()
    }
}

/// What to do with the audit trail of a migration target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsPlan {
    /// The target's trail is the source's.
    Same,
    /// The target's trail is the first `n` events of the source's (an
    /// earlier migration stopped part way): append the rest.
    AppendFrom(usize),
    /// The target's trail has events the source does not.
    Conflict,
}

impl EventsPlan {
    /// Compares the trails.
    pub fn new(source: &[AuditEvent], target: &[AuditEvent]) -> Self {
        if source == target {
            EventsPlan::Same
        } else if source.starts_with(target) {
            EventsPlan::AppendFrom(target.len())
        } else {
            EventsPlan::Conflict
        }
    }
}

/// Pairs of users who share an email (compared trimmed and lower-cased).
/// Apps accept such a file, but a database keeps emails unique.
pub fn shared_emails(doc: &Document) -> Vec<(String, String)> {
    let mut owners: HashMap<EmailKey, &str> = HashMap::new();
    let mut pairs = Vec::new();
    for name in doc.usernames() {
        let email = doc
            .user_entry(name)
            .and_then(|entry| entry.get("email"))
            .and_then(Value::as_str)
            .map(EmailKey::new)
            .filter(|email| !email.is_empty());
        let Some(email) = email else { continue };
        match owners.get(&email) {
            Some(first) => pairs.push(((*first).to_string(), name.to_string())),
            None => {
                owners.insert(email, name);
            }
        }
    }
    pairs
}

/// The top-level entries of a config other than the users and authgate's
/// state; `credentials` only if it holds more than `usernames`.
fn settings(config: &Value) -> Vec<(&Value, Value)> {
    let Some(root) = config.as_map() else {
        return Vec::new();
    };
    root.iter()
        .filter_map(|(key, value)| match (key.as_str(), value) {
            (Some(STATE_KEY), _) => None,
            (Some("credentials"), Value::Map(credentials)) => {
                let rest: Map = credentials
                    .iter()
                    .filter(|(k, _)| k.as_str() != Some("usernames"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (!rest.is_empty()).then_some((key, Value::Map(rest)))
            }
            (_, value) => Some((key, value.clone())),
        })
        .collect()
}

fn key_name(key: &Value) -> String {
    key.as_str()
        .map_or_else(|| yaml::emit(key).trim_end().to_string(), str::to_string)
}

/// The first few items, then how many more.
fn abbreviate(items: &[String]) -> String {
    const SHOWN: usize = 5;
    if items.len() <= SHOWN {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..SHOWN].join(", "),
        items.len() - SHOWN
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(yaml_text: &str) -> Snapshot {
        let value = yaml::parse(yaml_text, Path::new("t.yaml")).unwrap();
        let doc = Document::from_value(value, Layout::Config, Path::new("t.yaml")).unwrap();
        Snapshot::new(doc, Vec::new())
    }

    #[test]
    fn key_order_does_not_matter_but_content_does() {
        let a = snapshot(
            "credentials:\n  usernames:\n    bob: {email: b@x.io, roles: [a]}\n\
             cookie: {name: c, key: k}\n",
        );
        let b = snapshot(
            "cookie: {key: k, name: c}\n\
             credentials:\n  usernames:\n    bob: {roles: [a], email: b@x.io}\n",
        );
        assert!(a.same_doc(&b));
        assert!(a.differences(&b, "A", "B").is_empty());
        let c = snapshot(
            "cookie: {key: other, name: c}\n\
             credentials:\n  usernames:\n    bob: {email: b@x.io}\n    eve: {}\n",
        );
        assert!(!a.same_doc(&c));
        assert_eq!(
            c.differences(&a, "C", "A"),
            vec![
                "1 user only in C: 'eve'".to_string(),
                "1 user with other details: 'bob'".to_string(),
                "'cookie' differs".to_string(),
            ]
        );
    }

    #[test]
    fn state_of_missing_users_is_left_out() {
        let s = snapshot(
            "credentials:\n  usernames:\n    bob: {}\nauthgate:\n  sessions:\n    \
             s1: {username: BOB, expires: 9.0}\n    s2: {username: ghost, expires: 9.0}\n  \
             lockouts:\n    ghost: {failures: 1}\n",
        );
        assert_eq!(s.doc().state.sessions.len(), 1);
        assert_eq!(s.doc().state.sessions["s1"].username, "bob");
        assert_eq!(s.left_out().describe_present(), "1 session and 1 lockout");
    }

    #[test]
    fn an_empty_config_is_empty() {
        assert!(Snapshot::empty().unwrap().doc_is_empty());
        assert!(snapshot("credentials: {usernames: {}}\n").doc_is_empty());
        assert!(!snapshot("credentials: {usernames: {}}\napi_key: x\n").doc_is_empty());
        assert!(!snapshot("credentials: {usernames: {}, extra: 1}\n").doc_is_empty());
    }

    #[test]
    fn numbers_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(count(1, "user", "users"), "1 user");
        assert_eq!(count(1000, "user", "users"), "1,000 users");
    }

    #[test]
    fn counts_are_described() {
        let counts = Counts {
            users: 1000,
            preauthorized: 3,
            sessions: 1,
            events: 250,
            ..Counts::default()
        };
        assert_eq!(
            counts.describe(),
            "1,000 users, 3 pre-authorized emails, 1 session and 250 audit events"
        );
        assert_eq!(Counts::default().describe(), "0 users");
        assert_eq!(Counts::default().describe_present(), "");
    }

    #[test]
    fn shared_emails_are_found() {
        let s = snapshot(
            "credentials:\n  usernames:\n    a: {email: X@y.io}\n    b: {email: ' x@Y.io'}\n    \
             c: {email: ''}\n    d: {email: ''}\n",
        );
        assert_eq!(
            shared_emails(s.doc()),
            vec![("a".to_string(), "b".to_string())]
        );
    }

    #[test]
    fn event_trails_are_compared_by_prefix() {
        let event = |kind: &str| AuditEvent {
            time: 1.0,
            kind: kind.into(),
            username: None,
            detail: None,
        };
        let all = [event("a"), event("b")];
        assert_eq!(EventsPlan::new(&all, &all), EventsPlan::Same);
        assert_eq!(EventsPlan::new(&all, &all[..1]), EventsPlan::AppendFrom(1));
        assert_eq!(EventsPlan::new(&all, &[]), EventsPlan::AppendFrom(0));
        assert_eq!(EventsPlan::new(&all, &[event("x")]), EventsPlan::Conflict);
    }
}
