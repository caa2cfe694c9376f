//! The catalogue of recorded changes: every audit action and timeline event type has one entry
//! here, with its stable name (stored, filtered on, and shown to API clients, so never
//! renamed) and the rules other modules rely on. A module adds its entries to [`EventType`].

use serde::{Deserialize, Serialize};

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, contact: $contact:literal ;)*) => {
        /// What happened: the `action` of an audit row and the `event_type` of a timeline event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventType {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl EventType {
            /// Every entry, in catalogue order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];

            /// The stable name, `resource.verb`.
            pub const fn name(self) -> &'static str {
                match self { $(EventType::$variant => $name,)* }
            }

            /// Whether an event of this type is an interaction with the client (a message,
            /// a call, a meeting, a proposal, a ticket ...): it moves the client's
            /// `last_contact_at` and makes it count as active in the KPIs. Keeping the record
            /// itself (created, updated, merged, its contacts edited) is history, but nobody
            /// spoke to the client.
            pub const fn counts_as_contact(self) -> bool {
                match self { $(EventType::$variant => $contact,)* }
            }
        }
    };
}

catalogue! {
    /// A client or lead was created (by a person, an API key or an import).
    ClientCreated = "client.created", contact: false;
    /// Some of a client's fields changed.
    ClientUpdated = "client.updated", contact: false;
    /// A lead became a client.
    ClientConverted = "client.converted", contact: false;
    /// A client was deleted (softly).
    ClientDeleted = "client.deleted", contact: false;
    /// A deleted client was brought back.
    ClientRestored = "client.restored", contact: false;
    /// Duplicates were merged into this client.
    ClientMerged = "client.merged", contact: false;
    /// A merge was undone.
    ClientMergeUndone = "client.merge_undone", contact: false;
    /// A contact person was added to a client.
    ContactAdded = "contact.added", contact: false;
    /// A contact person's details changed.
    ContactUpdated = "contact.updated", contact: false;
    /// A contact person was removed from a client.
    ContactRemoved = "contact.removed", contact: false;
    /// A contact's personal data was erased (right to erasure).
    ContactErased = "contact.erased", contact: false;
    /// A message to the client was committed for the worker to send.
    CommunicationQueued = "communication.queued", contact: false;
    /// A message was sent to the client (the provider accepted it).
    CommunicationSent = "communication.sent", contact: true;
    /// The provider reports a message reached the client.
    CommunicationDelivered = "communication.delivered", contact: false;
    /// The provider reports the client read a message.
    CommunicationRead = "communication.read", contact: false;
    /// A message could not be delivered; the provider's reason is kept.
    CommunicationFailed = "communication.failed", contact: false;
    /// A message came in from the client (or from an unknown sender, now a lead).
    CommunicationReceived = "communication.received", contact: true;
    /// A phone call with the client was logged.
    CommunicationCallLogged = "communication.call_logged", contact: true;
    /// The client opened an e-mail (its tracking image was fetched).
    CommunicationOpened = "communication.opened", contact: false;
    /// The client followed a link in an e-mail.
    CommunicationClicked = "communication.clicked", contact: false;
    /// A message template was written.
    MessageTemplateCreated = "message_template.created", contact: false;
    /// A message template changed.
    MessageTemplateUpdated = "message_template.updated", contact: false;
    /// A message template was removed.
    MessageTemplateDeleted = "message_template.deleted", contact: false;
    /// A channel's settings or credentials changed.
    ChannelSettingsUpdated = "channel_settings.updated", contact: false;
    /// A custom field was defined.
    CustomFieldCreated = "custom_field.created", contact: false;
    /// A custom field's definition changed.
    CustomFieldUpdated = "custom_field.updated", contact: false;
    /// A custom field was removed.
    CustomFieldDeleted = "custom_field.deleted", contact: false;
    /// A business calendar (time zone, weekly hours, holidays) was defined.
    BusinessCalendarCreated = "business_calendar.created", contact: false;
    /// A business calendar changed (its holidays imported from a feed included).
    BusinessCalendarUpdated = "business_calendar.updated", contact: false;
    /// A business calendar was removed.
    BusinessCalendarDeleted = "business_calendar.deleted", contact: false;
    /// A ticket category, with its SLA policy, was defined.
    TicketCategoryCreated = "ticket_category.created", contact: false;
    /// A ticket category or its SLA policy changed.
    TicketCategoryUpdated = "ticket_category.updated", contact: false;
    /// A ticket category was removed.
    TicketCategoryDeleted = "ticket_category.deleted", contact: false;
    /// The client opened a support ticket (or someone opened it for them).
    TicketCreated = "ticket.created", contact: true;
    /// A ticket's status, priority, assignee, category or other details changed.
    TicketUpdated = "ticket.updated", contact: false;
    /// An agent replied to the client on a ticket (a public comment).
    TicketReplied = "ticket.replied", contact: true;
    /// The client wrote on a ticket.
    TicketCustomerReplied = "ticket.customer_replied", contact: true;
    /// An agent left an internal note on a ticket (the client does not see it).
    TicketNoted = "ticket.noted", contact: false;
    /// A ticket's SLA target crossed its category's warning share.
    TicketSlaWarning = "ticket.sla_warning", contact: false;
    /// A ticket's SLA target was breached.
    TicketSlaBreached = "ticket.sla_breached", contact: false;
    /// A ticket was escalated early: its predicted chance of a breach crossed the threshold.
    TicketBreachPredicted = "ticket.breach_predicted", contact: false;
    /// A sales pipeline was defined with its stages.
    PipelineCreated = "pipeline.created", contact: false;
    /// A pipeline's name or stages changed.
    PipelineUpdated = "pipeline.updated", contact: false;
    /// A pipeline without opportunities was deleted.
    PipelineDeleted = "pipeline.deleted", contact: false;
    /// An opportunity was opened for a client.
    OpportunityCreated = "opportunity.created", contact: false;
    /// An opportunity's details (value, close date, owner ...) changed.
    OpportunityUpdated = "opportunity.updated", contact: false;
    /// An opportunity moved to another open stage, or within its stage.
    OpportunityMoved = "opportunity.moved", contact: false;
    /// An opportunity reached a won stage.
    OpportunityWon = "opportunity.won", contact: false;
    /// An opportunity reached a lost stage.
    OpportunityLost = "opportunity.lost", contact: false;
    /// An opportunity was deleted.
    OpportunityDeleted = "opportunity.deleted", contact: false;
    /// An activity (a call, meeting, task, demo or deadline) was planned for a client.
    ActivityPlanned = "activity.planned", contact: false;
    /// An activity already done was logged for a client.
    ActivityLogged = "activity.logged", contact: true;
    /// An activity was changed (moved, reassigned, its details edited).
    ActivityUpdated = "activity.updated", contact: false;
    /// An activity was done.
    ActivityCompleted = "activity.completed", contact: true;
    /// An activity was cancelled.
    ActivityCancelled = "activity.cancelled", contact: false;
    /// An activity was deleted.
    ActivityDeleted = "activity.deleted", contact: false;
    /// Reminders of an activity went to its assignees (a tenant event: not client history).
    ActivityReminded = "activity.reminder_sent", contact: false;
    /// A user issued (or replaced) their calendar feed's secret address.
    CalendarFeedIssued = "calendar_feed.issued", contact: false;
    /// A user revoked their calendar feed.
    CalendarFeedRevoked = "calendar_feed.revoked", contact: false;
    /// A user changed their calendar settings (their default reminders).
    CalendarSettingsChanged = "calendar_settings.changed", contact: false;
    /// A user connected their Google or Outlook calendar (or connected it again).
    CalendarConnected = "calendar_connection.connected", contact: false;
    /// A user disconnected an external calendar (its tokens deleted and revoked).
    CalendarDisconnected = "calendar_connection.disconnected", contact: false;
    /// A sync resolved a conflict on an activity changed on both sides since the last sync.
    ActivitySyncConflict = "activity.sync_conflict", contact: false;
    /// A proposal template was written (its version 1).
    ProposalTemplateCreated = "proposal_template.created", contact: false;
    /// A proposal template was renamed or its content changed (a new version).
    ProposalTemplateUpdated = "proposal_template.updated", contact: false;
    /// A proposal template no proposal was made from was deleted.
    ProposalTemplateDeleted = "proposal_template.deleted", contact: false;
    /// A proposal (or a new revision of one) was drafted for a client.
    ProposalCreated = "proposal.created", contact: false;
    /// A draft proposal's items, terms or validity changed.
    ProposalUpdated = "proposal.updated", contact: false;
    /// A draft proposal was deleted.
    ProposalDeleted = "proposal.deleted", contact: false;
    /// A proposal was e-mailed to the client with its PDF.
    ProposalSent = "proposal.sent", contact: false;
    /// The client opened a proposal through its public link.
    ProposalViewed = "proposal.viewed", contact: true;
    /// The client accepted a proposal.
    ProposalAccepted = "proposal.accepted", contact: true;
    /// The client turned a proposal down.
    ProposalRejected = "proposal.rejected", contact: true;
    /// A sent proposal passed its validity without an answer.
    ProposalExpired = "proposal.expired", contact: false;
    /// A sent proposal's owner was reminded that it expires soon.
    ProposalExpiring = "proposal.expiring", contact: false;
    /// A CSV import was started.
    ImportStarted = "client_import.started", contact: false;
    /// A tenant was provisioned.
    TenantCreated = "tenant.created", contact: false;
    /// A tenant's settings (name, time zone, locale, currency) changed.
    TenantUpdated = "tenant.updated", contact: false;
    /// A user was created.
    UserCreated = "user.created", contact: false;
    /// A user was invited by e-mail.
    UserInvited = "user.invited", contact: false;
    /// An invitation was accepted.
    UserInviteAccepted = "user.invite_accepted", contact: false;
    /// A user asked for a password reset (it was e-mailed to them).
    UserPasswordResetRequested = "user.password_reset_requested", contact: false;
    /// A user set a new password with a reset link; their sessions ended.
    UserPasswordReset = "user.password_reset", contact: false;
    /// A user's roles or standing changed.
    UserUpdated = "user.updated", contact: false;
    /// A user was deleted.
    UserDeleted = "user.deleted", contact: false;
    /// A custom role was created.
    RoleCreated = "role.created", contact: false;
    /// A custom role's permissions changed.
    RoleUpdated = "role.updated", contact: false;
    /// A custom role was deleted.
    RoleDeleted = "role.deleted", contact: false;
    /// An API key was created.
    ApiKeyCreated = "api_key.created", contact: false;
    /// An API key was revoked.
    ApiKeyRevoked = "api_key.revoked", contact: false;
    /// A user signed in.
    SignedIn = "auth.login", contact: false;
    /// A user signed out.
    SignedOut = "auth.logout", contact: false;
    /// A refresh token was used twice: its whole session was ended.
    RefreshReuseDetected = "auth.refresh_reuse_detected", contact: false;
}

