-- A counselling session (婚姻家庭辅导) may be held with one couple in the cooling-off:
-- linked to their divorce application, so the application shows its sessions and the
-- registry can count the applications withdrawn after counselling.
ALTER TABLE marriage_counselling ADD COLUMN application_id INTEGER REFERENCES divorce_applications (id);
