-- Data comparison (DOMAIN.md §3). A data set is one load of one department's file: its
-- rows are kept compactly in chunks (the ID numbers as 8-byte keys, the fields as text),
-- so ten million rows are a few hundred blobs, not ten million rows.
CREATE TABLE compare_datasets (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,
    received_on       TEXT NOT NULL,
    file_name         TEXT NOT NULL,
    checksum          TEXT NOT NULL,
    total_rows        INTEGER NOT NULL,
    valid_rows        INTEGER NOT NULL,
    invalid_rows      INTEGER NOT NULL,
    invalid_examples  TEXT NOT NULL,
    loaded_by         TEXT NOT NULL,
    loaded_at         TEXT NOT NULL,
    UNIQUE (source, checksum)
);

-- valid = 1: rows with a valid ID, `keys` holds one little-endian u64 per row; valid = 0:
-- rows kept aside (ID or a field unreadable), `keys` empty, the reason as the last field.
-- `rows`: fields separated by 0x1F, rows by 0x1E.
CREATE TABLE compare_chunks (
    dataset_id  INTEGER NOT NULL REFERENCES compare_datasets (id),
    seq         INTEGER NOT NULL,
    valid       INTEGER NOT NULL CHECK (valid IN (0, 1)),
    row_count   INTEGER NOT NULL,
    keys        BLOB NOT NULL,
    rows        BLOB NOT NULL,
    PRIMARY KEY (dataset_id, seq)
);

CREATE TABLE compare_runs (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    run_by        TEXT NOT NULL,
    datasets      TEXT NOT NULL,
    people        INTEGER NOT NULL,
    counts        TEXT NOT NULL,
    new_findings  INTEGER NOT NULL
);

-- A finding (疑点): one rule's hit on one person or household with its evidence. The
-- evidence key makes runs idempotent: the same evidence never raises a second finding,
-- and a dismissed one stays dismissed.
CREATE TABLE compare_findings (
    id              INTEGER PRIMARY KEY,
    evidence_key    TEXT NOT NULL UNIQUE,
    source          TEXT NOT NULL,
    rule            TEXT NOT NULL,
    first_run_id    INTEGER NOT NULL REFERENCES compare_runs (id),
    last_run_id     INTEGER NOT NULL REFERENCES compare_runs (id),
    dataset_id      INTEGER REFERENCES compare_datasets (id),
    household_id    INTEGER REFERENCES households (id),
    case_id         INTEGER REFERENCES cases (id),
    person_index    TEXT NOT NULL,
    person_name     TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    match_kind      TEXT NOT NULL CHECK (match_kind IN ('exact', 'fuzzy', 'internal')),
    score           INTEGER NOT NULL,
    match_reasons   TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    detail          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'verifying', 'confirmed', 'dismissed')),
    result          TEXT,
    taken_by        TEXT,
    resolved_by     TEXT,
    resolved_at     TEXT,
    created_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX compare_findings_region ON compare_findings (region_code, status);
CREATE INDEX compare_findings_case ON compare_findings (case_id);
