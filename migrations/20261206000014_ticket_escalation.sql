-- The escalation pass reads, tenant by tenant, the open tickets whose warning time has come
-- (a ticket's warning time is never after its due time, so this one index finds both).
CREATE INDEX tickets_warn ON tickets (tenant_id, next_warn_at) WHERE next_warn_at IS NOT NULL;
