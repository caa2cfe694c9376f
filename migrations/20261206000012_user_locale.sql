-- The language a user chose for themselves; NULL follows the tenant's locale. The table's
-- row-level security and grants already cover the new column.

ALTER TABLE users ADD COLUMN locale text CHECK (locale IN ('es', 'en'));
