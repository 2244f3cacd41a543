-- 临时救助 sent up for approval (报批): a grant above the approval level of the person who
-- enters it (DOMAIN.md §2: street up to 3 months, district up to 6, above that the city)
-- waits here for an approver of that level. Approved, it becomes a grant dated the day of
-- approval (grant_id); rejected, it stays with the reason. Statistics count grants only.
CREATE TABLE temporary_requests (
    id                INTEGER PRIMARY KEY,
    id_number_sealed  TEXT NOT NULL,
    id_number_index   TEXT NOT NULL,
    name              TEXT NOT NULL,
    region_code       TEXT NOT NULL REFERENCES regions (code),
    kind              TEXT NOT NULL CHECK (kind IN ('emergency', 'expenditure')),
    household_size    INTEGER NOT NULL CHECK (household_size > 0),
    months            INTEGER NOT NULL CHECK (months > 0),
    amount            INTEGER NOT NULL CHECK (amount > 0),
    level             TEXT NOT NULL CHECK (level IN ('district', 'city')),
    status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by      TEXT NOT NULL,
    requested_at      TEXT NOT NULL,
    decided_by        TEXT,
    decided_at        TEXT,
    decision_note     TEXT,
    grant_id          INTEGER REFERENCES temporary_grants (id)
);
CREATE INDEX temporary_requests_status ON temporary_requests (status, region_code);
