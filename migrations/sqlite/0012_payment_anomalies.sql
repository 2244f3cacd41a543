-- Fund supervision: payments that break a rule become tasks in the district's queue, each
-- resolved with a recorded result. (rule, evidence) keeps a check run twice from raising the
-- same task twice, and a dismissed one from coming back for the same evidence: the
-- evidence names the case, the month paid and what was found, not a line.
CREATE TABLE payment_anomalies (
    id             INTEGER PRIMARY KEY,
    rule           TEXT NOT NULL CHECK (rule IN ('paid_after_death', 'paid_after_exit', 'paid_twice',
                       'amount_differs', 'shared_account')),
    evidence       TEXT NOT NULL,
    district_code  TEXT NOT NULL,
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    -- The line found; a payroll made again before submission replaces its lines.
    line_id        INTEGER REFERENCES payroll_lines (id) ON DELETE SET NULL,
    month_paid     TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    details        TEXT NOT NULL,
    found_at       TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
    result         TEXT,
    resolved_by    TEXT,
    resolved_at    TEXT,
    UNIQUE (rule, evidence)
);
CREATE INDEX payment_anomalies_queue ON payment_anomalies (district_code, status);

-- Overpayments to get back (追回): the months paid after a case really ended.
CREATE TABLE payment_recoveries (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    anomaly_id     INTEGER REFERENCES payment_anomalies (id),
    district_code  TEXT NOT NULL,
    ended_on       TEXT NOT NULL,
    months         TEXT NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount > 0),
    recovered      INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'recovering', 'recovered', 'written_off')),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX payment_recoveries_district ON payment_recoveries (district_code, status);

-- Each step of a recovery: who, when, what was received, why.
CREATE TABLE payment_recovery_events (
    id           INTEGER PRIMARY KEY,
    recovery_id  INTEGER NOT NULL REFERENCES payment_recoveries (id),
    at           TEXT NOT NULL,
    by_user      TEXT NOT NULL,
    status       TEXT NOT NULL,
    amount       INTEGER NOT NULL DEFAULT 0,
    note         TEXT NOT NULL
);
CREATE INDEX payment_recovery_events_recovery ON payment_recovery_events (recovery_id);
