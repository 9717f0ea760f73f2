//! Loading an authority's existing records (issue 11): the templates, a dry run that names
//! every problem by file, line, column and reason and writes nothing, references between
//! files, an import that a second run of the same files leaves alone, the audit entry with
//! the files' digests, and a round trip (export an authority, import it into an empty one,
//! export again: the same files), on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hearth_app::authorities::NewAuthority;
use hearth_app::import::{InFile, Kind, Problem, TEMPLATES};
use hearth_app::{App, AppError, Principal};
use hearth_store::testing;

fn csv(name: &str, text: &str) -> InFile {
    InFile {
        name: name.into(),
        bytes: text.replace('\n', "\r\n").into_bytes(),
    }
}

fn system() -> Principal {
    Principal::system("cli:test")
}

async fn new_authority(app: &App, code: &str) -> i64 {
    app.add_authority(
        &system(),
        &NewAuthority {
            code: code.into(),
            name: format!("{code} Council"),
            region: String::new(),
        },
    )
    .await
    .unwrap()
    .id
}

const PROVIDERS: &str = "reference,name,address,postcode,phone,email,limited_access
IMP001,Heron Housing,1 Quay Street,bs1 4dj,0117 496 0001,info@heron.example,no
IMP002,Kestrel Care,,,,,yes
";
const CONTACTS: &str = "reference,provider_reference,first_name,last_name,position_type,other_positions,email,confidential
K-1,IMP001,Hilary,Heron,chief_executive,director,hilary@heron.example,
K-2,IMP002,Kit,Kestrel,service_manager,,,yes
";
const SERVICES: &str = "reference,provider_reference,name,service_type,term,client_group,contracted_units,postcode,support_tasks,waiting_list,website
IMP/SH/1,IMP001,Heron Court,sheltered,long,older_people,20,BS1 4DJ,alarm;health,yes,https://heron.example
IMP/FS/2,IMP002,Kestrel Floating Support,floating_support,short,mental_health,35,,,,
";
const PROPERTIES: &str =
    "reference,provider_reference,service_reference,address_line1,town,postcode,uprn
P-1,IMP001,IMP/SH/1,Heron Court,Bristol,BS1 4DJ,100023336956
";
const CONTRACTS: &str =
    "reference,provider_reference,title,units,unit_rate,start_date,end_date,status,services
C-1,IMP001,Sheltered housing support,20,18.50,2025-04-01,2028-03-31,steady_state,IMP/SH/1
C-2,IMP002,Floating support,35,12.00,1/4/2025,31/3/2027,interim,IMP/FS/2
";
const CLIENTS: &str = "reference,title,first_name,last_name,date_of_birth,postcode,ni_number
CL-1,Mrs,Edna,Quill,1940-02-03,BS1 4DJ,AB123456C
CL-2,Mr,Arthur,Penn,1952-11-30,,
";
const SCHEDULES: &str = "reference,client_reference,service_reference,level,units_per_week,start_date,end_date,end_reason
S-1,CL-1,IMP/SH/1,Service Level 2,1,2024-05-01,,
S-2,CL-2,IMP/FS/2,Service Level 1,3,2023-01-09,2024-06-30,support_no_longer_required
S-3,CL-2,IMP/SH/1,Service Level 2,1,2024-07-01,,
";

fn good_files() -> Vec<InFile> {
    vec![
        // Any order: the header row says which template a file is.
        csv("schedules.csv", SCHEDULES),
        csv("providers.csv", PROVIDERS),
        csv("services.csv", SERVICES),
        csv("properties.csv", PROPERTIES),
        csv("contracts.csv", CONTRACTS),
        csv("clients.csv", CLIENTS),
        csv("contacts.csv", CONTACTS),
    ]
}

fn count(r: &hearth_app::import::ImportReport, k: Kind) -> (usize, usize) {
    let c = r.counts.iter().find(|c| c.kind == k).unwrap();
    (c.new, c.already)
}

