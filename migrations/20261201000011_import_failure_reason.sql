-- Why an import ended `failed`: a header the job cannot read, or a permanent error (a data or
-- constraint error that every run would meet again), so the job gave up at once.

ALTER TABLE client_imports ADD COLUMN failure_reason text;
