-- What a temporary grant is for (事由: fire, accident, serious illness…), entered at the
-- counter and shown to whoever approves a request. Grants from the ledger carry none.
ALTER TABLE temporary_grants ADD COLUMN reason TEXT;
ALTER TABLE temporary_requests ADD COLUMN reason TEXT;
