-- Reminders of planned activities: minutes before each occurrence's start, set on the activity
-- or taken from each assignee's default; each sent at most once per occurrence, user and offset.

-- NULL: each assignee's default (calendar_preferences); '{}': no reminders.
ALTER TABLE activities
    ADD COLUMN reminder_minutes integer[]
        CHECK (cardinality(reminder_minutes) <= 5
               AND 0 <= ALL (reminder_minutes) AND 10080 >= ALL (reminder_minutes)),
    -- When the reminder pass must look at the activity next (kept by the service); NULL when
    -- no reminder is to come.
    ADD COLUMN next_reminder_at timestamptz;
CREATE INDEX activities_next_reminder ON activities (tenant_id, next_reminder_at)
    WHERE next_reminder_at IS NOT NULL;

-- Each user's calendar settings; a user without a row has the defaults.
CREATE TABLE calendar_preferences (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    user_id           uuid NOT NULL,
    reminder_minutes  integer[] NOT NULL
        CHECK (cardinality(reminder_minutes) <= 5
               AND 0 <= ALL (reminder_minutes) AND 10080 >= ALL (reminder_minutes)),
    version           integer NOT NULL DEFAULT 1,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- The reminders sent: the key makes each one once, whichever worker's pass commits first.
CREATE TABLE activity_reminders (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    activity_id     uuid NOT NULL,
    -- The start of the occurrence reminded of (a moved activity's new start is a new key).
    occurrence_at   timestamptz NOT NULL,
    user_id         uuid NOT NULL,
    minutes_before  integer NOT NULL,
    due_at          timestamptz NOT NULL,
    -- sent; missed (the occurrence had begun when a pass found it due); skipped (another
    -- reminder of the same occurrence to the same user, due later, went at the same time).
    outcome         text NOT NULL CHECK (outcome IN ('sent', 'missed', 'skipped')),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, activity_id, occurrence_at, user_id, minutes_before),
    FOREIGN KEY (tenant_id, activity_id) REFERENCES activities (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE calendar_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calendar_preferences USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
ALTER TABLE activity_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON activity_reminders USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_preferences TO crm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON activity_reminders TO crm_app;

-- A reminder's e-mail is one of the platform's own mails.
ALTER TABLE platform_mails DROP CONSTRAINT platform_mails_kind_check;
ALTER TABLE platform_mails ADD CONSTRAINT platform_mails_kind_check
    CHECK (kind IN ('invitation', 'password_reset', 'sla_breach', 'proposal_expiring',
                    'activity_reminder'));
