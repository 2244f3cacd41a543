-- Marriage registration (婚姻登记, DOMAIN.md §6): registrations (结婚/离婚/补领) with the
-- compliance audit's mark, divorce applications through the cooling-off, and the
-- registry's marital status history per person (by the ID's blind index).

-- 协议离婚申请: received, then withdrawn, completed or lapsed.
CREATE TABLE divorce_applications (
    id               INTEGER PRIMARY KEY,
    office_code      TEXT NOT NULL,
    received_on      TEXT NOT NULL,
    man_name         TEXT NOT NULL,
    man_id_sealed    TEXT NOT NULL,
    man_id_index     TEXT NOT NULL,
    woman_name       TEXT NOT NULL,
    woman_id_sealed  TEXT NOT NULL,
    woman_id_index   TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('received', 'withdrawn', 'completed', 'lapsed')),
    withdrawn_on     TEXT,
    withdrawn_by     TEXT CHECK (withdrawn_by IN ('man', 'woman')),
    completed_on     TEXT,
    lapsed_on        TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX divorce_applications_office ON divorce_applications (office_code, received_on);

-- One registration (FORMATS.md `marriage-registrations`, keyed by certificate number).
-- An imported record is kept even when it fails the rules: compliant = 0 with the rule.
CREATE TABLE marriage_registrations (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('marriage', 'divorce', 'reissue')),
    registered_on    TEXT NOT NULL,
    certificate_no   TEXT NOT NULL UNIQUE,
    man_name         TEXT NOT NULL,
    man_id_sealed    TEXT NOT NULL,
    man_id_index     TEXT NOT NULL,
    woman_name       TEXT NOT NULL,
    woman_id_sealed  TEXT NOT NULL,
    woman_id_index   TEXT NOT NULL,
    office_code      TEXT NOT NULL,
    applied_on       TEXT,
    application_id   INTEGER REFERENCES divorce_applications (id),
    compliant        INTEGER NOT NULL CHECK (compliant IN (0, 1)),
    failed_rule      TEXT,
    imported         INTEGER NOT NULL DEFAULT 0 CHECK (imported IN (0, 1)),
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    CHECK ((compliant = 1) = (failed_rule IS NULL))
);
CREATE INDEX marriage_registrations_day ON marriage_registrations (registered_on);
CREATE INDEX marriage_registrations_man ON marriage_registrations (man_id_index);
CREATE INDEX marriage_registrations_woman ON marriage_registrations (woman_id_index);

-- The registry's view of each person: married or divorced since a day, by a registration.
CREATE TABLE marital_statuses (
    id               INTEGER PRIMARY KEY,
    person_index     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('married', 'divorced')),
    since            TEXT NOT NULL,
    spouse_index     TEXT NOT NULL,
    registration_id  INTEGER NOT NULL REFERENCES marriage_registrations (id),
    recorded_at      TEXT NOT NULL,
    UNIQUE (person_index, registration_id)
);
CREATE INDEX marital_statuses_person ON marital_statuses (person_index);

-- 婚姻家庭辅导: a counselling session held by a registry (topic and people counselled).
CREATE TABLE marriage_counselling (
    id            INTEGER PRIMARY KEY,
    office_code   TEXT NOT NULL,
    held_on       TEXT NOT NULL,
    topic         TEXT NOT NULL CHECK (length(topic) > 0),
    participants  INTEGER NOT NULL CHECK (participants > 0),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX marriage_counselling_day ON marriage_counselling (office_code, held_on);
