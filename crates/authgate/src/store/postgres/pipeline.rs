//! One connection, and the statements of an operation sent to it in
//! pipelined flights.
//!
//! A statement whose answer the operation does not need ([`Tx::defer`]),
//! `BEGIN`, `SET LOCAL` and `COMMIT` wait and go out together with the next
//! query, so an operation costs one round trip per decision it makes, not one
//! per statement. The server still runs them one by one, in order, inside the
//! transaction: a failed statement aborts the rest, and the error reported is
//! the first one.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use futures_util::future::join_all;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use super::chain;
use super::pool::PgDb;
use super::types::{owned, PgParam};
use crate::error::Result;
use crate::store::sql::{self, Cell, Dialect, Param, Row, Tx};

/// Advisory lock that orders changes to which sessions are live
/// (`"authgate"` in ASCII).
pub(super) const SESSIONS_LOCK: i64 = 0x6175_7468_6761_7465;

/// A connection, the statements prepared on it, and the runtime that drives
/// its socket while a flight waits for its answers.
pub(super) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    // Dropped after the client: stopping the runtime ends the connection task.
    runtime: tokio::runtime::Runtime,
}

impl PgConn {
    pub(super) fn new(client: Client, runtime: tokio::runtime::Runtime) -> Self {
        PgConn {
            client,
            statements: HashMap::new(),
            runtime,
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Whether the server has closed this idle connection (a restart, a
    /// failover, an idle timeout). The connection task only runs while the
    /// runtime does, so it is given a few turns to read what the server sent.
    pub(super) fn has_closed(&self) -> bool {
        self.runtime.block_on(async {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        });
        self.client.is_closed()
    }
}

/// One statement of a flight.
enum Step {
    /// A statement without parameters, sent as a simple query.
    Simple(Cow<'static, str>),
    /// A prepared statement whose rows are wanted.
    Query(Statement, Vec<PgParam>),
    /// A prepared statement whose row count is wanted.
    Execute(Statement, Vec<PgParam>),
}

enum Outcome {
    Rows(Vec<tokio_postgres::Row>),
    Count(u64),
}

type StepFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<Outcome, tokio_postgres::Error>> + 'a>>;

/// The statements of one operation on one connection, in a transaction or not.
pub(super) struct PgTx<'a> {
    conn: &'a mut PgConn,
    db: &'a PgDb,
    /// Statements waiting for the next flight.
    deferred: Vec<Step>,
    /// Whether a flight has gone out.
    sent: bool,
    /// Whether a flight with `COMMIT` has gone out.
    commit_sent: bool,
    /// Whether the server asked for the transaction to be run again.
    retry: bool,
}

impl<'a> PgTx<'a> {
    /// Statements outside a transaction.
    pub(super) fn plain(conn: &'a mut PgConn, db: &'a PgDb) -> Self {
        PgTx {
            conn,
            db,
            deferred: Vec::new(),
            sent: false,
            commit_sent: false,
            retry: false,
        }
    }

    /// A transaction: `BEGIN` goes out with the first flight.
    pub(super) fn transaction(conn: &'a mut PgConn, db: &'a PgDb) -> Self {
        let mut tx = Self::plain(conn, db);
        tx.deferred.push(Step::Simple("BEGIN".into()));
        tx
    }

    pub(super) fn sent(&self) -> bool {
        self.sent
    }

    pub(super) fn commit_sent(&self) -> bool {
        self.commit_sent
    }

    pub(super) fn retry(&self) -> bool {
        self.retry
    }

    /// Sends what is deferred and `COMMIT`, unless [`Tx::finish`] did. A
    /// transaction that sent nothing and deferred nothing but `BEGIN` costs
    /// no round trip.
    pub(super) fn commit(&mut self) -> Result<()> {
        if self.commit_sent {
            return Ok(());
        }
        if !self.sent && self.deferred.len() <= 1 {
            self.deferred.clear();
            return Ok(());
        }
        self.run_queries(&[], true).map(drop)
    }

    /// Drops what is deferred and rolls back what was sent.
    pub(super) fn rollback(&mut self) -> Result<()> {
        self.deferred.clear();
        if !self.sent {
            return Ok(());
        }
        self.flush_with(vec![Step::Simple("ROLLBACK".into())])
            .map(drop)
    }

    /// Runs `sql`, which may hold several statements and no parameters.
    pub(super) fn batch(&mut self, sql: impl Into<Cow<'static, str>>) -> Result<()> {
        self.flush_with(vec![Step::Simple(sql.into())]).map(drop)
    }

    /// The statement for `sql`, prepared once per connection.
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.conn.statements.get(sql) {
            return Ok(statement.clone());
        }
        let prepared = self.conn.runtime.block_on(self.conn.client.prepare(sql));
        let statement = prepared.map_err(|e| self.db.error(&e, &mut self.retry))?;
        self.conn
            .statements
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Sends the deferred statements and then `steps` in one flight; returns
    /// the outcomes of `steps`, or the first error in statement order.
    fn flush_with(&mut self, steps: Vec<Step>) -> Result<Vec<Outcome>> {
        let skip = self.deferred.len();
        let mut flight = std::mem::take(&mut self.deferred);
        flight.extend(steps);
        let client = &self.conn.client;
        // Each request is written when its future is first polled, and
        // `join_all` polls them all, in order, before waiting for any answer.
        let futures: Vec<StepFuture<'_>> = flight
            .iter()
            .map(|step| -> StepFuture<'_> {
                match step {
                    Step::Simple(sql) => Box::pin(async move {
                        client.batch_execute(sql).await.map(|()| Outcome::Count(0))
                    }),
                    Step::Query(statement, params) => Box::pin(async move {
                        let refs: Vec<&(dyn ToSql + Sync)> =
                            params.iter().map(|p| p as _).collect();
                        client.query(statement, &refs).await.map(Outcome::Rows)
                    }),
                    Step::Execute(statement, params) => Box::pin(async move {
                        let refs: Vec<&(dyn ToSql + Sync)> =
                            params.iter().map(|p| p as _).collect();
                        client.execute(statement, &refs).await.map(Outcome::Count)
                    }),
                }
            })
            .collect();
        self.sent = true;
        let results = self.conn.runtime.block_on(join_all(futures));
        let mut outcomes = Vec::with_capacity(results.len() - skip);
        for (i, result) in results.into_iter().enumerate() {
            let outcome = result.map_err(|e| self.db.error(&e, &mut self.retry))?;
            if i >= skip {
                outcomes.push(outcome);
            }
        }
        Ok(outcomes)
    }

    /// Sends the deferred statements and `queries` in one flight, and with
    /// `commit` also `COMMIT`; returns each query's rows.
    fn run_queries(
        &mut self,
        queries: &[(&str, &[Param<'_>])],
        commit: bool,
    ) -> Result<Vec<Vec<Row>>> {
        let mut steps = queries
            .iter()
            .map(|(sql, params)| self.prepared(sql, params, true))
            .collect::<Result<Vec<_>>>()?;
        if commit {
            steps.push(Step::Simple("COMMIT".into()));
            self.commit_sent = true;
        }
        let mut outcomes = self.flush_with(steps)?;
        if commit {
            outcomes.pop();
        }
        outcomes.into_iter().map(rows_of).collect()
    }

    fn prepared(&mut self, sql: &str, params: &[Param<'_>], rows: bool) -> Result<Step> {
        let statement = self.statement(sql)?;
        let params = owned(params);
        Ok(if rows {
            Step::Query(statement, params)
        } else {
            Step::Execute(statement, params)
        })
    }
}

fn rows_of(outcome: Outcome) -> Result<Vec<Row>> {
    let Outcome::Rows(rows) = outcome else {
        return Ok(Vec::new());
    };
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<_, Cell>(i))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Row)
                .map_err(|e| sql::corrupt(format!("PostgreSQL: {}", chain(&e))))
        })
        .collect()
}

impl Tx for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        Ok(self
            .run_queries(&[(sql, params)], false)?
            .pop()
            .unwrap_or_default())
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let step = self.prepared(sql, params, false)?;
        match self.flush_with(vec![step])?.pop() {
            Some(Outcome::Count(n)) => Ok(n),
            _ => Ok(0),
        }
    }

    fn lock_sessions(&mut self, exclusive: bool) -> Result<()> {
        let sql = if exclusive {
            "SELECT pg_advisory_xact_lock($1)"
        } else {
            "SELECT pg_advisory_xact_lock_shared($1)"
        };
        self.defer(sql, &[Param::Int(SESSIONS_LOCK)])
    }

    fn defer(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        let step = self.prepared(sql, params, false)?;
        self.deferred.push(step);
        Ok(())
    }

    fn pipeline(&mut self, queries: &[(&str, &[Param<'_>])]) -> Result<Vec<Vec<Row>>> {
        self.run_queries(queries, false)
    }

    fn finish(&mut self, queries: &[(&str, &[Param<'_>])]) -> Result<Vec<Vec<Row>>> {
        self.run_queries(queries, true)
    }

    fn relax_durability(&mut self) -> Result<()> {
        if !self.db.durable_sessions() {
            self.deferred
                .push(Step::Simple("SET LOCAL synchronous_commit TO OFF".into()));
        }
        Ok(())
    }
}
