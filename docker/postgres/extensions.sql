-- Extensions of the re-guarantee database (first start only): pg_trgm
-- gives the project and borrower lists their trigram indexes for the
-- searches by number, name and ID number (Tryton creates them with
-- trytond-admin -u only when the extension is there).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
