-- Elderly care (DOMAIN.md §4): facilities with their bed history, construction targets,
-- inspections with hazards and their rectification, older people with visits, and the
-- home-care service platform (providers, catalogue, orders against a monthly allowance).

-- A facility of one of the four types. The beds it opens with count from its opening
-- date; later changes are dated events below, so any past day's count can be told.
CREATE TABLE care_facilities (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL CHECK (length(name) > 0),
    kind         TEXT NOT NULL CHECK (kind IN ('institution', 'daycare', 'happiness_home', 'street_centre')),
    region_code  TEXT NOT NULL REFERENCES regions (code),
    ownership    TEXT NOT NULL CHECK (ownership IN ('public', 'private')),
    status       TEXT NOT NULL CHECK (status IN ('planned', 'building', 'operating', 'closed')),
    opened_on    TEXT,
    operator     TEXT NOT NULL DEFAULT '',
    star_grade   INTEGER CHECK (star_grade BETWEEN 1 AND 5),
    occupied     INTEGER NOT NULL DEFAULT 0 CHECK (occupied >= 0),
    opening_beds    INTEGER NOT NULL DEFAULT 0 CHECK (opening_beds >= 0),
    opening_nursing INTEGER NOT NULL DEFAULT 0 CHECK (opening_nursing BETWEEN 0 AND opening_beds),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK ((status IN ('operating', 'closed')) = (opened_on IS NOT NULL))
);
CREATE INDEX care_facilities_region ON care_facilities (region_code, kind);

-- A change of total and nursing-type beds effective on a day (FORMATS.md `bed-changes`,
-- keyed by facility and day).
CREATE TABLE care_bed_changes (
    id            INTEGER PRIMARY KEY,
    facility_id   INTEGER NOT NULL REFERENCES care_facilities (id),
    effective_on  TEXT NOT NULL,
    beds          INTEGER NOT NULL,
    nursing_beds  INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (facility_id, effective_on)
);
CREATE INDEX care_bed_changes_day ON care_bed_changes (effective_on);

-- A district's target of new facilities of a type in a year.
CREATE TABLE care_targets (
    district_code  TEXT NOT NULL REFERENCES regions (code),
    year           INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    kind           TEXT NOT NULL CHECK (kind IN ('institution', 'daycare', 'happiness_home', 'street_centre')),
    target         INTEGER NOT NULL CHECK (target >= 0),
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (district_code, year, kind)
);

-- One item inspected at a facility on a day; its hazards below.
CREATE TABLE care_inspections (
    id            INTEGER PRIMARY KEY,
    facility_id   INTEGER NOT NULL REFERENCES care_facilities (id),
    inspected_on  TEXT NOT NULL,
    item          TEXT NOT NULL CHECK (item IN ('fire', 'food', 'service', 'medical', 'building')),
    inspectors    TEXT NOT NULL CHECK (length(inspectors) > 0),
    notes         TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (facility_id, inspected_on, item)
);
CREATE INDEX care_inspections_day ON care_inspections (inspected_on);

CREATE TABLE care_hazards (
    id             INTEGER PRIMARY KEY,
    inspection_id  INTEGER NOT NULL REFERENCES care_inspections (id),
    seq            INTEGER NOT NULL,
    description    TEXT NOT NULL CHECK (length(description) > 0),
    severity       TEXT NOT NULL CHECK (severity IN ('general', 'major')),
    deadline       TEXT NOT NULL,
    rectified_on   TEXT,
    rectification  TEXT,
    rechecked_on   TEXT,
    rechecked_by   TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (inspection_id, seq)
);
CREATE INDEX care_hazards_open ON care_hazards (rectified_on, deadline);

-- Trainings carry the ledger's category (FORMATS.md `trainings`); only 养老服务 counts
-- towards caregiver_trainees. Existing ones take it from their post.
ALTER TABLE staff_trainings ADD COLUMN category TEXT NOT NULL DEFAULT 'other';
UPDATE staff_trainings SET category = CASE post WHEN 'elderly' THEN 'elderly_care'
    WHEN 'assistance' THEN 'assistance' ELSE 'other' END;

-- Older residents (60 and over) of a district at a year's end: the denominator of care
-- beds per 100 older people. Unknown until entered.
ALTER TABLE region_residents ADD COLUMN older INTEGER CHECK (older >= 0);

-- An older person the bureau serves (60 and over on registration): ability level 0–4
-- (GB/T 42195-2022) with the day of the assessment (both empty until assessed), living
-- situation, and an own visit interval (empty: the default for the living situation).
-- The ID is protected like a member's; its blind index links to 特困/低保 records.
CREATE TABLE older_people (
    id                INTEGER PRIMARY KEY,
    id_number_sealed  TEXT NOT NULL,
    id_number_index   TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL CHECK (length(name) > 0),
    birth_date        TEXT NOT NULL,
    sex               TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    region_code       TEXT NOT NULL REFERENCES regions (code),
    ability_level     INTEGER CHECK (ability_level BETWEEN 0 AND 4),
    assessed_on       TEXT,
    living            TEXT NOT NULL CHECK (living IN ('family', 'alone', 'empty_nest', 'left_behind', 'bereaved')),
    phone_sealed      TEXT,
    visit_every_days  INTEGER CHECK (visit_every_days BETWEEN 1 AND 366),
    registered_on     TEXT NOT NULL,
    left_on           TEXT,
    left_reason       TEXT CHECK (left_reason IN ('death', 'moved')),
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((ability_level IS NULL) = (assessed_on IS NULL)),
    CHECK ((left_on IS NULL) = (left_reason IS NULL))
);
CREATE INDEX older_people_region ON older_people (region_code);

