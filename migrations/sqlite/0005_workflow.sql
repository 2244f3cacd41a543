-- The application workflow, incomes and assets, public notices, objections and reviews
-- (DOMAIN.md §2).

-- More member facts of the register.
ALTER TABLE members ADD COLUMN hukou TEXT CHECK (hukou IN ('urban', 'rural'));
ALTER TABLE members ADD COLUMN disability_kind TEXT;
ALTER TABLE members ADD COLUMN serious_illness INTEGER NOT NULL DEFAULT 0 CHECK (serious_illness IN (0, 1));
ALTER TABLE members ADD COLUMN student INTEGER NOT NULL DEFAULT 0 CHECK (student IN (0, 1));
ALTER TABLE members ADD COLUMN employment TEXT;

-- Income items per member over the 12 months before the application. Whether an item
-- counts is decided by its name against income_exclusions when the rules run.
CREATE TABLE member_incomes (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('wage', 'business', 'property', 'transfer')),
    item       TEXT NOT NULL,
    monthly    INTEGER NOT NULL CHECK (monthly >= 0),
    months     INTEGER NOT NULL CHECK (months BETWEEN 0 AND 12)
);
CREATE INDEX member_incomes_member ON member_incomes (member_id);

-- Assets of the household: deposits/securities, vehicles, homes, commercial property,
-- business roles (value = registered capital).
CREATE TABLE household_assets (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households (id),
    kind          TEXT NOT NULL CHECK (kind IN ('financial', 'vehicle', 'home', 'commercial', 'business')),
    detail        TEXT NOT NULL DEFAULT '',
    value         INTEGER NOT NULL DEFAULT 0 CHECK (value >= 0),
    operating     INTEGER NOT NULL DEFAULT 1 CHECK (operating IN (0, 1))
);
CREATE INDEX household_assets_household ON household_assets (household_id);

-- Income not counted (DOMAIN.md §2): the city may change the list.
CREATE TABLE income_exclusions (
    item        TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL
);
INSERT INTO income_exclusions (item, created_at) VALUES
    ('优抚对象抚恤金和补助金', '2026-01-01'),
    ('奖励和见义勇为奖金', '2026-01-01'),
    ('独生子女费', '2026-01-01'),
    ('计划生育奖励扶助金', '2026-01-01'),
    ('困难残疾人生活补贴', '2026-01-01'),
    ('重度残疾人护理补贴', '2026-01-01'),
    ('高龄津贴', '2026-01-01'),
    ('义务教育阶段寄宿生生活补助', '2026-01-01');

-- The workflow's facts on the case.
ALTER TABLE cases ADD COLUMN reference TEXT;
CREATE UNIQUE INDEX cases_reference ON cases (reference);
ALTER TABLE cases ADD COLUMN consent INTEGER NOT NULL DEFAULT 0 CHECK (consent IN (0, 1));
ALTER TABLE cases ADD COLUMN close_relative INTEGER NOT NULL DEFAULT 0 CHECK (close_relative IN (0, 1));
ALTER TABLE cases ADD COLUMN close_relative_note TEXT;
ALTER TABLE cases ADD COLUMN district_reviewed INTEGER NOT NULL DEFAULT 0 CHECK (district_reviewed IN (0, 1));
ALTER TABLE cases ADD COLUMN accepted_on TEXT;
ALTER TABLE cases ADD COLUMN due_on TEXT;
ALTER TABLE cases ADD COLUMN extended INTEGER NOT NULL DEFAULT 0 CHECK (extended IN (0, 1));
ALTER TABLE cases ADD COLUMN visit_record TEXT;
ALTER TABLE cases ADD COLUMN verification_record TEXT;
ALTER TABLE cases ADD COLUMN has_supporter INTEGER NOT NULL DEFAULT 0 CHECK (has_supporter IN (0, 1));
ALTER TABLE cases ADD COLUMN recommend INTEGER;
ALTER TABLE cases ADD COLUMN notice_from TEXT;
ALTER TABLE cases ADD COLUMN notice_until TEXT;
ALTER TABLE cases ADD COLUMN explanation TEXT;
ALTER TABLE cases ADD COLUMN next_review_on TEXT;
ALTER TABLE cases ADD COLUMN gradual_until TEXT;
-- The last decision found a marginal household (低保边缘): kept on the list for special assistance.
ALTER TABLE cases ADD COLUMN marginal INTEGER NOT NULL DEFAULT 0 CHECK (marginal IN (0, 1));
CREATE INDEX cases_due ON cases (status, due_on);
CREATE INDEX cases_next_review ON cases (status, next_review_on);

-- What the transition did (accept, opinion, approve, …), beside its from/to state.
ALTER TABLE case_transitions ADD COLUMN action TEXT;

-- Objections received during the public notice, each resolved with a recorded result.
CREATE TABLE case_objections (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    received_on  TEXT NOT NULL,
    content      TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    resolution   TEXT,
    resolved_by  TEXT,
    resolved_at  TEXT
);
CREATE INDEX case_objections_case ON case_objections (case_id);

-- Periodic reviews (复核) of active cases: the outcome and the rules' explanation kept.
CREATE TABLE case_reviews (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    reviewed_on  TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('keep', 'raise', 'lower', 'stop', 'gradual')),
    old_amount   INTEGER NOT NULL,
    new_amount   INTEGER NOT NULL,
    explanation  TEXT NOT NULL,
    username     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_reviews_case ON case_reviews (case_id);

-- 先行救助: the case file must be completed within 5 working days of the grant.
ALTER TABLE temporary_grants ADD COLUMN due_on TEXT;
ALTER TABLE temporary_grants ADD COLUMN completed_on TEXT;