#[tokio::test]
async fn an_import_checks_first_writes_once_and_the_same_files_again_add_nothing() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let app = App::new(t.db.clone(), Default::default());
        let a = new_authority(&app, "IMP").await;

        let dry = app
            .import_dry_run(&system(), a, &good_files())
            .await
            .unwrap();
        assert!(dry.problems.is_empty(), "{name}: {:?}", dry.problems);
        assert!(!dry.written);
        assert_eq!(count(&dry, Kind::Schedules), (3, 0), "{name}");
        assert_eq!(dry.files.len(), 7);
        assert_eq!(count(&dry, Kind::Contacts), (2, 0), "{name}");
        assert!(dry.files.iter().all(|f| f.sha256.len() == 64));
        // Nothing written by the dry run.
        let keys = app.db_for_tests().import_keys(a).await.unwrap();
        assert!(
            keys.services.is_empty() && keys.clients.is_empty(),
            "{name}"
        );

        let done = app
            .import_records(&system(), a, &good_files(), &|_, _, _| {})
            .await
            .unwrap();
        assert!(done.written, "{name}: {:?}", done.problems);
        let keys = app.db_for_tests().import_keys(a).await.unwrap();
        assert_eq!(keys.services.len(), 2, "{name}");
        assert_eq!(keys.contracts.len(), 2);
        assert_eq!(keys.properties.len(), 1);
        assert_eq!(keys.clients.len(), 2);
        assert_eq!(keys.schedules.len(), 3);
        // Parsed as the forms parse: the postcode in capitals, dates in ISO, pounds in pence.
        let db = app.db_for_tests();
        let p = db
            .provider(keys.providers["IMP001"].0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.postcode, "BS1 4DJ");
        let c2 = db.contract(keys.contracts["C-2"]).await.unwrap().unwrap();
        assert_eq!(c2.start_date, "2025-04-01");
        assert_eq!(c2.unit_rate_pence, 1_200);
        assert_eq!(
            db.contract_service_ids(c2.id).await.unwrap(),
            vec![keys.services["IMP/FS/2"]]
        );

        // One entry says what came from where: the files and their digests.
        let entries = db
            .audit_search(&hearth_store::AuditQuery {
                action: Some("import".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let summary = entries
            .iter()
            .find(|e| e.record_type == "authority")
            .expect("the import's entry");
        let after: serde_json::Value =
            serde_json::from_str(summary.after_json.as_deref().unwrap()).unwrap();
        assert_eq!(after["files"].as_array().unwrap().len(), 7, "{name}");
        // The contacts with their provider, the directory details with the service.
        let heron = db
            .provider_contacts(keys.providers["IMP001"].0)
            .await
            .unwrap();
        assert_eq!(heron.len(), 1, "{name}");
        assert_eq!(heron[0].other_positions, "director");
        let kestrel = db
            .provider_contacts(keys.providers["IMP002"].0)
            .await
            .unwrap();
        assert_eq!(kestrel[0].confidential, 1, "{name}");
        let court = db
            .service(keys.services["IMP/SH/1"])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(court.support_tasks, "alarm,health", "{name}");
        assert_eq!(court.waiting_list, 1);
        assert_eq!(court.website, "https://heron.example");
        assert_eq!(
            after["files"][0]["sha256"].as_str().unwrap().len(),
            64,
            "{after}"
        );
        assert!(entries.iter().any(|e| e.record_type == "client_schedule"));
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            hearth_store::ChainReport::Intact { .. }
        ));

        // The same files again: every row is already there, and nothing is written.
        let before = db.audit_search(&Default::default()).await.unwrap().len();
        let again = app
            .import_records(&system(), a, &good_files(), &|_, _, _| {})
            .await
            .unwrap();
        assert!(!again.written, "{name}");
        assert!(again.problems.is_empty());
        assert_eq!(count(&again, Kind::Schedules), (0, 3));
        assert_eq!(count(&again, Kind::Providers), (0, 2));
        assert_eq!(count(&again, Kind::Contacts), (0, 2));
        assert_eq!(
            db.audit_search(&Default::default()).await.unwrap().len(),
            before
        );

        // A later file adds a schedule to a client loaded before.
        let later = csv(
            "more.csv",
            "reference,client_reference,service_reference,units_per_week,start_date\nS-4,CL-1,IMP/FS/2,2,2025-01-06\n",
        );
        let r = app
            .import_records(&system(), a, &[later], &|_, _, _| {})
            .await
            .unwrap();
        assert!(
            r.written && r.problems.is_empty(),
            "{name}: {:?}",
            r.problems
        );
        assert_eq!(db.import_keys(a).await.unwrap().schedules.len(), 4);
    }
}