impl EventType {
    /// The entry with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// Whether an event of this type may change the client KPIs (counts by status, new and
    /// converted clients), so live dashboards need them again.
    pub const fn changes_clients(self) -> bool {
        matches!(
            self,
            Self::ClientCreated
                | Self::ClientUpdated
                | Self::ClientConverted
                | Self::ClientDeleted
                | Self::ClientRestored
                | Self::ClientMerged
                | Self::ClientMergeUndone
        )
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn record_keeping_is_not_contact() {
        for t in [
            EventType::ClientCreated,
            EventType::ClientUpdated,
            EventType::ClientMerged,
            EventType::ContactErased,
        ] {
            assert!(!t.counts_as_contact(), "{t}");
        }
    }

    #[test]
    fn a_message_is_contact() {
        assert!(EventType::CommunicationSent.counts_as_contact());
    }

    #[test]
    fn ticket_replies_are_contact_and_notes_are_not() {
        for t in [
            EventType::TicketCreated,
            EventType::TicketReplied,
            EventType::TicketCustomerReplied,
        ] {
            assert!(t.counts_as_contact(), "{t}");
        }
        for t in [
            EventType::TicketUpdated,
            EventType::TicketNoted,
            EventType::TicketSlaWarning,
            EventType::TicketSlaBreached,
            EventType::TicketBreachPredicted,
            EventType::TicketCategoryUpdated,
            EventType::BusinessCalendarUpdated,
        ] {
            assert!(!t.counts_as_contact(), "{t}");
        }
    }

    #[test]
    fn names_are_unique_dotted_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for t in EventType::ALL {
            assert!(seen.insert(t.name()), "{t} twice");
            assert!(
                t.name().split_once('.').is_some(),
                "{t} is not resource.verb"
            );
            assert_eq!(EventType::from_name(t.name()), Some(*t));
            let json = serde_json::to_string(t).expect("serialize");
            assert_eq!(json, format!("\"{t}\""));
        }
        assert_eq!(EventType::from_name("client.frobbed"), None);
    }

    #[test]
    fn only_client_events_change_the_kpis() {
        assert!(EventType::ClientConverted.changes_clients());
        assert!(!EventType::ContactAdded.changes_clients());
        assert!(!EventType::UserCreated.changes_clients());
    }
}
