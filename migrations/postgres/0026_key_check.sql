-- The key check (密钥校验值): a constant sealed with the key file the first time the
-- database is opened with it. At every start, and after a restore, the key file given must
-- open it again; a wrong key file is refused at once instead of failing later on the first
-- sealed ID number (or, worse, sealing new data with a key that does not match the old).
CREATE TABLE key_check (
    id         BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    sealed     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
