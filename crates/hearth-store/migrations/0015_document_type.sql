-- A contract document has a type and the commissioning team's comments beside the
-- provider's, as the portal briefing's document list shows (Label, Type, Progress, LA
-- Comments, Provider Comments, Signature). Documents already here are contract documents.
ALTER TABLE contract_documents ADD COLUMN document_type TEXT NOT NULL DEFAULT 'contract_document';
ALTER TABLE contract_documents ADD COLUMN authority_comments TEXT NOT NULL DEFAULT '';
