//! Actions (F3.8), contract documents (F3.6) and contacts (F3.7), on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::world;

use hearth_app::actions::ActionInput;
use hearth_app::contacts::{AssignmentInput, ContactInput};
use hearth_app::{AppError, Principal};
use hearth_domain::DocumentProgress;
use hearth_store::testing;

fn provider_id(p: &Principal) -> i64 {
    match p {
        Principal::Provider { provider_id, .. } => *provider_id,
        _ => panic!("not a provider user"),
    }
}

fn contact_id(p: &Principal) -> i64 {
    match p {
        Principal::Provider { contact, .. } => contact.id,
        _ => panic!("not a provider user"),
    }
}

#[tokio::test]
async fn actions_are_set_by_the_team_filtered_and_completed_by_the_provider() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let pid = provider_id(&w.provider);
        let mine = ActionInput {
            contact_id: contact_id(&w.provider).to_string(),
            title: "Send the fire risk assessment".into(),
            due_date: "1/1/2020".into(),
            priority: "high".into(),
            ..Default::default()
        };
        let org = ActionInput {
            title: "Update the complaints policy".into(),
            due_date: "31/12/2099".into(),
            priority: "low".into(),
            ..Default::default()
        };
        let a1 = w.app.create_action(&w.officer, pid, &mine).await.unwrap();
        w.app.create_action(&w.officer, pid, &org).await.unwrap();
        assert!(
            matches!(
                w.app.create_action(&w.board, pid, &org).await,
                Err(AppError::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(
                w.app.create_action(&w.provider, pid, &org).await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );
        let bad = ActionInput {
            title: "".into(),
            due_date: "soon".into(),
            priority: "urgent".into(),
            ..Default::default()
        };
        let Err(AppError::Invalid(e)) = w.app.create_action(&w.officer, pid, &bad).await else {
            panic!("{name}")
        };
        assert!(
            e.get("title").is_some() && e.get("due_date").is_some() && e.get("priority").is_some(),
            "{name}"
        );

        assert_eq!(
            w.app
                .list_actions(&w.provider, false, None)
                .await
                .unwrap()
                .len(),
            2,
            "{name}: all"
        );
        assert_eq!(
            w.app
                .list_actions(&w.provider, true, None)
                .await
                .unwrap()
                .len(),
            1,
            "{name}: mine"
        );
        assert_eq!(
            w.app.count_actions_due(&w.provider).await.unwrap(),
            1,
            "{name}: the overdue one is due"
        );
        assert!(
            w.app
                .list_actions(&w.limited, false, None)
                .await
                .unwrap()
                .is_empty(),
            "{name}: another organisation sees none"
        );
        assert!(
            matches!(
                w.app.complete_action(&w.limited, a1.id, "done").await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );
        assert!(
            matches!(
                w.app.complete_action(&w.provider, a1.id, " ").await,
                Err(AppError::Invalid(_))
            ),
            "{name}: a note is needed"
        );
        let done = w
            .app
            .complete_action(&w.provider, a1.id, "Sent on 3 November")
            .await
            .unwrap();
        assert_eq!(done.status, "done", "{name}");
        let seen = w
            .app
            .list_actions(&w.officer, false, Some(pid))
            .await
            .unwrap();
        assert!(
            seen.iter().any(|a| a.id == a1.id
                && a.done_note == "Sent on 3 November"
                && a.done_by_name.as_deref() == Some("provider")),
            "{name}: the team sees completion"
        );
    }
}

#[tokio::test]
async fn documents_are_added_by_the_team_and_signed_by_the_provider_without_changing_progress() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let mut f = w.provider.contract_filter();
        f.per_page = 100;
        let contract = w.app.db_for_tests().list_contracts(&f).await.unwrap().items[0].clone();
        // An uploaded file must be a PDF.
        let err = w
            .app
            .add_document(
                &w.officer,
                contract.id,
                "Lease",
                Some(("lease.docx".into(), b"PK\x03\x04 not a pdf".to_vec())),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(_)), "{name}");
        let up = w
            .app
            .add_document(
                &w.officer,
                contract.id,
                "Lease",
                Some(("lease.pdf".into(), b"%PDF-1.4 tiny".to_vec())),
            )
            .await
            .unwrap();
        assert_eq!(up.source, "uploaded", "{name}");
        let gen = w
            .app
            .add_document(&w.officer, contract.id, "Service specification", None)
            .await
            .unwrap();
        let (_, bytes) = w.app.document_file(&w.provider, gen.id).await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{name}: generated as a PDF");
        assert!(
            matches!(
                w.app
                    .add_document(&w.provider, contract.id, "X", None)
                    .await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );
        assert_eq!(
            w.app.count_unsigned_documents(&w.provider).await.unwrap(),
            2,
            "{name}"
        );

        w.app
            .set_document_progress(&w.officer, gen.id, DocumentProgress::Agreed)
            .await
            .unwrap();
        assert!(
            matches!(
                w.app
                    .set_document_progress(&w.provider, gen.id, DocumentProgress::Signed)
                    .await,
                Err(AppError::NotFound)
            ),
            "{name}: only the team moves progress"
        );
        w.app
            .set_document_comments(&w.provider, gen.id, "Clause 4 agreed by our board")
            .await
            .unwrap();
        assert!(
            matches!(
                w.app
                    .sign_document(&w.provider, gen.id, "wrong password")
                    .await,
                Err(AppError::Invalid(_))
            ),
            "{name}"
        );
        let s = w
            .app
            .sign_document(&w.provider, gen.id, "fable-willow-yarrow")
            .await
            .unwrap();
        assert_eq!(
            s.signed_by_name,
            w.provider.user().unwrap().display_name,
            "{name}"
        );
        let after = w.app.document(&w.provider, gen.id).await.unwrap();
        assert_eq!(
            after.progress, "agreed",
            "{name}: signing never changes the progress"
        );
        assert_eq!(
            after.provider_comments, "Clause 4 agreed by our board",
            "{name}"
        );
        assert_eq!(
            w.app.count_unsigned_documents(&w.provider).await.unwrap(),
            1,
            "{name}"
        );
        let (sigs, history) = w.app.document_history(&w.provider, gen.id).await.unwrap();
        assert_eq!(sigs.len(), 1, "{name}");
        assert!(
            history.iter().any(|e| e.action == "sign")
                && history.iter().any(|e| e.action == "update"),
            "{name}"
        );
        // Another organisation's user cannot see it.
        assert!(
            matches!(
                w.app.document(&w.limited, gen.id).await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn contacts_change_by_request_and_assignments_are_one_per_service() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let pid = provider_id(&w.provider);
        let input = ContactInput {
            first_name: "Imogen".into(),
            last_name: "Tarrant".into(),
            position_type: "support_worker".into(),
            email: "imogen@example.org".into(),
            ..Default::default()
        };
        let before = w
            .app
            .db_for_tests()
            .provider_contacts(pid)
            .await
            .unwrap()
            .len();
        let r = w
            .app
            .request_contact_add(&w.provider, &input)
            .await
            .unwrap();
        assert_eq!(
            w.app
                .db_for_tests()
                .provider_contacts(pid)
                .await
                .unwrap()
                .len(),
            before,
            "{name}: not until approved"
        );
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let contacts = w.app.db_for_tests().provider_contacts(pid).await.unwrap();
        let imogen = contacts
            .iter()
            .find(|c| c.last_name == "Tarrant")
            .unwrap()
            .clone();

        // Bad input is refused beside the field.
        let bad = ContactInput {
            first_name: "".into(),
            last_name: "X".into(),
            position_type: "wizard".into(),
            email: "nope".into(),
            ..Default::default()
        };
        let Err(AppError::Invalid(e)) = w.app.request_contact_add(&w.provider, &bad).await else {
            panic!("{name}")
        };
        assert!(
            e.get("first_name").is_some()
                && e.get("position_type").is_some()
                && e.get("email").is_some(),
            "{name}"
        );

        // Service manager of a service: one contact only.
        let mut sf = w.provider.service_filter();
        sf.per_page = 100;
        let service = w.app.db_for_tests().list_services(&sf).await.unwrap().items[0].clone();
        let assign = AssignmentInput {
            assignment: "service_manager".into(),
            scope: format!("service:{}", service.id),
        };
        let r = w
            .app
            .request_assignment_add(&w.provider, imogen.id, &assign)
            .await
            .unwrap();
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let with_login: Vec<i64> = w
            .app
            .db_for_tests()
            .list_users(None)
            .await
            .unwrap()
            .iter()
            .filter_map(|u| u.contact_id)
            .collect();
        let other = contacts
            .iter()
            .find(|c| c.id != imogen.id && c.active != 0 && !with_login.contains(&c.id))
            .unwrap();
        let Err(AppError::Invalid(e)) = w
            .app
            .request_assignment_add(&w.provider, other.id, &assign)
            .await
        else {
            panic!("{name}: second holder refused")
        };
        assert!(
            e.get("assignment").unwrap().contains("Imogen Tarrant"),
            "{name}"
        );
        // Portal manager may be held by several.
        let pm = AssignmentInput {
            assignment: "portal_manager".into(),
            scope: "org".into(),
        };
        assert!(
            w.app
                .request_assignment_add(&w.provider, other.id, &pm)
                .await
                .is_ok(),
            "{name}"
        );

        // Deactivation is refused while the contact holds an assignment, saying which.
        let Err(AppError::Conflict(_, msg)) = w
            .app
            .request_contact_deactivate(&w.provider, imogen.id, "")
            .await
        else {
            panic!("{name}")
        };
        assert!(
            msg.contains("Service manager") && msg.contains(&service.name),
            "{name}: {msg}"
        );
        let held = w
            .app
            .db_for_tests()
            .contact_assignments(imogen.id)
            .await
            .unwrap();
        let r = w
            .app
            .request_assignment_remove(&w.provider, imogen.id, held[0].id)
            .await
            .unwrap();
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let r = w
            .app
            .request_contact_deactivate(&w.provider, imogen.id, "Left in October")
            .await
            .unwrap();
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        assert_eq!(
            w.app
                .db_for_tests()
                .contact(imogen.id)
                .await
                .unwrap()
                .unwrap()
                .active,
            0,
            "{name}"
        );

        // A login request, approved, creates a user that must change a temporary password.
        let r = w
            .app
            .request_login(&w.provider, other.id, "New manager")
            .await
            .unwrap();
        let (_, handover) = w
            .app
            .approve_request_with_handover(&w.officer, r.id, "")
            .await
            .unwrap();
        let handover = handover.expect("a temporary password to pass on");
        assert!(handover.contains("temporary password"), "{name}");
        let users = w.app.db_for_tests().list_users(None).await.unwrap();
        let u = users
            .iter()
            .find(|u| u.contact_id == Some(other.id))
            .unwrap();
        assert_eq!(u.must_change_password, 1, "{name}");
        assert_eq!(u.role, "provider_user", "{name}");
        // Contacts of another organisation are not found.
        assert!(
            matches!(
                w.app.contact_of(&w.limited, imogen.id).await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_contact_edit_shows_its_changes_and_conflicts_with_a_later_change() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let pid = provider_id(&w.provider);
    let c = w.app.db_for_tests().provider_contacts(pid).await.unwrap()[0].clone();
    let mut a = ContactInput::of(&c);
    a.phone = "01632 960111".into();
    let mut b = ContactInput::of(&c);
    b.email = "new@example.org".into();
    let ra = w
        .app
        .request_contact_edit(&w.provider, c.id, &a)
        .await
        .unwrap();
    let rb = w
        .app
        .request_contact_edit(&w.provider, c.id, &b)
        .await
        .unwrap();
    let changes = w.app.request_changes(&ra).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].label, "Telephone");
    assert_eq!(changes[0].new.as_deref(), Some("01632 960111"));
    w.app.approve_request(&w.officer, ra.id, "").await.unwrap();
    assert!(matches!(
        w.app.approve_request(&w.officer, rb.id, "").await,
        Err(AppError::Conflict(..))
    ));
}

// Security review finding 13: approving the deactivation of a contact with a login ended the
// login's sessions on a second connection while the approval held SQLite's write lock, so it
// waited out the busy timeout and failed. The sessions now end, and API tokens are revoked,
// inside the approval's own transaction, on both databases.
#[tokio::test]
async fn deactivating_a_contact_with_a_login_ends_its_sessions_in_the_approval() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let pid = provider_id(&w.provider);
        let input = ContactInput {
            first_name: "Rhys".into(),
            last_name: "Pennant".into(),
            position_type: "support_worker".into(),
            email: "rhys@example.org".into(),
            ..Default::default()
        };
        let r = w
            .app
            .request_contact_add(&w.provider, &input)
            .await
            .unwrap();
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let rhys = w
            .app
            .db_for_tests()
            .provider_contacts(pid)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.last_name == "Pennant")
            .unwrap();
        let r = w
            .app
            .request_login(&w.provider, rhys.id, "Needs the portal")
            .await
            .unwrap();
        w.app
            .approve_request_with_handover(&w.officer, r.id, "")
            .await
            .unwrap();
        let user = w
            .app
            .db_for_tests()
            .list_users(None)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.contact_id == Some(rhys.id))
            .unwrap();
        // The login is in use: a session and an API token.
        let at = hearth_store::now();
        w.app
            .db_for_tests()
            .create_session(&hearth_store::Session {
                id_hash: format!("rhys-session-{name}"),
                user_id: user.id,
                stage: "full".into(),
                csrf_token: "x".into(),
                authority_id: None,
                pending_totp_secret: None,
                return_to: None,
                created_at: at,
                last_seen_at: at,
                expires_at: at + 3600,
            })
            .await
            .unwrap();
        let r = w
            .app
            .request_contact_deactivate(&w.provider, rhys.id, "Left the trust")
            .await
            .unwrap();
        let started = std::time::Instant::now();
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{name}: no wait on a lock"
        );
        assert_eq!(
            w.app
                .db_for_tests()
                .contact(rhys.id)
                .await
                .unwrap()
                .unwrap()
                .active,
            0,
            "{name}"
        );
        let after = w
            .app
            .db_for_tests()
            .user_by_id(user.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.disabled, 1, "{name}: the login is disabled");
        assert!(
            w.app
                .db_for_tests()
                .session(&format!("rhys-session-{name}"))
                .await
                .unwrap()
                .is_none(),
            "{name}: its session ended with the approval"
        );
    }
}

