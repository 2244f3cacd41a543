-- Monthly payrolls (发放名册): one per month, program and district, from generation to
-- reconciliation with the bank's return. Lines carry what was paid, to whom and where.
CREATE TABLE payrolls (
    id             INTEGER PRIMARY KEY,
    month          TEXT NOT NULL CHECK (length(month) = 7),
    program        TEXT NOT NULL CHECK (program IN ('dibao', 'tekun')),
    district_code  TEXT NOT NULL REFERENCES regions (code),
    status         TEXT NOT NULL CHECK (status IN ('generated', 'submitted', 'approved', 'exported', 'reconciled')),
    generated_by   TEXT NOT NULL,
    generated_at   TEXT NOT NULL,
    submitted_by   TEXT,
    submitted_at   TEXT,
    approved_by    TEXT,
    approved_at    TEXT,
    exported_by    TEXT,
    exported_at    TEXT,
    reconciled_by  TEXT,
    reconciled_at  TEXT,
    return_note    TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (month, program, district_code)
);

CREATE TABLE payroll_lines (
    id               INTEGER PRIMARY KEY,
    payroll_id       INTEGER NOT NULL REFERENCES payrolls (id),
    case_id          INTEGER NOT NULL REFERENCES cases (id),
    region_code      TEXT NOT NULL,
    -- regular: this month; arrears (补发): an earlier month never paid; reissue: a failed
    -- payment paid again.
    kind             TEXT NOT NULL CHECK (kind IN ('regular', 'arrears', 'reissue')),
    month_paid       TEXT NOT NULL CHECK (length(month_paid) = 7),
    amount           INTEGER NOT NULL CHECK (amount > 0),
    payee_name       TEXT NOT NULL,
    id_number_index  TEXT NOT NULL,
    bank_sealed      TEXT,
    bank_index       TEXT,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
    fail_reason      TEXT,
    reissue_of       INTEGER REFERENCES payroll_lines (id)
);
CREATE INDEX payroll_lines_payroll ON payroll_lines (payroll_id, id);
-- A case is paid once for a month; a failed payment may be paid again by a re-issue.
CREATE UNIQUE INDEX payroll_lines_once ON payroll_lines (case_id, month_paid) WHERE status <> 'failed';
CREATE INDEX payroll_lines_person ON payroll_lines (id_number_index, month_paid);
CREATE INDEX payroll_lines_account ON payroll_lines (bank_index, month_paid);
CREATE INDEX payroll_lines_reissue ON payroll_lines (reissue_of);
