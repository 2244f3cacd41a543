-- Accounts. One role per account: the three administrators (三员) are kept apart by
-- construction, and a new account has no role ('none') until the security admin grants one.
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL DEFAULT 'none' CHECK (role IN (
                             'none', 'community_worker', 'street_caseworker', 'district_reviewer',
                             'district_approver', 'city_admin', 'auditor',
                             'system_admin', 'security_admin', 'audit_admin')),
    region_code          TEXT NOT NULL REFERENCES regions (code),
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1 CHECK (must_change_password IN (0, 1)),
    password_changed_at  TEXT NOT NULL,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    -- TOTP secret, sealed with the key file (AEAD); NULL until enrolled.
    totp_secret          TEXT,
    totp_last_step       INTEGER NOT NULL DEFAULT 0,
    -- Protected personal data: sealed value + keyed blind index for exact lookup.
    phone_sealed         TEXT,
    phone_index          TEXT,
    id_number_sealed     TEXT,
    id_number_index      TEXT,
    created_at           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_region ON users (region_code);
CREATE INDEX users_id_number_index ON users (id_number_index);

-- Server-side sessions: only the SHA-256 of the cookie token is stored.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    stage        TEXT NOT NULL CHECK (stage IN ('full', 'change_password', 'enrol_totp')),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    reauth_at    TEXT NOT NULL,
    ip           TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Security policy values set by the security admin (defaults live in the code, with
-- floors that no setting can go below).
CREATE TABLE security_policy (
    key        TEXT PRIMARY KEY NOT NULL,
    value      INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- The audit log: append-only, each entry's hash covers the previous entry's hash.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY NOT NULL,
    at          TEXT NOT NULL,
    user_id     INTEGER,
    username    TEXT NOT NULL,
    role        TEXT NOT NULL,
    region_code TEXT NOT NULL,
    source_ip   TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (username);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

-- The chain's head: writers take this row first, so entries are chained one at a time.
-- first_seq/anchor_hash say where the kept chain starts after a retention purge.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq         INTEGER NOT NULL,
    last_hash   TEXT NOT NULL,
    first_seq   INTEGER NOT NULL,
    anchor_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash, first_seq, anchor_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 1,
        '0000000000000000000000000000000000000000000000000000000000000000');
