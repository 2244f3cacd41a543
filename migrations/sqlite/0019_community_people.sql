-- Community governance (DOMAIN.md §5), lists and people: the list of work items admitted to
-- communities (社区工作事项准入清单) and the list of certificates a community may issue (社区证明事项),
-- the certificates issued, community workers, volunteers with their service records, and social
-- workers with their certificate level.

-- An entry of one of the two lists, issued by the city (for all its communities) or by a district
-- (for the communities of the district). A removed entry stays, with the day and the reason; an
-- item listed again is a new entry. Listed on day D: added_on <= D and (no removed_on or
-- removed_on > D): an entry removed on a day is off the list from that day on.
CREATE TABLE community_list_items (
    id              INTEGER PRIMARY KEY,
    list            TEXT NOT NULL CHECK (list IN ('workitem', 'certificate')),
    region_code     TEXT NOT NULL REFERENCES regions (code),
    name            TEXT NOT NULL CHECK (length(name) > 0),
    basis           TEXT NOT NULL DEFAULT '',
    added_on        TEXT NOT NULL,
    removed_on      TEXT,
    removed_reason  TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK ((removed_on IS NULL) = (removed_reason IS NULL)),
    CHECK (removed_on IS NULL OR removed_on >= added_on)
);
CREATE UNIQUE INDEX community_list_items_current ON community_list_items (list, region_code, name)
    WHERE removed_on IS NULL;
CREATE INDEX community_list_items_removed ON community_list_items (removed_on);

-- A certificate a community issued, against an entry of the certificate list that was listed on
-- the day of issue. The person's ID number is sealed, with the keyed blind index of `members`.
CREATE TABLE community_certificates (
    id                INTEGER PRIMARY KEY,
    item_id           INTEGER NOT NULL REFERENCES community_list_items (id),
    region_code       TEXT NOT NULL REFERENCES regions (code),
    person_name       TEXT NOT NULL CHECK (length(person_name) > 0),
    id_number_sealed  TEXT NOT NULL,
    id_number_index   TEXT NOT NULL,
    purpose           TEXT NOT NULL CHECK (length(purpose) > 0),
    issued_on         TEXT NOT NULL,
    issued_by         TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX community_certificates_region ON community_certificates (region_code, issued_on);
CREATE INDEX community_certificates_person ON community_certificates (id_number_index);

-- A community worker (社区工作者) in a post of a community from a day; ended_on is the last day
-- in post.
CREATE TABLE community_workers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) > 0),
    region_code  TEXT NOT NULL REFERENCES regions (code),
    post         TEXT NOT NULL CHECK (post IN ('secretary', 'director', 'member', 'full_time', 'grid')),
    started_on   TEXT NOT NULL,
    ended_on     TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX community_workers_region ON community_workers (region_code, started_on);

-- A registered volunteer (志愿者): ID number and phone sealed, the ID's blind index unique.
CREATE TABLE volunteers (
    id                INTEGER PRIMARY KEY,
    id_number_sealed  TEXT NOT NULL,
    id_number_index   TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL CHECK (length(name) > 0),
    region_code       TEXT NOT NULL REFERENCES regions (code),
    phone_sealed      TEXT,
    registered_on     TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX volunteers_region ON volunteers (region_code);

-- A service record: hours in tenths of an hour (2.5 h = 25), at most 24 h a record.
CREATE TABLE volunteer_services (
    id            INTEGER PRIMARY KEY,
    volunteer_id  INTEGER NOT NULL REFERENCES volunteers (id),
    served_on     TEXT NOT NULL,
    tenths        INTEGER NOT NULL CHECK (tenths BETWEEN 1 AND 240),
    activity      TEXT NOT NULL CHECK (length(activity) > 0),
    organiser     TEXT NOT NULL CHECK (length(organiser) > 0),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX volunteer_services_volunteer ON volunteer_services (volunteer_id, served_on);

-- A social worker (社会工作者) of a district with the level of the certificate held and its date.
CREATE TABLE social_workers (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL CHECK (length(name) > 0),
    district_code  TEXT NOT NULL REFERENCES regions (code),
    level          TEXT NOT NULL CHECK (level IN ('assistant', 'intermediate', 'senior')),
    certified_on   TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX social_workers_district ON social_workers (district_code, level);
