//! `Scope`: who is acting, in which tenant, in which transaction. Every service function that
//! reads or writes tenant data takes one; the API builds it from the request's credentials, the
//! worker from the job, the CLI and the tests from their arguments.

use db::TenantTx;
use db::audit::Actor;
use uuid::Uuid;

use crate::live::Recorded;
use crate::record::Change;

/// The caller's tenant transaction and identity, and what its changes left to do after commit.
pub struct Scope {
    pub tx: TenantTx,
    pub actor: Actor,
    recorded: Recorded,
    policies_changed: bool,
}

/// What follows a commit: live notices of the timeline events, and whether every process must
/// reload roles and assignments.
#[derive(Debug, Default)]
pub struct AfterCommit {
    pub recorded: Recorded,
    pub policies_changed: bool,
}

impl Scope {
    pub fn new(tx: TenantTx, actor: Actor) -> Self {
        Self {
            tx,
            actor,
            recorded: Recorded::default(),
            policies_changed: false,
        }
    }

    pub fn tenant(&self) -> Uuid {
        self.tx.tenant_id()
    }

    /// The user acting, when a user is (not an API key, a job or the system).
    pub fn user_id(&self) -> Option<Uuid> {
        (self.actor.kind == "user")
            .then_some(self.actor.id)
            .flatten()
    }

    /// The one change recorder: writes the change's audit row and, when it has one, its
    /// timeline event, in this transaction, and notes the event for the live stream.
    pub async fn record(&mut self, change: Change) -> crate::Result<()> {
        db::audit::record(&mut self.tx, &self.actor, change.audit()).await?;
        if let Some(event) = change.timeline_event() {
            let kind = event.event_type;
            let id = db::timeline::record(&mut self.tx, &self.actor, event).await?;
            self.recorded.note(id, kind);
        }
        Ok(())
    }

    /// Notes that roles or assignments changed: once committed, every process reloads them.
    pub fn policies_changed(&mut self) {
        self.policies_changed = true;
    }

    /// The transaction, and what its commit must be followed by.
    pub fn into_parts(self) -> (TenantTx, AfterCommit) {
        (
            self.tx,
            AfterCommit {
                recorded: self.recorded,
                policies_changed: self.policies_changed,
            },
        )
    }

    /// Commits where nobody listens for live updates (the CLI, tests); returns what was
    /// recorded.
    pub async fn commit(self) -> crate::Result<AfterCommit> {
        let (tx, after) = self.into_parts();
        tx.commit().await?;
        Ok(after)
    }

    /// Ends a scope that only read.
    pub fn done(self) {
        self.tx.end_read_only();
    }
}
