-- Funds (DOMAIN.md §7): each year's budget of a program in a district by source
-- (中央/省/市/区县), and the allocations (资金下达) as they arrive, each with the document
-- that issued it. Spending is not entered: it is what reconciled payrolls paid and what
-- temporary grants gave.
CREATE TABLE fund_budgets (
    year           INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    district_code  TEXT NOT NULL REFERENCES regions (code),
    program        TEXT NOT NULL CHECK (program IN ('dibao', 'tekun', 'temporary')),
    source         TEXT NOT NULL CHECK (source IN ('central', 'province', 'city', 'district')),
    amount         INTEGER NOT NULL CHECK (amount >= 0),
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (year, district_code, program, source)
);

CREATE TABLE fund_allocations (
    id             INTEGER PRIMARY KEY,
    year           INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    district_code  TEXT NOT NULL REFERENCES regions (code),
    program        TEXT NOT NULL CHECK (program IN ('dibao', 'tekun', 'temporary')),
    source         TEXT NOT NULL CHECK (source IN ('central', 'province', 'city', 'district')),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    allocated_on   TEXT NOT NULL,
    document_no    TEXT NOT NULL CHECK (length(document_no) > 0),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX fund_allocations_district ON fund_allocations (district_code, year);

-- What a reconciled payroll paid, kept with it: lines never change after reconciliation,
-- and summing a year of a million-case city's lines for every funds page would be slow.
ALTER TABLE payrolls ADD COLUMN paid_amount INTEGER;
UPDATE payrolls SET paid_amount = (
    SELECT COALESCE(SUM(l.amount), 0) FROM payroll_lines l WHERE l.payroll_id = payrolls.id AND l.status = 'paid'
) WHERE status = 'reconciled';
