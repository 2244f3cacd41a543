-- Corrections (更正) of a payroll before its bank file goes out: a line's amount changed
-- or the line taken off, with the reason, who and when, and the line as it was. After
-- approval a correction sends the payroll back to be approved again.
CREATE TABLE payroll_corrections (
    id             INTEGER PRIMARY KEY,
    payroll_id     INTEGER NOT NULL REFERENCES payrolls (id),
    -- Not a foreign key: a line taken off is gone from payroll_lines; `line` keeps it.
    line_id        INTEGER NOT NULL,
    case_id        INTEGER NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('amount', 'remove')),
    amount_before  INTEGER NOT NULL,
    amount_after   INTEGER CHECK (amount_after > 0),
    reason         TEXT NOT NULL CHECK (length(reason) > 0),
    status_before  TEXT NOT NULL,
    line           TEXT NOT NULL,
    corrected_by   TEXT NOT NULL,
    corrected_at   TEXT NOT NULL,
    CHECK ((action = 'amount') = (amount_after IS NOT NULL))
);
CREATE INDEX payroll_corrections_payroll ON payroll_corrections (payroll_id, id);