-- 探访关爱: a visit to an older person, at home or by phone. A served 探访关爱 order of
-- the home-care platform is recorded here too (order_id).
CREATE TABLE older_visits (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES older_people (id),
    visited_on  TEXT NOT NULL,
    way         TEXT NOT NULL CHECK (way IN ('home', 'phone')),
    visitor     TEXT NOT NULL CHECK (length(visitor) > 0),
    notes       TEXT NOT NULL DEFAULT '',
    order_id    INTEGER,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX older_visits_person ON older_visits (person_id, visited_on);

-- The home-care platform (互联网+养老): providers serving areas (region codes: a
-- community, or a street or district for all of its communities), the catalogue with
-- prices, and orders through their steps.
CREATE TABLE care_providers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
    uscc        TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE care_provider_areas (
    provider_id  INTEGER NOT NULL REFERENCES care_providers (id),
    region_code  TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (provider_id, region_code)
);

CREATE TABLE care_services (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('meal', 'bath', 'clean', 'emergency', 'medical', 'mobility', 'visit')),
    name        TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
    unit        TEXT NOT NULL CHECK (length(unit) > 0),
    price       INTEGER NOT NULL CHECK (price >= 0),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

-- An order: requested (by the person, family or a community worker) → dispatched to a
-- provider serving the person's community → served → rated; cancelled before served.
-- Price and amount are kept as they were when placed; `subsidy` is what the monthly
-- allowance pays (the whole amount when paid by allowance, else 0); `month` is the
-- allowance month (of requested_at).
CREATE TABLE care_orders (
    id               INTEGER PRIMARY KEY,
    person_id        INTEGER NOT NULL REFERENCES older_people (id),
    service_id       INTEGER NOT NULL REFERENCES care_services (id),
    provider_id      INTEGER REFERENCES care_providers (id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price       INTEGER NOT NULL CHECK (unit_price >= 0),
    amount           INTEGER NOT NULL CHECK (amount >= 0),
    payment          TEXT NOT NULL CHECK (payment IN ('allowance', 'self')),
    subsidy          INTEGER NOT NULL CHECK (subsidy >= 0),
    month            TEXT NOT NULL,
    requested_by     TEXT NOT NULL CHECK (requested_by IN ('self', 'family', 'worker')),
    requester        TEXT NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    placed_by        TEXT NOT NULL,
    requested_at     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('requested', 'dispatched', 'served', 'rated', 'cancelled')),
    dispatched_at    TEXT,
    dispatched_by    TEXT,
    served_at        TEXT,
    server_name      TEXT,
    served_by        TEXT,
    rating           INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment   TEXT,
    complaint        INTEGER NOT NULL DEFAULT 0 CHECK (complaint IN (0, 1)),
    rated_at         TEXT,
    rated_by         TEXT,
    cancelled_at     TEXT,
    cancelled_by     TEXT,
    cancel_reason    TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    CHECK (subsidy <= amount),
    CHECK (payment = 'allowance' OR subsidy = 0),
    CHECK (status IN ('requested', 'cancelled') OR provider_id IS NOT NULL)
);
CREATE INDEX care_orders_person ON care_orders (person_id, month);
CREATE INDEX care_orders_provider ON care_orders (provider_id, status);
CREATE INDEX care_orders_month ON care_orders (month, status);

-- The monthly allowance of government-paid service per category of eligible older
-- person (the highest that applies), in fen, from a month on. `threshold` is the
-- category's parameter: the age for 'aged' (高龄), the lowest ability level for
-- 'disabled' (失能); none for 特困 and 低保.
CREATE TABLE care_allowances (
    category        TEXT NOT NULL CHECK (category IN ('tekun', 'dibao', 'aged', 'disabled')),
    effective_from  TEXT NOT NULL,
    monthly         INTEGER NOT NULL CHECK (monthly >= 0),
    threshold       INTEGER,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (category, effective_from),
    CHECK (CASE category WHEN 'aged' THEN threshold IS NOT NULL AND threshold BETWEEN 60 AND 120
                         WHEN 'disabled' THEN threshold IS NOT NULL AND threshold BETWEEN 1 AND 4
                         ELSE threshold IS NULL END)
);
INSERT INTO care_allowances (category, effective_from, monthly, threshold, updated_by, updated_at) VALUES
    ('tekun', '2020-01-01', 30000, NULL, 'migration', '2026-01-01T00:00:00+08:00'),
    ('dibao', '2020-01-01', 20000, NULL, 'migration', '2026-01-01T00:00:00+08:00'),
    ('aged', '2020-01-01', 10000, 80, 'migration', '2026-01-01T00:00:00+08:00'),
    ('disabled', '2020-01-01', 20000, 2, 'migration', '2026-01-01T00:00:00+08:00');
