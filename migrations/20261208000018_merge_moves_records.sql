-- A merge moves the absorbed client's tickets, communications and opportunities to the
-- survivor too (not only contacts and timeline), and remembers which, so undo puts them back.
ALTER TABLE client_merges
    ADD COLUMN moved_tickets        uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN moved_communications uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN moved_opportunities  uuid[] NOT NULL DEFAULT '{}';
