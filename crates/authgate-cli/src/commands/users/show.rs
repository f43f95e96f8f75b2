//! `authgate users show`: one account, its lock, its sessions and its
//! second factors (passkeys by name).

use authgate::session::SessionPolicy;
use authgate::store::StoredPasskey;
use clap::Args;
use serde::Serialize;

use super::{existing, now, roles_text, UserView};
use crate::commands::StoreArg;
use crate::failure::CliResult;
use crate::output::{outln, utc, Out};

/// Show one user: details, failed logins, lock, sessions and second factors.
///
/// The password hash is never shown: only whether one is set.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The username (case-insensitive).
    name: String,
    /// Print JSON (times as Unix seconds) instead of text.
    #[arg(long)]
    json: bool,
}

/// What `show --json` prints.
#[derive(Debug, Serialize)]
struct ShowView {
    #[serde(flatten)]
    user: UserView,
    password_hint: Option<String>,
    /// Failed logins in the current lockout window.
    failed_attempts: u32,
    /// Whether password logins are refused now.
    locked: bool,
    /// When the lock ends; `None` while locked means until unlocked.
    locked_until: Option<f64>,
    /// Sessions that have not expired.
    open_sessions: usize,
    /// Open sessions used within the default idle timeout (30 minutes).
    active_sessions: usize,
    /// When a session of the user was last used.
    last_seen: Option<f64>,
    /// The user's second factors: `totp` (an authenticator app),
    /// `recovery_codes` and/or `passkeys`; never a secret.
    second_factors: Vec<&'static str>,
    /// When the authenticator app was set up.
    totp_since: Option<f64>,
    /// Unused recovery codes.
    recovery_codes_left: usize,
    /// The user's passkeys (never a key), oldest first.
    passkeys: Vec<PasskeyView>,
}

/// A passkey as `show` tells it.
#[derive(Debug, Serialize)]
pub(super) struct PasskeyView {
    /// The name its owner gave it.
    pub name: String,
    /// The credential id (base64url).
    pub credential_id: String,
    /// The RP id (domain) it signs for.
    pub rp_id: String,
    /// When it was added.
    pub created: f64,
    /// When it last signed its owner in.
    pub last_used: Option<f64>,
}

impl From<&StoredPasskey> for PasskeyView {
    fn from(p: &StoredPasskey) -> Self {
        PasskeyView {
            name: p.name.clone(),
            credential_id: p.credential_id.clone(),
            rp_id: p.rp_id.clone(),
            created: p.created,
            last_used: p.last_used,
        }
    }
}

impl PasskeyView {
    /// One line: name, domain, when added and last used.
    pub fn line(&self) -> String {
        let used = self.last_used.map_or_else(|| "never".to_string(), utc);
        format!(
            "{} ({}), added {}, last used {used}",
            self.name,
            self.rp_id,
            utc(self.created)
        )
    }
}

/// Prints the user.
pub fn run(args: ShowArgs) -> CliResult {
    let backend = args.store.open()?;
    let store = backend.store();
    let user = existing(store, &args.name)?;
    let lock = store.lock_state(&user.username)?;
    let sessions = store.sessions_of(&user.username)?;
    let now = now();
    let idle = SessionPolicy::default().idle_timeout;
    let open: Vec<_> = sessions.iter().filter(|s| s.is_valid(now)).collect();
    let lock_end = authgate::lockout::LockoutPolicy::new(None).locked_until(&lock, now);
    let factors = store.second_factors(&user.username)?;
    let mut second_factors = Vec::new();
    if factors.totp.is_some() {
        second_factors.push("totp");
    }
    if !factors.recovery_codes.is_empty() {
        second_factors.push("recovery_codes");
    }
    if !factors.passkeys.is_empty() {
        second_factors.push("passkeys");
    }
    let view = ShowView {
        second_factors,
        totp_since: factors.totp.as_ref().map(|t| t.created),
        recovery_codes_left: factors.recovery_codes.len(),
        passkeys: factors.passkeys.iter().map(PasskeyView::from).collect(),
        password_hint: user.password_hint.clone(),
        failed_attempts: lock.failures,
        locked: lock_end.is_some(),
        locked_until: lock_end.filter(|until| until.is_finite()),
        open_sessions: open.len(),
        active_sessions: open.iter().filter(|s| s.is_live(now, idle)).count(),
        last_seen: open.iter().map(|s| s.last_seen).reduce(f64::max),
        user: UserView::from(user),
    };
    let mut out = Out::new();
    if args.json {
        return out.json(&view);
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let user = &view.user;
    outln!(out, "username:       {}", user.username)?;
    outln!(out, "email:          {}", text(&user.email))?;
    outln!(out, "first name:     {}", text(&user.first_name))?;
    outln!(out, "last name:      {}", text(&user.last_name))?;
    if user.name.is_some() {
        outln!(out, "name:           {}", text(&user.name))?;
    }
    outln!(out, "roles:          {}", roles_text(user.roles.as_deref()))?;
    outln!(
        out,
        "password:       {}",
        if user.password_set {
            "set"
        } else {
            "none (cannot log in with a password)"
        }
    )?;
    if view.password_hint.is_some() {
        outln!(out, "password hint:  {}", text(&view.password_hint))?;
    }
    outln!(out, "failed logins:  {}", view.failed_attempts)?;
    let locked = match (view.locked, view.locked_until) {
        (false, _) => "no".to_string(),
        (true, Some(until)) => format!("until {}", utc(until)),
        (true, None) => "until unlocked (authgate users unlock)".to_string(),
    };
    outln!(out, "locked:         {locked}")?;
    let sessions = match view.last_seen {
        None => "none open".to_string(),
        Some(seen) => format!(
            "{} open, {} active in the last {} minutes, last used {}",
            view.open_sessions,
            view.active_sessions,
            idle / 60.0,
            utc(seen)
        ),
    };
    outln!(out, "sessions:       {sessions}")?;
    let factors = match (view.totp_since, view.passkeys.len()) {
        (Some(since), _) => format!(
            "authenticator app (TOTP) since {}, {} recovery codes left",
            utc(since),
            view.recovery_codes_left
        ),
        (None, 0) => "none".to_string(),
        (None, _) => "passkeys".to_string(),
    };
    outln!(out, "second factors: {factors}")?;
    let passkeys = match view.passkeys.len() {
        0 => "none".to_string(),
        n => format!("{n}"),
    };
    outln!(out, "passkeys:       {passkeys}")?;
    for passkey in &view.passkeys {
        outln!(out, "  - {}", passkey.line())?;
    }
    Ok(())
}