fn has(problems: &[Problem], file: &str, line: usize, column: &str) -> bool {
    problems
        .iter()
        .any(|p| p.file == file && p.line == line && p.column == column)
}

#[tokio::test]
async fn every_problem_is_named_by_file_line_and_column_and_nothing_is_written() {
    let t = testing::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), Default::default());
    let a = new_authority(&app, "BAD").await;
    let files = vec![
        csv(
            "providers.csv",
            "reference,name,postcode,email\nB1,Bad Postcode Ltd,NOT A POSTCODE,\nB2,,,\nB1,Twice,,\nB3,Mail Ltd,,not-an-email\n",
        ),
        csv(
            "services.csv",
            "reference,provider_reference,name,service_type,term,client_group,contracted_units,support_tasks,interpreter\nS1,NOPE,Orphan,sheltered,long,older_people,10,,\nS2,B3,Odd,castle,forever,older_people,-4,juggling,perhaps\n",
        ),
        csv(
            "schedules.csv",
            "reference,client_reference,service_reference,units_per_week,start_date,end_date,end_reason\nX1,GHOST,S2,1,2025-02-30,,\nX2,GHOST,S2,1,2025-02-01,2025-01-01,\n",
        ),
        csv("notes.csv", "colour,size\nred,big\n"),
        InFile {
            name: "latin1.csv".into(),
            bytes: vec![b'r', b'e', b'f', 0xE9, b'\n'],
        },
    ];
    let r = app.import_dry_run(&system(), a, &files).await.unwrap();
    let p = &r.problems;
    for (file, line, column) in [
        ("providers.csv", 2, "postcode"),
        ("providers.csv", 3, "name"),
        ("providers.csv", 4, "reference"),
        ("providers.csv", 5, "email"),
        ("services.csv", 2, "provider_reference"),
        ("services.csv", 3, "service_type"),
        ("services.csv", 3, "term"),
        ("services.csv", 3, "contracted_units"),
        ("services.csv", 3, "support_tasks"),
        ("services.csv", 3, "interpreter"),
        ("schedules.csv", 2, "client_reference"),
        ("schedules.csv", 2, "start_date"),
        ("schedules.csv", 3, "end_date"),
        ("schedules.csv", 3, "end_reason"),
        ("notes.csv", 1, ""),
        ("latin1.csv", 0, ""),
    ] {
        assert!(has(p, file, line, column), "{file}:{line} {column}: {p:#?}");
    }
    assert!(p.iter().all(|x| !x.reason.is_empty()));
    // The report downloads as CSV.
    let csv_report = String::from_utf8(r.problems_csv().unwrap()).unwrap();
    assert!(csv_report.contains("services.csv,2,provider_reference,There is no provider NOPE"));
    // Run for real, it still writes nothing.
    let r = app
        .import_records(&system(), a, &files, &|_, _, _| {})
        .await
        .unwrap();
    assert!(!r.written);
    let keys = app.db_for_tests().import_keys(a).await.unwrap();
    assert!(keys.services.is_empty());
    assert!(!keys.providers.contains_key("B3"));
}

