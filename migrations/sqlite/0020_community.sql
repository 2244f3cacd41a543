-- Community governance and social organisations (DOMAIN.md §5): consultations, the
-- registry of social organisations with their status history and yearly inspections,
-- their welfare activities, and cases against illegal organisations.

-- 社区协商: one consultation activity in a community (FORMATS.md `consultations`, keyed by
-- day, community and topic).
CREATE TABLE consultations (
    id            INTEGER PRIMARY KEY,
    held_on       TEXT NOT NULL,
    region_code   TEXT NOT NULL REFERENCES regions (code),
    topic         TEXT NOT NULL CHECK (length(topic) > 0),
    category      TEXT NOT NULL CHECK (category IN ('environment', 'facilities', 'property', 'neighbours', 'other')),
    participants  INTEGER NOT NULL CHECK (participants >= 0),
    outcome       TEXT NOT NULL CHECK (outcome IN ('resolved', 'in_progress')),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (held_on, region_code, topic)
);
CREATE INDEX consultations_day ON consultations (held_on);

-- A social organisation registered by the city or a district (region_code: the
-- registering authority's code, 6 digits). Its status now is `status`; how it got
-- there is social_org_statuses.
CREATE TABLE social_orgs (
    id             INTEGER PRIMARY KEY,
    uscc           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL CHECK (length(name) > 0),
    kind           TEXT NOT NULL CHECK (kind IN ('association', 'service_agency', 'foundation')),
    region_code    TEXT NOT NULL REFERENCES regions (code),
    registered_on  TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('normal', 'abnormal', 'revoked', 'deregistered')),
    ended_on       TEXT,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    CHECK ((status IN ('revoked', 'deregistered')) = (ended_on IS NOT NULL))
);

CREATE TABLE social_org_statuses (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES social_orgs (id),
    status      TEXT NOT NULL,
    since       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    changed_at  TEXT NOT NULL
);
CREATE INDEX social_org_statuses_org ON social_org_statuses (org_id);

-- 年检: the result of an organisation's inspection for a year (its work of that year).
CREATE TABLE social_org_inspections (
    org_id        INTEGER NOT NULL REFERENCES social_orgs (id),
    year          INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    result        TEXT NOT NULL CHECK (result IN ('qualified', 'basically', 'unqualified', 'absent')),
    inspected_on  TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, year)
);

-- 公益活动 of an organisation (FORMATS.md `welfare-activities`).
CREATE TABLE welfare_activities (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES social_orgs (id),
    held_on        TEXT NOT NULL,
    name           TEXT NOT NULL CHECK (length(name) > 0),
    field          TEXT NOT NULL CHECK (field IN ('poverty', 'environment', 'education', 'elderly_disabled', 'other')),
    beneficiaries  INTEGER NOT NULL CHECK (beneficiaries >= 0),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (org_id, held_on, name)
);
CREATE INDEX welfare_activities_day ON welfare_activities (held_on);

-- 非法社会组织: found, then banned (取缔), with dates.
CREATE TABLE illegal_orgs (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) > 0),
    region_code  TEXT NOT NULL REFERENCES regions (code),
    found_on     TEXT NOT NULL,
    description  TEXT NOT NULL,
    banned_on    TEXT,
    handling     TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
