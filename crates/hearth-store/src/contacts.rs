//! Contact maintenance (F3.7): the writes a contact request applies on approval, and the
//! assignments read for its checks. The contact and assignment rows are in `orgs`.

use crate::{Db, StoreError, WriteTx};

impl Db {
    /// Assignments held by a contact, with what they cover (for the deactivation check).
    pub async fn assignments_of_provider(
        &self,
        provider_id: i64,
    ) -> Result<Vec<crate::ContactAssignment>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM contact_assignments a JOIN contacts c ON c.id = a.contact_id WHERE c.provider_id = $1 ORDER BY a.id",
        )
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        crate::ContactAssignment::from_rows(&rows)
    }
}

impl WriteTx {
    /// Edits a contact.
    pub async fn update_contact(
        &mut self,
        id: i64,
        f: &crate::ContactFields,
        active: bool,
    ) -> Result<Option<crate::Contact>, StoreError> {
        let values = f
            .changes()
            .set("active", i64::from(active))
            .set("updated_at", self.at());
        self.change(id, "update", values).await
    }

    pub async fn delete_assignment(&mut self, id: i64) -> Result<(), StoreError> {
        self.remove::<crate::ContactAssignment>(id).await?;
        Ok(())
    }
}