#[tokio::test]
async fn only_the_command_line_or_the_authoritys_administrator_imports() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let other = new_authority(&w.app, "OTH").await;
    let admin = {
        let u = w
            .app
            .db_for_tests()
            .user_by_username("admin")
            .await
            .unwrap()
            .unwrap();
        w.app.principal_for(u, None).await.unwrap().unwrap()
    };
    // Another authority's administrator is told it does not exist; other roles are refused.
    assert!(matches!(
        w.app.import_dry_run(&admin, other, &good_files()).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app.export_records(&admin, other).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app
            .import_dry_run(&w.officer, admin.authority_id(), &good_files())
            .await,
        Err(AppError::Forbidden)
    ));
    assert!(w
        .app
        .import_dry_run(&w.provider, admin.authority_id(), &good_files())
        .await
        .is_err());
    // Their own: yes.
    assert!(w
        .app
        .import_dry_run(&admin, admin.authority_id(), &good_files())
        .await
        .is_ok());
}

/// Export the demo authority, import it into an empty authority, export that: the same files.
#[tokio::test]
async fn an_export_imported_into_an_empty_authority_exports_the_same_files() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = common::world(t).await;
        let app = &w.app;
        let brk = w.officer.authority_id();
        let first = app.export_records_csv(&system(), brk).await.unwrap();
        assert_eq!(first.len(), TEMPLATES.len());
        let schedules = &first.iter().find(|(n, _)| n == "schedules.csv").unwrap().1;
        assert!(
            String::from_utf8_lossy(schedules).lines().count() > 300,
            "{name}: the demo's schedules with their history"
        );

        let copy = new_authority(app, "RTA").await;
        let files: Vec<InFile> = first
            .iter()
            .map(|(n, b)| InFile {
                name: n.clone(),
                bytes: b.clone(),
            })
            .collect();
        let r = app
            .import_records(&system(), copy, &files, &|_, _, _| {})
            .await
            .unwrap();
        assert!(
            r.problems.is_empty(),
            "{name}: {:#?}",
            &r.problems[..r.problems.len().min(10)]
        );
        assert!(r.written);
        // The providers already in Hearth are registered with the new authority, not copied.
        assert_eq!(count(&r, Kind::Providers).1, 0);
        // Their contacts too: found again by the reference the export gave them.
        let contacts = count(&r, Kind::Contacts);
        assert!(contacts.0 == 0 && contacts.1 > 5, "{name}: {contacts:?}");

        let second = app.export_records_csv(&system(), copy).await.unwrap();
        for ((n1, b1), (n2, b2)) in first.iter().zip(&second) {
            assert_eq!(n1, n2);
            assert!(
                b1 == b2,
                "{name}: {n1} differs after the round trip:\n{}\n---\n{}",
                String::from_utf8_lossy(&b1[..b1.len().min(600)]),
                String::from_utf8_lossy(&b2[..b2.len().min(600)])
            );
        }
    }
}

/// The same round trip through workbooks: an export as XLSX imports as the CSV files do.
#[tokio::test]
async fn an_export_in_workbooks_imports_like_the_csv_files() {
    let t = testing::sqlite().await.unwrap();
    let w = common::world(t).await;
    let app = &w.app;
    let brk = w.officer.authority_id();
    let xlsx = app.export_records_xlsx(&system(), brk).await.unwrap();
    assert!(xlsx.iter().all(|(n, _)| n.ends_with(".xlsx")));
    let copy = new_authority(app, "XLS").await;
    let files: Vec<InFile> = xlsx
        .into_iter()
        .map(|(name, bytes)| InFile { name, bytes })
        .collect();
    let r = app
        .import_records(&system(), copy, &files, &|_, _, _| {})
        .await
        .unwrap();
    assert!(
        r.problems.is_empty(),
        "{:#?}",
        &r.problems[..r.problems.len().min(10)]
    );
    assert_eq!(
        app.export_records_csv(&system(), brk).await.unwrap(),
        app.export_records_csv(&system(), copy).await.unwrap()
    );
    // The empty templates are a header row each, and read as their templates.
    for (name, bytes) in hearth_app::import::template_files_xlsx().unwrap() {
        let r = app
            .import_dry_run(
                &system(),
                copy,
                &[InFile {
                    name: name.clone(),
                    bytes,
                }],
            )
            .await
            .unwrap();
        assert!(r.problems.is_empty(), "{name}: {:?}", r.problems);
        assert!(r.files[0].template.is_some(), "{name}");
    }
}