// Security review finding 14: `User` derived Debug and Serialize with its password hash and
// TOTP secret, and travelled inside `Principal` into logs. Neither shows in a `{:?}` or JSON.
#[tokio::test]
async fn a_principal_printed_or_serialised_holds_no_secret() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let user = w
        .app
        .db_for_tests()
        .user_by_username("officer")
        .await
        .unwrap()
        .unwrap();
    let hash = user.password_hash.expose().to_string();
    let totp = user.totp_secret.as_ref().unwrap().expose().to_string();
    assert!(hash.starts_with("$argon2") && totp.len() >= 16);
    let printed = format!("{:?} {:#?} {:?}", w.officer, w.officer, user);
    assert!(
        !printed.contains(&hash) && !printed.contains(&totp),
        "{printed}"
    );
    assert!(!printed.contains("$argon2"));
    let json = serde_json::to_string(&user).unwrap();
    assert!(!json.contains(&hash) && !json.contains(&totp), "{json}");
}

// Security review finding 9: a 5 MiB contact comment, a 100,000-character first name and a
// 2 MB action note were stored. Each is refused beside its field and nothing is written.
#[tokio::test]
async fn overlong_text_is_refused_beside_its_field_and_nothing_is_written() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let pid = provider_id(&w.provider);
    let all_requests = || hearth_store::RequestFilter {
        limit: 100_000,
        ..Default::default()
    };
    let requests_before = w
        .app
        .db_for_tests()
        .list_requests(&all_requests())
        .await
        .unwrap()
        .len();
    let huge_name = ContactInput {
        first_name: "a".repeat(100_000),
        last_name: "Pennant".into(),
        position_type: "support_worker".into(),
        email: "r@example.org".into(),
        ..Default::default()
    };
    let Err(AppError::Invalid(e)) = w.app.request_contact_add(&w.provider, &huge_name).await else {
        panic!("a 100,000-character first name was accepted")
    };
    assert!(e.get("first_name").unwrap().contains("characters or fewer"));
    let contacts = w.app.db_for_tests().provider_contacts(pid).await.unwrap();
    let someone = contacts.iter().find(|c| c.active != 0).unwrap();
    let Err(AppError::Invalid(e)) = w
        .app
        .request_contact_deactivate(&w.provider, someone.id, &"c".repeat(5 * 1024 * 1024))
        .await
    else {
        panic!("a 5 MiB comment was accepted")
    };
    assert!(e
        .get("comment")
        .unwrap()
        .contains("5000 characters or fewer"));
    let action = w
        .app
        .create_action(
            &w.officer,
            pid,
            &ActionInput {
                title: "Send the fire risk assessment".into(),
                due_date: "2030-01-01".into(),
                priority: "high".into(),
                ..Default::default()
            },
        )
        .await;
    {
        let a = action.unwrap();
        let Err(AppError::Invalid(e)) = w
            .app
            .complete_action(&w.provider, a.id, &"n".repeat(2 * 1024 * 1024))
            .await
        else {
            panic!("a 2 MB note was accepted")
        };
        assert!(e.get("note").is_some());
        assert!(
            w.app
                .db_for_tests()
                .action(a.id)
                .await
                .unwrap()
                .unwrap()
                .done_at
                .is_none(),
            "nothing written"
        );
    }
    assert_eq!(
        w.app
            .db_for_tests()
            .list_requests(&all_requests())
            .await
            .unwrap()
            .len(),
        requests_before,
        "no request was made"
    );
}
