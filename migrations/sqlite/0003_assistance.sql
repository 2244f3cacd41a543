-- Social assistance (DOMAIN.md §2).

-- 低保 standards per district and area, each with the date it takes effect (history kept).
CREATE TABLE assistance_standards (
    id              INTEGER PRIMARY KEY,
    district_code   TEXT NOT NULL REFERENCES regions (code),
    area            TEXT NOT NULL CHECK (area IN ('urban', 'rural')),
    effective_from  TEXT NOT NULL,
    dibao_standard  INTEGER NOT NULL CHECK (dibao_standard > 0),
    created_at      TEXT NOT NULL,
    UNIQUE (district_code, area, effective_from)
);

-- City-wide policy numbers (percentages, limits, minimum wage), each with its date.
CREATE TABLE assistance_parameters (
    key             TEXT NOT NULL,
    effective_from  TEXT NOT NULL,
    value           INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (key, effective_from)
);

-- A household (家庭) in the register, filed under its community/village.
CREATE TABLE households (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    region_code  TEXT NOT NULL REFERENCES regions (code),
    created_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX households_region ON households (region_code);

CREATE TABLE members (
    id                INTEGER PRIMARY KEY,
    household_id      INTEGER NOT NULL REFERENCES households (id),
    name              TEXT NOT NULL,
    relation          TEXT NOT NULL,
    id_number_sealed  TEXT NOT NULL,
    id_number_index   TEXT NOT NULL,
    birth_date        TEXT NOT NULL,
    sex               TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    covered           INTEGER NOT NULL DEFAULT 1 CHECK (covered IN (0, 1)),
    work_capacity     TEXT,
    disability_grade  INTEGER,
    self_care         TEXT,
    phone_sealed      TEXT,
    phone_index       TEXT,
    bank_sealed       TEXT,
    bank_index        TEXT,
    UNIQUE (household_id, id_number_index)
);
CREATE INDEX members_id_number ON members (id_number_index);

-- A case: one program for one household, through the workflow to 在保 and 停保.
CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    household_id     INTEGER NOT NULL REFERENCES households (id),
    program          TEXT NOT NULL CHECK (program IN ('dibao', 'tekun')),
    status           TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'investigating', 'reviewed',
                         'notice', 'active', 'rejected', 'refused', 'exited')),
    region_code      TEXT NOT NULL,
    applied_on       TEXT NOT NULL,
    approved_on      TEXT,
    exited_on        TEXT,
    exit_reason      TEXT CHECK (exit_reason IN ('income_above', 'assets_above', 'verification', 'false_info',
                         'refusal', 'death', 'moved', 'withdrawal', 'gradual_end')),
    monthly_amount   INTEGER NOT NULL DEFAULT 0,
    covered_persons  INTEGER NOT NULL DEFAULT 0,
    source           TEXT NOT NULL CHECK (source IN ('online', 'counter', 'import')),
    version          INTEGER NOT NULL DEFAULT 1
);
-- A household may be approved again after an exit: each approval is its own case.
CREATE INDEX cases_household ON cases (household_id, program);
CREATE INDEX cases_region_status ON cases (region_code, status);
CREATE INDEX cases_approved ON cases (approved_on);
CREATE INDEX cases_exited ON cases (exited_on);

-- Every change of a case's state: who, when, why.
CREATE TABLE case_transitions (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    at          TEXT NOT NULL,
    username    TEXT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX case_transitions_case ON case_transitions (case_id);
