-- Actions the commissioning team sets for a provider or one of its contacts (F3.8).
CREATE TABLE actions (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    contact_id BIGINT REFERENCES contacts(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    due_date TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    done_note TEXT NOT NULL DEFAULT '',
    done_by_name TEXT,
    done_at BIGINT,
    created_by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX actions_provider ON actions(provider_id, status, due_date);

-- Contract documents (F3.6): uploaded or generated, kept in the database so every node reads them.
CREATE TABLE contract_documents (
    id {pk},
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content {blob} NOT NULL,
    size_bytes BIGINT NOT NULL,
    progress TEXT NOT NULL DEFAULT 'draft',
    provider_comments TEXT NOT NULL DEFAULT '',
    created_by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contract_documents_contract ON contract_documents(contract_id);

CREATE TABLE document_signatures (
    id {pk},
    document_id BIGINT NOT NULL REFERENCES contract_documents(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    signed_by_name TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
CREATE INDEX document_signatures_document ON document_signatures(document_id);
