-- Files an administrator uploads for a records import in the browser (issue 11), kept
-- between the dry run and the import's job run so whichever node runs it can read them.
-- A batch is the files of one upload; they are removed when the import has run.
CREATE TABLE import_files (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    batch TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content {blob} NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX import_files_batch ON import_files(batch);
