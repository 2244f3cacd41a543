-- Temporary assistance (临时救助): one row per grant; a cancelled one stays, marked.
CREATE TABLE temporary_grants (
    id                INTEGER PRIMARY KEY,
    id_number_sealed  TEXT NOT NULL,
    id_number_index   TEXT NOT NULL,
    name              TEXT NOT NULL,
    region_code       TEXT NOT NULL REFERENCES regions (code),
    kind              TEXT NOT NULL CHECK (kind IN ('emergency', 'expenditure')),
    grant_date        TEXT NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount > 0),
    household_size    INTEGER NOT NULL CHECK (household_size > 0),
    advance           INTEGER NOT NULL DEFAULT 0 CHECK (advance IN (0, 1)),
    status            TEXT NOT NULL CHECK (status IN ('valid', 'cancelled')),
    created_at        TEXT NOT NULL,
    UNIQUE (id_number_index, grant_date, amount)
);
CREATE INDEX temporary_grants_region_date ON temporary_grants (region_code, grant_date);