/// Issue 11: two authorities in one database, each record type. The demo authority's staff
/// (and its providers' users) see none of what was imported into another authority, by list
/// or by id, and the other authority's administrator sees none of the demo's.
#[tokio::test]
async fn two_authorities_see_only_their_own_records_of_every_kind() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = common::world(t).await;
        let app = &w.app;
        let other = new_authority(app, "IMP").await;
        let r = app
            .import_records(&system(), other, &good_files(), &|_, _, _| {})
            .await
            .unwrap();
        assert!(r.written, "{name}: {:?}", r.problems);
        let keys = app.db_for_tests().import_keys(other).await.unwrap();
        // Its first administrator.
        let (_, _) = app
            .add_authority_administrator(
                &system(),
                other,
                &hearth_app::authorities::NewAdministrator {
                    username: "imp.admin".into(),
                    display_name: "Imp Admin".into(),
                    email: String::new(),
                },
            )
            .await
            .unwrap();
        let imp_admin = {
            let u = app
                .db_for_tests()
                .user_by_username("imp.admin")
                .await
                .unwrap()
                .unwrap();
            app.principal_for(u, None).await.unwrap().unwrap()
        };
        let q = hearth_app::records::ListQuery::default();
        for who in [&w.officer, &w.board, &w.provider, &w.limited] {
            let role = format!("{name} {:?}", who.role());
            for id in keys.services.values() {
                assert!(app.service(who, *id).await.is_err(), "{role}: a service");
            }
            for id in keys.properties.values() {
                assert!(app.property(who, *id).await.is_err(), "{role}: a property");
            }
            for id in keys.contracts.values() {
                assert!(app.contract(who, *id).await.is_err(), "{role}: a contract");
            }
            for id in keys.schedules.values() {
                assert!(app.schedule(who, *id).await.is_err(), "{role}: a schedule");
            }
            let services = app.list_services(who, &q).await.unwrap().items;
            assert!(services.iter().all(|s| s.authority_id != other), "{role}");
            let contracts = app.list_contracts(who, &q).await.unwrap().items;
            assert!(contracts.iter().all(|c| c.authority_id != other), "{role}");
            let properties = app.list_properties(who, &q).await.unwrap().items;
            assert!(properties.iter().all(|p| p.authority_id != other), "{role}");
        }
        // The demo's providers' list of the officer does not hold the imported ones.
        let providers = app.list_providers(&w.officer, &q).await.unwrap().items;
        assert!(
            providers.iter().all(|p| !p.reference.starts_with("IMP")),
            "{name}"
        );
        // The other way round: the other administrator sees their own and none of the demo's.
        assert_eq!(
            app.list_services(&imp_admin, &q).await.unwrap().total,
            2,
            "{name}"
        );
        let demo_service = app.list_services(&w.officer, &q).await.unwrap().items[0].id;
        assert!(
            app.service(&imp_admin, demo_service).await.is_err(),
            "{name}"
        );
        assert!(app
            .list_users(&imp_admin)
            .await
            .unwrap()
            .iter()
            .all(|u| u.username == "imp.admin"));
        assert!(app
            .audit_search(&imp_admin, Default::default())
            .await
            .unwrap()
            .iter()
            .all(|e| e.authority_id == Some(other)));
        assert!(matches!(
            app.export_records(&imp_admin, w.officer.authority_id())
                .await,
            Err(AppError::NotFound)
        ));
    }
}
