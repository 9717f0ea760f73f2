-- A spatial index for the directory's distance search (security review, load): a GiST index
-- on each service's point (PostgreSQL's own geometric types, no extension), used by the
-- search's `<@ box(...)` test.
CREATE INDEX services_point ON services USING gist (point(longitude, latitude));
