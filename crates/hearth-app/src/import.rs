//! Loading an authority's existing records (issue 11, "Loading existing records"), and
//! exporting them in the same templates.
//!
//! An authority moving to Hearth brings its providers and their contacts, services with
//! their directory details, properties, contracts,
//! clients and client schedules (with their history) from its old system, one file per
//! template (CSV or XLSX; the header row says which template a file is). Every row is
//! parsed with the rules of the forms that make the same records, and every reference
//! between files resolved (a schedule names its client and service by their references).
//! **A dry run** reports every problem with its file, line, column and reason, and writes
//! nothing; the import itself refuses to start while there is any. Each row's reference in the
//! old system is kept (providers, services and contracts have references of their own;
//! properties, clients and schedules keep theirs in `external_ref`), so importing the same
//! files again adds nothing. The audit trail records each import with the files' SHA-256
//! digests: the organisations, services, properties and contracts each with their own entry,
//! the clients and schedules as one batch entry per chunk.

use std::collections::{HashMap, HashSet};

use hearth_domain::{parse_date, EndReason, HousingBenefitNumber, NiNumber, Pence, Postcode, Uprn};
use hearth_store::{
    ClientFields, ContractFields, ImportKeys, ImportedClient, PropertyFields, ProviderFields,
    ScheduleFields, ServiceFields,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::records::{ContractInput, ProviderInput, ServiceInput};
use crate::{App, AppError, FieldErrors, Permission, Principal};

/// The kinds of record an import loads, in the order they are written (each may name the
/// ones before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Providers,
    Contacts,
    Services,
    Properties,
    Contracts,
    Clients,
    Schedules,
}

/// One column of a template.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    /// What goes in it, for the documentation and the templates' notes.
    pub help: &'static str,
}

/// One import template: a file of one kind of record.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub kind: Kind,
    /// The file's name without its extension (`providers.csv`, `providers.xlsx`).
    pub name: &'static str,
    pub title: &'static str,
    pub columns: &'static [Column],
}

const fn col(name: &'static str, required: bool, help: &'static str) -> Column {
    Column {
        name,
        required,
        help,
    }
}

/// Every template, in the order an import writes them.
pub const TEMPLATES: [Template; 7] = [
    Template {
        kind: Kind::Providers,
        name: "providers",
        title: "Providers",
        columns: &[
            col("reference", true, "The provider's reference, e.g. PRV00123: letters, digits, - and /. One reference across every authority of the deployment: a provider already registered with another authority is registered with this one too"),
            col("name", true, "The organisation's name"),
            col("address", false, "Its postal address"),
            col("postcode", false, "Its postcode, e.g. RG1 2AB"),
            col("phone", false, "Its main telephone number"),
            col("email", false, "Its main e-mail address"),
            col("limited_access", false, "yes if its portal users see only the services they are assigned to; no or empty otherwise"),
        ],
    },
    Template {
        kind: Kind::Contacts,
        name: "contacts",
        title: "Contacts",
        columns: &[
            col("reference", true, "The contact's reference in the old system, once for the provider"),
            col("provider_reference", true, "The reference of the provider they work for"),
            col("title", false, "Mr, Mrs, Ms, Dr, ..."),
            col("first_name", true, "Forename"),
            col("last_name", true, "Surname"),
            col("job_title", false, "Their job title"),
            col("position_type", true, "Their main position's code: chief_executive, manager, service_manager, support_worker, administrator, finance_officer, director, chair, treasurer, bursar, finance_manager or other"),
            col("other_positions", false, "Other positions' codes, separated by commas"),
            col("email", false, "E-mail address"),
            col("phone", false, "Telephone"),
            col("mobile", false, "Mobile"),
            col("fax", false, "Fax"),
            col("pager", false, "Pager"),
            col("web_address", false, "Web address"),
            col("address_line1", false, "The first line of their address"),
            col("address_line2", false, "The second line"),
            col("address_line3", false, "The third line"),
            col("address_line4", false, "The fourth line"),
            col("town", false, "Town"),
            col("postcode", false, "Postcode"),
            col("uprn", false, "The address's UPRN"),
            col("usrn", false, "The street's USRN"),
            col("directions", false, "How to find them"),
            col("confidential", false, "yes if their details must not be published"),
            col("disabled_access", false, "yes or no: whether their address has disabled access (empty: not known)"),
        ],
    },
    Template {
        kind: Kind::Services,
        name: "services",
        title: "Services",
        columns: &[
            col("reference", true, "The service's reference, e.g. BRK/SH/0012, once in the authority"),
            col("provider_reference", true, "The reference of the provider running it (in providers, or already in Hearth)"),
            col("name", true, "The service's name"),
            col("public_name", false, "The name the public directory shows, if not the same"),
            col("service_type", true, "One of: accommodation_based, floating_support, sheltered, community_alarm, day_activities"),
            col("term", true, "long or short"),
            col("client_group", true, "The primary client group's code: older_people, mental_health, learning_disabilities, physical_disability, homeless_families, single_homeless, young_people_at_risk, domestic_abuse, offenders, substance_misuse, teenage_parents, refugee_status or generic_floating"),
            col("contracted_units", true, "The units contracted, a whole number"),
            col("address", false, "The service's address"),
            col("postcode", false, "Its postcode (places it on the directory's map)"),
            col("description", false, "What the service offers, for the directory"),
            col("languages", false, "Languages spoken, for the directory"),
            col("religions", false, "Religious or cultural focus, if any"),
            col("tenure", false, "Tenure offered, e.g. licence, assured shorthold"),
            col("rural_urban", false, "rural, urban or both"),
            col("emergency_referrals", false, "yes if it takes emergency referrals"),
            col("interpreter", false, "yes if it offers an interpreter"),
            col("visual_impairment_support", false, "yes if it supports people with a visual impairment"),
            col("hearing_impairment_support", false, "yes if it supports people with a hearing impairment"),
            col("waiting_list", false, "yes if it has a waiting list"),
            col("support_tasks", false, "The support tasks' codes, separated by commas (the codes are listed below the templates)"),
            col("referral_routes", false, "How people are referred"),
            col("household_types", false, "The household types' codes, separated by commas (listed below)"),
            col("age_groups", false, "The age groups' codes, separated by commas (listed below)"),
            col("exclusions", false, "Who it cannot take"),
            col("accommodation_type", false, "The accommodation type's code (listed below)"),
            col("ethnicity_focus", false, "The ethnicity focus codes, separated by commas (listed below)"),
            col("contact_phone", false, "The directory's telephone number for referrals"),
            col("contact_email", false, "The directory's e-mail address for referrals"),
            col("website", false, "Its website, starting https://"),
            col("accessibility", false, "Its accessibility"),
            col("eligibility", false, "Who it is for"),
        ],
    },
    Template {
        kind: Kind::Properties,
        name: "properties",
        title: "Properties",
        columns: &[
            col("reference", true, "The property's reference in the old system, once in the authority"),
            col("provider_reference", true, "The reference of the provider that manages it"),
            col("service_reference", false, "The reference of the service that uses it, if one does"),
            col("address_line1", true, "The first line of its address"),
            col("address_line2", false, "The second line"),
            col("town", false, "Its town"),
            col("postcode", true, "Its postcode"),
            col("uprn", false, "Its Unique Property Reference Number (up to 12 digits)"),
        ],
    },
    Template {
        kind: Kind::Contracts,
        name: "contracts",
        title: "Contracts",
        columns: &[
            col("reference", true, "The contract's reference, once in the authority"),
            col("provider_reference", true, "The reference of the provider holding it"),
            col("title", true, "The contract's title"),
            col("units", true, "The units it pays for, a whole number"),
            col("unit_rate", true, "The weekly rate per unit in pounds, e.g. 18.50"),
            col("start_date", true, "Its start date, e.g. 2025-04-01 or 1/4/2025"),
            col("end_date", true, "Its end date, on or after the start"),
            col("status", true, "steady_state, interim or expired"),
            col("services", false, "The references of the services it covers, separated by ;"),
        ],
    },
    Template {
        kind: Kind::Clients,
        name: "clients",
        title: "Clients",
        columns: &[
            col("reference", true, "The client's reference in the old system, once in the authority"),
            col("title", false, "Mr, Mrs, Ms, Dr, ..."),
            col("first_name", true, "Forename"),
            col("last_name", true, "Surname"),
            col("date_of_birth", false, "Date of birth"),
            col("ethnicity", false, "Ethnicity, as recorded"),
            col("address", false, "The first line of their address"),
            col("address2", false, "The second line"),
            col("town", false, "Their town"),
            col("postcode", false, "Their postcode"),
            col("uprn", false, "Their address's UPRN"),
            col("ni_number", false, "National Insurance number, e.g. QQ 12 34 56 C"),
            col("hb_number", false, "Housing benefit claim number"),
        ],
    },
    Template {
        kind: Kind::Schedules,
        name: "schedules",
        title: "Client schedules",
        columns: &[
            col("reference", true, "The schedule's reference in the old system, once in the authority"),
            col("client_reference", true, "The reference of the client (in clients, or already in Hearth)"),
            col("service_reference", true, "The reference of the service (in services, or already in Hearth)"),
            col("level", false, "The service level, e.g. Service Level 2"),
            col("units_per_week", true, "Units of support a week, a whole number"),
            col("start_date", true, "When the support started"),
            col("end_date", false, "When it ended (empty while it goes on)"),
            col("end_reason", false, "Why it ended, with an end date: change_of_service, deceased, lost_contact, support_broken_down or support_no_longer_required"),
        ],
    },
];

impl Template {
    pub fn of(kind: Kind) -> &'static Template {
        match kind {
            Kind::Providers => &TEMPLATES[0],
            Kind::Contacts => &TEMPLATES[1],
            Kind::Services => &TEMPLATES[2],
            Kind::Properties => &TEMPLATES[3],
            Kind::Contracts => &TEMPLATES[4],
            Kind::Clients => &TEMPLATES[5],
            Kind::Schedules => &TEMPLATES[6],
        }
    }

    pub fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// The template's file name: `providers.csv` or `providers.xlsx`.
    pub fn file_name(&self, xlsx: bool) -> String {
        format!("{}.{}", self.name, if xlsx { "xlsx" } else { "csv" })
    }

    /// A file of this template holding `rows` (none: the empty template): a CSV, or a
    /// workbook of text cells.
    pub fn file(&self, rows: &[Vec<String>], xlsx: bool) -> Result<Vec<u8>, AppError> {
        if xlsx {
            let header: Vec<String> = self.header().iter().map(|h| h.to_string()).collect();
            hearth_docs::workbook::text_table_xlsx(self.title, &header, rows)
        } else {
            hearth_docs::table::csv_bytes(&self.header(), rows)
        }
        .map_err(AppError::Internal)
    }

    /// The template whose columns a file's header row has: every required column, and no
    /// column the template does not know.
    fn for_header(header: &[String]) -> Option<&'static Template> {
        let names: HashSet<&str> = header.iter().map(|h| h.trim()).collect();
        TEMPLATES.iter().find(|t| {
            t.columns
                .iter()
                .filter(|c| c.required)
                .all(|c| names.contains(c.name))
                && names
                    .iter()
                    .all(|n| n.is_empty() || t.columns.iter().any(|c| c.name == *n))
        })
    }
}

/// A file given to an import: its name (the extension says CSV or XLSX) and its bytes.
#[derive(Debug, Clone)]
pub struct InFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Something wrong with a file or one of its rows. Line 1 is the header row; line 0 means
/// the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: String,
    pub reason: String,
}

/// A file as the import read it.
#[derive(Debug, Clone)]
pub struct FileSummary {
    pub name: String,
    pub sha256: String,
    pub template: Option<&'static str>,
    pub rows: usize,
}

/// How many rows of a kind the files held, how many are new, and how many Hearth holds
/// already (an earlier import of the same records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindCount {
    pub kind: Kind,
    pub rows: usize,
    pub new: usize,
    pub already: usize,
}

/// What a dry run found, or an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub files: Vec<FileSummary>,
    pub problems: Vec<Problem>,
    pub counts: Vec<KindCount>,
    /// Whether records were written (never on a dry run or with problems).
    pub written: bool,
}

impl ImportReport {
    /// The problems as a CSV to download (file, line, column, reason).
    pub fn problems_csv(&self) -> Result<Vec<u8>, AppError> {
        let rows: Vec<Vec<String>> = self
            .problems
            .iter()
            .map(|p| {
                vec![
                    p.file.clone(),
                    p.line.to_string(),
                    p.column.clone(),
                    p.reason.clone(),
                ]
            })
            .collect();
        hearth_docs::table::csv_bytes(&["file", "line", "column", "reason"], &rows)
            .map_err(AppError::Internal)
    }
}

/// The most bytes one import file may have.
pub const MAX_FILE_BYTES: usize = 200 * 1024 * 1024;
/// The most rows one import file may have.
pub const MAX_FILE_ROWS: usize = 2_000_000;
/// The longest text a cell may hold.
const MAX_CELL_CHARS: usize = 4_000;
/// Clients written in one transaction (with their schedules) and one batch entry.
const CLIENT_CHUNK: usize = 5_000;

/// One data row of a file, by column name.
struct Row<'a> {
    line: usize,
    cells: &'a [String],
    index: &'a HashMap<String, usize>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.index
            .get(column)
            .and_then(|i| self.cells.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// A table read from a file: its template, and its data rows with their line numbers.
struct Table {
    file: String,
    template: &'static Template,
    index: HashMap<String, usize>,
    rows: Vec<(usize, Vec<String>)>,
}

/// The parsed, resolved records of an import, with the references they name.
#[derive(Default)]
struct Plan {
    providers: Vec<(String, ProviderFields, Option<i64>)>,
    contacts: Vec<(String, String, hearth_store::ContactFields)>,
    services: Vec<(String, String, ServiceFields, hearth_store::ServiceDetails)>,
    properties: Vec<(String, String, Option<String>, PropertyFields)>,
    contracts: Vec<(String, String, Vec<String>, ContractFields)>,
    clients: Vec<(String, ClientFields)>,
    schedules: Vec<(String, String, String, ScheduleFields)>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a file's rows: CSV (with or without a byte order mark), or an XLSX workbook's first
/// sheet.
fn read_rows(f: &InFile) -> Result<Vec<Vec<String>>, String> {
    if f.bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "The file is larger than {} MB",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    if f.name.to_ascii_lowercase().ends_with(".xlsx") {
        hearth_docs::workbook::read_table(&f.bytes, MAX_FILE_ROWS)
    } else {
        hearth_docs::table::read_csv(&f.bytes, MAX_FILE_ROWS)
    }
}

fn problem(file: &str, line: usize, column: &str, reason: impl Into<String>) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        column: column.to_string(),
        reason: reason.into(),
    }
}

/// A form's field errors as a row's problems.
fn from_fields(out: &mut Vec<Problem>, file: &str, line: usize, e: FieldErrors) {
    for (field, reason) in e.0 {
        out.push(problem(file, line, &field, reason));
    }
}

fn check_lengths(out: &mut Vec<Problem>, t: &Table, line: usize, cells: &[String]) -> bool {
    let mut ok = true;
    for (name, i) in &t.index {
        if cells
            .get(*i)
            .is_some_and(|c| c.chars().count() > MAX_CELL_CHARS)
        {
            out.push(problem(
                &t.file,
                line,
                name,
                format!("Must be {MAX_CELL_CHARS} characters or fewer"),
            ));
            ok = false;
        }
    }
    ok
}

fn required(out: &mut Vec<Problem>, file: &str, row: &Row, column: &str, what: &str) -> bool {
    if row.get(column).is_empty() {
        out.push(problem(file, row.line, column, format!("Enter {what}")));
        false
    } else {
        true
    }
}

fn whole_number(out: &mut Vec<Problem>, file: &str, row: &Row, column: &str) -> i64 {
    match row.get(column).parse::<i64>() {
        Ok(n) if n >= 0 => n,
        _ => {
            out.push(problem(
                file,
                row.line,
                column,
                "Enter a whole number, 0 or more",
            ));
            0
        }
    }
}

fn optional<T: ToString>(
    out: &mut Vec<Problem>,
    file: &str,
    row: &Row,
    column: &str,
    parse: impl Fn(&str) -> Result<T, hearth_domain::FieldError>,
) -> Option<String> {
    let v = row.get(column);
    if v.is_empty() {
        return None;
    }
    match parse(v) {
        Ok(x) => Some(x.to_string()),
        Err(e) => {
            out.push(problem(file, row.line, column, e.message));
            None
        }
    }
}

fn date(out: &mut Vec<Problem>, file: &str, row: &Row, column: &str) -> Option<chrono::NaiveDate> {
    let v = row.get(column);
    if v.is_empty() {
        return None;
    }
    match parse_date(v) {
        Ok(d) => Some(d),
        Err(e) => {
            out.push(problem(file, row.line, column, e.message));
            None
        }
    }
}

impl App {
    /// Only the command line, or an administrator of the authority, imports or exports.
    fn require_records_admin(&self, who: &Principal, authority_id: i64) -> Result<(), AppError> {
        if who.has(Permission::Maintain) {
            return Ok(());
        }
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        if who.authority_id() != authority_id {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// A dry run: reads and checks every file and row, resolves every reference, and says
    /// what an import would add. Writes nothing.
    pub async fn import_dry_run(
        &self,
        who: &Principal,
        authority_id: i64,
        files: &[InFile],
    ) -> Result<ImportReport, AppError> {
        self.require_records_admin(who, authority_id)?;
        let (report, _) = self.plan_import(authority_id, files).await?;
        Ok(report)
    }

    /// Imports the files: a dry run first, and nothing written if it finds any problem.
    /// `progress` is told (rows done, rows in all, the step) as the writing goes on.
    pub async fn import_records(
        &self,
        who: &Principal,
        authority_id: i64,
        files: &[InFile],
        progress: &(dyn Fn(u64, u64, &str) + Sync),
    ) -> Result<ImportReport, AppError> {
        self.require_records_admin(who, authority_id)?;
        let (mut report, plan) = self.plan_import(authority_id, files).await?;
        if !report.problems.is_empty() {
            return Ok(report);
        }
        let new: usize = report.counts.iter().map(|c| c.new).sum();
        if new == 0 {
            // The same files again: nothing to add, and nothing written.
            return Ok(report);
        }
        self.write_plan(who, authority_id, &report, plan, progress)
            .await?;
        report.written = true;
        Ok(report)
    }

    async fn plan_import(
        &self,
        authority_id: i64,
        files: &[InFile],
    ) -> Result<(ImportReport, Plan), AppError> {
        self.db
            .authority(authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut problems = Vec::new();
        let mut summaries = Vec::new();
        let mut tables: Vec<Table> = Vec::new();
        for f in files {
            let sha256 = sha256_hex(&f.bytes);
            let rows = match read_rows(f) {
                Ok(r) => r,
                Err(reason) => {
                    problems.push(problem(&f.name, 0, "", reason));
                    summaries.push(FileSummary {
                        name: f.name.clone(),
                        sha256,
                        template: None,
                        rows: 0,
                    });
                    continue;
                }
            };
            let mut it = rows.into_iter();
            let header = it.next().unwrap_or_default();
            let Some(template) = Template::for_header(&header) else {
                problems.push(problem(
                    &f.name,
                    1,
                    "",
                    "The header row is not one of the import templates: download the templates and keep their first row",
                ));
                summaries.push(FileSummary {
                    name: f.name.clone(),
                    sha256,
                    template: None,
                    rows: 0,
                });
                continue;
            };
            if tables.iter().any(|t| t.template.kind == template.kind) {
                problems.push(problem(
                    &f.name,
                    1,
                    "",
                    format!(
                        "Another file is also {}: put them in one file",
                        template.title.to_lowercase()
                    ),
                ));
                continue;
            }
            let index: HashMap<String, usize> = header
                .iter()
                .enumerate()
                .map(|(i, h)| (h.trim().to_string(), i))
                .collect();
            let data: Vec<(usize, Vec<String>)> = it
                .enumerate()
                .map(|(i, r)| (i + 2, r))
                .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
                .collect();
            summaries.push(FileSummary {
                name: f.name.clone(),
                sha256,
                template: Some(template.name),
                rows: data.len(),
            });
            tables.push(Table {
                file: f.name.clone(),
                template,
                index,
                rows: data,
            });
        }
        let keys = self.db.import_keys(authority_id).await?;
        let (plan, counts) = resolve(&tables, &keys, &mut problems);
        problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Ok((
            ImportReport {
                files: summaries,
                problems,
                counts,
                written: false,
            },
            plan,
        ))
    }

    async fn write_plan(
        &self,
        who: &Principal,
        authority_id: i64,
        report: &ImportReport,
        plan: Plan,
        progress: &(dyn Fn(u64, u64, &str) + Sync),
    ) -> Result<(), AppError> {
        let total = (plan.providers.len()
            + plan.contacts.len()
            + plan.services.len()
            + plan.properties.len()
            + plan.contracts.len()
            + plan.clients.len()
            + plan.schedules.len()) as u64;
        let mut done = 0u64;
        let files = json!(report
            .files
            .iter()
            .map(|f| json!({"name": f.name, "sha256": f.sha256, "template": f.template, "rows": f.rows}))
            .collect::<Vec<_>>());
        let counts = json!(report
            .counts
            .iter()
            .map(|c| json!({"records": Template::of(c.kind).name, "rows": c.rows, "new": c.new, "already": c.already}))
            .collect::<Vec<_>>());
        let mut keys = self.db.import_keys(authority_id).await?;
        // Written in the authority's audit chain, whoever runs it.
        let actor = hearth_store::Actor {
            authority_id: Some(authority_id),
            ..who.actor()
        };
        progress(done, total, "providers, services, properties and contracts");
        let mut tx = self.begin_write(&actor).await?;
        tx.audit(
            "import",
            hearth_store::RecordType::Authority,
            &authority_id.to_string(),
            None,
            Some(&json!({"files": files, "records": counts})),
        )
        .await?;
        for (reference, fields, registered) in &plan.providers {
            let id = match registered {
                Some(id) => {
                    tx.add_provider_authority(*id, authority_id).await?;
                    *id
                }
                None => tx.insert_provider(fields, &[authority_id]).await?.id,
            };
            keys.providers.insert(reference.clone(), (id, true));
            done += 1;
        }
        let provider = |keys: &ImportKeys, r: &str| keys.providers.get(r).map(|p| p.0).unwrap_or(0);
        for (reference, provider_ref, fields) in &plan.contacts {
            let c = tx
                .insert_contact(provider(&keys, provider_ref), fields)
                .await?;
            tx.set_contact_external_ref(c.id, reference).await?;
            done += 1;
        }
        for (reference, provider_ref, fields, details) in &plan.services {
            let mut f = fields.clone();
            f.provider_id = provider(&keys, provider_ref);
            let s = tx.insert_service(authority_id, &f).await?;
            tx.set_directory_fields(s.id, details).await?;
            keys.services.insert(reference.clone(), s.id);
            done += 1;
        }
        for (reference, provider_ref, service_ref, fields) in &plan.properties {
            let mut f = fields.clone();
            f.provider_id = provider(&keys, provider_ref);
            f.service_id = service_ref
                .as_ref()
                .and_then(|r| keys.services.get(r).copied());
            let p = tx.insert_property(authority_id, &f).await?;
            tx.set_property_external_ref(p.id, reference).await?;
            done += 1;
        }
        for (_, provider_ref, service_refs, fields) in &plan.contracts {
            let mut f = fields.clone();
            f.provider_id = provider(&keys, provider_ref);
            f.service_ids = service_refs
                .iter()
                .filter_map(|r| keys.services.get(r).copied())
                .collect();
            f.service_ids.sort_unstable();
            f.service_ids.dedup();
            tx.insert_contract(authority_id, &f).await?;
            done += 1;
        }
        tx.commit().await?;
        progress(done, total, "clients and their schedules");

        // Clients with their schedules; schedules of clients loaded before go with a row of
        // their own for that client.
        let mut by_client: HashMap<&str, Vec<(String, ScheduleFields)>> = HashMap::new();
        for (reference, client_ref, service_ref, fields) in &plan.schedules {
            let mut f = fields.clone();
            f.service_id = keys.services.get(service_ref).copied().unwrap_or(0);
            by_client
                .entry(client_ref.as_str())
                .or_default()
                .push((reference.clone(), f));
        }
        let mut rows: Vec<ImportedClient> = Vec::new();
        for (reference, fields) in &plan.clients {
            rows.push(ImportedClient {
                existing: None,
                external_ref: reference.clone(),
                fields: fields.clone(),
                schedules: by_client.remove(reference.as_str()).unwrap_or_default(),
            });
        }
        let mut earlier: Vec<(&str, Vec<(String, ScheduleFields)>)> =
            by_client.into_iter().collect();
        earlier.sort_by(|a, b| a.0.cmp(b.0));
        for (client_ref, schedules) in earlier {
            if let Some(id) = keys.clients.get(client_ref) {
                rows.push(ImportedClient {
                    existing: Some(*id),
                    external_ref: client_ref.to_string(),
                    fields: ClientFields::default(),
                    schedules,
                });
            }
        }
        let summary = json!({"files": files});
        for chunk in rows.chunks(CLIENT_CHUNK) {
            let mut tx = self.begin_write(&actor).await?;
            let (c, s) = tx.import_clients(authority_id, chunk, &summary).await?;
            tx.commit().await?;
            done += c + s;
            progress(done, total, "clients and their schedules");
        }
        self.db.locate_services().await?;
        self.db
            .refresh_current_clients(&self.today().to_string())
            .await?;
        progress(total, total, "done");
        Ok(())
    }
}

/// A yes/no column: "yes" (or "y", "true", "1"), "no" or empty.
fn flag(out: &mut Vec<Problem>, file: &str, row: &Row, column: &str) -> bool {
    match row.get(column).to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => true,
        "" | "no" | "n" | "false" | "0" => false,
        _ => {
            out.push(problem(file, row.line, column, "Enter yes or no"));
            false
        }
    }
}

/// A column of codes from a closed list, separated by commas (or semicolons), as stored:
/// comma-separated.
fn codes(
    out: &mut Vec<Problem>,
    file: &str,
    row: &Row,
    column: &str,
    list: &[(&str, &str)],
    many: bool,
) -> String {
    let given: Vec<&str> = row
        .get(column)
        .split([',', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if !many && given.len() > 1 {
        out.push(problem(file, row.line, column, "Give one code"));
    }
    for c in &given {
        if !list.iter().any(|(code, _)| code == c) {
            out.push(problem(
                file,
                row.line,
                column,
                format!("{c} is not one of the codes the template lists"),
            ));
        }
    }
    given.join(",")
}

/// A service's directory details from its row, checked as the service details form checks
/// them (the name the public sees and the description come from the service's own columns).
fn service_details(out: &mut Vec<Problem>, file: &str, row: &Row) -> hearth_store::ServiceDetails {
    use hearth_domain::directory::{
        ACCOMMODATION_TYPES, AGE_GROUPS, ETHNICITIES, HOUSEHOLD_TYPES, SUPPORT_TASKS,
    };
    let d = hearth_store::ServiceDetails {
        public_name: String::new(),
        description: String::new(),
        languages: row.get("languages").into(),
        religions: row.get("religions").into(),
        tenure: row.get("tenure").into(),
        rural_urban: row.get("rural_urban").into(),
        emergency_referrals: flag(out, file, row, "emergency_referrals"),
        interpreter: flag(out, file, row, "interpreter"),
        visual_impairment_support: flag(out, file, row, "visual_impairment_support"),
        hearing_impairment_support: flag(out, file, row, "hearing_impairment_support"),
        waiting_list: flag(out, file, row, "waiting_list"),
        support_tasks: codes(out, file, row, "support_tasks", SUPPORT_TASKS, true),
        referral_routes: row.get("referral_routes").into(),
        household_types: codes(out, file, row, "household_types", HOUSEHOLD_TYPES, true),
        age_groups: codes(out, file, row, "age_groups", AGE_GROUPS, true),
        exclusions: row.get("exclusions").into(),
        accommodation_type: codes(
            out,
            file,
            row,
            "accommodation_type",
            ACCOMMODATION_TYPES,
            false,
        ),
        ethnicity_focus: codes(out, file, row, "ethnicity_focus", ETHNICITIES, true),
        contact_phone: row.get("contact_phone").into(),
        contact_email: row.get("contact_email").into(),
        website: row.get("website").into(),
        accessibility: row.get("accessibility").into(),
        eligibility: row.get("eligibility").into(),
    };
    let mut e = FieldErrors::new();
    crate::requests::check_details_contact(&d, &mut e);
    from_fields(out, file, row.line, e);
    d
}

/// Parses every row of every table and resolves the references between them and against
/// what Hearth holds. Rows already in Hearth (by reference) are counted and left out.
fn resolve(tables: &[Table], keys: &ImportKeys, out: &mut Vec<Problem>) -> (Plan, Vec<KindCount>) {
    let mut plan = Plan::default();
    let mut counts = Vec::new();
    let table = |k: Kind| tables.iter().find(|t| t.template.kind == k);
    // The references each table gives, for the tables after it.
    let refs_of = |k: Kind| -> HashSet<String> {
        table(k)
            .map(|t| {
                t.rows
                    .iter()
                    .map(|(_, r)| {
                        Row {
                            line: 0,
                            cells: r,
                            index: &t.index,
                        }
                        .get("reference")
                        .to_string()
                    })
                    .filter(|r| !r.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let file_providers = refs_of(Kind::Providers);
    let file_services = refs_of(Kind::Services);
    let file_clients = refs_of(Kind::Clients);
    let provider_known = |r: &str| {
        file_providers.contains(r) || keys.providers.get(r).is_some_and(|(_, here)| *here)
    };
    let service_known = |r: &str| file_services.contains(r) || keys.services.contains_key(r);

    for t in tables {
        let kind = t.template.kind;
        let mut count = KindCount {
            kind,
            rows: t.rows.len(),
            new: 0,
            already: 0,
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (line, cells) in &t.rows {
            let row = Row {
                line: *line,
                cells,
                index: &t.index,
            };
            let f = &t.file;
            if !check_lengths(out, t, *line, cells) {
                continue;
            }
            let reference = row.get("reference").to_string();
            match hearth_domain::text::reference("record", &reference) {
                Ok(_) => {}
                Err(e) => {
                    out.push(problem(f, *line, "reference", e.message));
                    continue;
                }
            }
            if let Some(first) = seen.insert(reference.clone(), *line) {
                out.push(problem(
                    f,
                    *line,
                    "reference",
                    format!(
                        "The reference {reference} is on line {first} too: each row needs its own"
                    ),
                ));
                continue;
            }
            let before = out.len();
            let already = match kind {
                Kind::Providers => keys.providers.get(&reference).is_some_and(|(_, h)| *h),
                Kind::Contacts => {
                    // Found by its old reference for its provider, or by the one Hearth gave.
                    let provider = keys
                        .providers
                        .get(row.get("provider_reference"))
                        .map(|p| p.0);
                    provider.is_some_and(|p| {
                        keys.contacts.contains_key(&(p, reference.clone()))
                            || reference
                                .strip_prefix("H-K")
                                .and_then(|id| id.parse::<i64>().ok())
                                .is_some_and(|id| keys.contact_providers.get(&id) == Some(&p))
                    })
                }
                Kind::Services => keys.services.contains_key(&reference),
                Kind::Properties => keys.properties.contains_key(&reference),
                Kind::Contracts => keys.contracts.contains_key(&reference),
                Kind::Clients => keys.clients.contains_key(&reference),
                Kind::Schedules => keys.schedules.contains_key(&reference),
            };
            let names_provider = |out: &mut Vec<Problem>| {
                let p = row.get("provider_reference");
                if required(
                    out,
                    f,
                    &row,
                    "provider_reference",
                    "the provider's reference",
                ) && !provider_known(p)
                {
                    out.push(problem(
                        f,
                        *line,
                        "provider_reference",
                        format!("There is no provider {p} in the providers file or registered with this authority"),
                    ));
                }
                p.to_string()
            };
            match kind {
                Kind::Providers => {
                    let input = ProviderInput {
                        name: row.get("name").into(),
                        reference: reference.clone(),
                        address: row.get("address").into(),
                        postcode: row.get("postcode").into(),
                        phone: row.get("phone").into(),
                        email: row.get("email").into(),
                        limited_access: Some(row.get("limited_access").to_lowercase()),
                    };
                    match input.parse(None) {
                        Ok(fields) => {
                            if !already && out.len() == before {
                                let registered = keys.providers.get(&reference).map(|(id, _)| *id);
                                plan.providers.push((reference.clone(), fields, registered));
                            }
                        }
                        Err(AppError::Invalid(e)) => from_fields(out, f, *line, e),
                        Err(e) => out.push(problem(f, *line, "", e.to_string())),
                    }
                }
                Kind::Contacts => {
                    let provider_ref = names_provider(out);
                    let input = crate::contacts::ContactInput {
                        title: row.get("title").into(),
                        first_name: row.get("first_name").into(),
                        last_name: row.get("last_name").into(),
                        job_title: row.get("job_title").into(),
                        position_type: row.get("position_type").into(),
                        other_positions: row.get("other_positions").into(),
                        email: row.get("email").into(),
                        phone: row.get("phone").into(),
                        mobile: row.get("mobile").into(),
                        fax: row.get("fax").into(),
                        pager: row.get("pager").into(),
                        web_address: row.get("web_address").into(),
                        address_line1: row.get("address_line1").into(),
                        address_line2: row.get("address_line2").into(),
                        address_line3: row.get("address_line3").into(),
                        address_line4: row.get("address_line4").into(),
                        town: row.get("town").into(),
                        postcode: row.get("postcode").into(),
                        uprn: row.get("uprn").into(),
                        usrn: row.get("usrn").into(),
                        directions: row.get("directions").into(),
                        confidential: row.get("confidential").to_lowercase(),
                        disabled_access: row.get("disabled_access").to_lowercase(),
                        comment: String::new(),
                    };
                    match input.parse(None) {
                        Ok(d) => {
                            if !already && out.len() == before {
                                plan.contacts
                                    .push((reference.clone(), provider_ref, d.fields()));
                            }
                        }
                        Err(AppError::Invalid(e)) => from_fields(out, f, *line, e),
                        Err(e) => out.push(problem(f, *line, "", e.to_string())),
                    }
                }
                Kind::Services => {
                    let provider_ref = names_provider(out);
                    let details = service_details(out, f, &row);
                    let input = ServiceInput {
                        provider_id: String::new(),
                        reference: reference.clone(),
                        name: row.get("name").into(),
                        public_name: row.get("public_name").into(),
                        service_type: row.get("service_type").into(),
                        term: row.get("term").into(),
                        client_group: row.get("client_group").into(),
                        contracted_units: row.get("contracted_units").into(),
                        address: row.get("address").into(),
                        postcode: row.get("postcode").into(),
                        description: row.get("description").into(),
                    };
                    let mut e = FieldErrors::new();
                    let fields = input.fields(&mut e);
                    from_fields(out, f, *line, e);
                    if !already && out.len() == before {
                        let mut details = details;
                        details.public_name = if fields.public_name.is_empty() {
                            fields.name.clone()
                        } else {
                            fields.public_name.clone()
                        };
                        details.description = fields.description.clone();
                        plan.services
                            .push((reference.clone(), provider_ref, fields, details));
                    }
                }
                Kind::Properties => {
                    let provider_ref = names_provider(out);
                    let service_ref = row.get("service_reference");
                    let service_ref = if service_ref.is_empty() {
                        None
                    } else {
                        if !service_known(service_ref) {
                            out.push(problem(
                                f,
                                *line,
                                "service_reference",
                                format!("There is no service {service_ref} in the services file or in this authority"),
                            ));
                        }
                        Some(service_ref.to_string())
                    };
                    required(
                        out,
                        f,
                        &row,
                        "address_line1",
                        "the first line of the address",
                    );
                    let postcode = match Postcode::parse(row.get("postcode")) {
                        Ok(p) => p.to_string(),
                        Err(e) => {
                            out.push(problem(f, *line, "postcode", e.message));
                            String::new()
                        }
                    };
                    let uprn = optional(out, f, &row, "uprn", Uprn::parse);
                    if !already && out.len() == before {
                        plan.properties.push((
                            reference.clone(),
                            provider_ref,
                            service_ref,
                            PropertyFields {
                                provider_id: 0,
                                service_id: None,
                                address_line1: row.get("address_line1").into(),
                                address_line2: row.get("address_line2").into(),
                                town: row.get("town").into(),
                                postcode,
                                uprn,
                            },
                        ));
                    }
                }
                Kind::Contracts => {
                    let provider_ref = names_provider(out);
                    let input = ContractInput {
                        provider_id: String::new(),
                        reference: reference.clone(),
                        title: row.get("title").into(),
                        units: row.get("units").into(),
                        unit_rate: row.get("unit_rate").into(),
                        start_date: row.get("start_date").into(),
                        end_date: row.get("end_date").into(),
                        status: row.get("status").into(),
                        services: String::new(),
                    };
                    let mut e = FieldErrors::new();
                    let fields = input.fields(&mut e);
                    from_fields(out, f, *line, e);
                    let services: Vec<String> = row
                        .get("services")
                        .split(';')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    for s in &services {
                        if !service_known(s) {
                            out.push(problem(
                                f,
                                *line,
                                "services",
                                format!("There is no service {s} in the services file or in this authority"),
                            ));
                        }
                    }
                    if !already && out.len() == before {
                        plan.contracts
                            .push((reference.clone(), provider_ref, services, fields));
                    }
                }
                Kind::Clients => {
                    required(out, f, &row, "first_name", "the forename");
                    required(out, f, &row, "last_name", "the surname");
                    let born = date(out, f, &row, "date_of_birth");
                    let postcode = optional(out, f, &row, "postcode", Postcode::parse);
                    let uprn = optional(out, f, &row, "uprn", Uprn::parse);
                    let ni = optional(out, f, &row, "ni_number", NiNumber::parse);
                    let hb = optional(out, f, &row, "hb_number", HousingBenefitNumber::parse);
                    if !already && out.len() == before {
                        plan.clients.push((
                            reference.clone(),
                            ClientFields {
                                title: row.get("title").into(),
                                first_name: row.get("first_name").into(),
                                last_name: row.get("last_name").into(),
                                date_of_birth: born.map(|d| d.to_string()),
                                ethnicity: row.get("ethnicity").into(),
                                address: row.get("address").into(),
                                address2: row.get("address2").into(),
                                town: row.get("town").into(),
                                postcode: postcode.unwrap_or_default(),
                                uprn,
                                ni_number: ni,
                                hb_number: hb,
                            },
                        ));
                    }
                }
                Kind::Schedules => {
                    let client_ref = row.get("client_reference");
                    if required(out, f, &row, "client_reference", "the client's reference")
                        && !file_clients.contains(client_ref)
                        && !keys.clients.contains_key(client_ref)
                    {
                        out.push(problem(
                            f,
                            *line,
                            "client_reference",
                            format!("There is no client {client_ref} in the clients file or in this authority"),
                        ));
                    }
                    let service_ref = row.get("service_reference");
                    if required(out, f, &row, "service_reference", "the service's reference")
                        && !service_known(service_ref)
                    {
                        out.push(problem(
                            f,
                            *line,
                            "service_reference",
                            format!("There is no service {service_ref} in the services file or in this authority"),
                        ));
                    }
                    let units = whole_number(out, f, &row, "units_per_week");
                    let start = date(out, f, &row, "start_date");
                    if row.get("start_date").is_empty() {
                        out.push(problem(f, *line, "start_date", "Enter the start date"));
                    }
                    let end = date(out, f, &row, "end_date");
                    if let (Some(s), Some(e)) = (start, end) {
                        if e < s {
                            out.push(problem(
                                f,
                                *line,
                                "end_date",
                                "The end date must be on or after the start date",
                            ));
                        }
                    }
                    let reason = optional(out, f, &row, "end_reason", |v| {
                        EndReason::parse(v)
                            .map(|r| r.as_str().to_string())
                            .map_err(|_| {
                                hearth_domain::FieldError::new(
                                    "end_reason",
                                    "Give one of the end reasons the template lists",
                                )
                            })
                    });
                    if end.is_some() && reason.is_none() && row.get("end_reason").is_empty() {
                        out.push(problem(
                            f,
                            *line,
                            "end_reason",
                            "Give the reason the support ended",
                        ));
                    }
                    if end.is_none() && reason.is_some() {
                        out.push(problem(
                            f,
                            *line,
                            "end_date",
                            "Give the end date with the end reason",
                        ));
                    }
                    if !already && out.len() == before {
                        plan.schedules.push((
                            reference.clone(),
                            client_ref.to_string(),
                            service_ref.to_string(),
                            ScheduleFields {
                                client_id: 0,
                                service_id: 0,
                                level: row.get("level").into(),
                                units_per_week: units,
                                start_date: start.map(|d| d.to_string()).unwrap_or_default(),
                                end_date: end.map(|d| d.to_string()),
                                end_reason: reason,
                            },
                        ));
                    }
                }
            }
            if out.len() == before {
                if already {
                    count.already += 1;
                } else {
                    count.new += 1;
                }
            }
        }
        counts.push(count);
    }
    counts.sort_by_key(|c| TEMPLATES.iter().position(|t| t.kind == c.kind));
    (plan, counts)
}

/// An authority's records in the import templates: (template, rows), each table in
/// reference order, so an export imported into another authority and exported again gives
/// the same files. Records made in Hearth, with no reference from an old system, are given
/// one from their id (`H-P12` a property, `H-C34` a client, `H-S56` a schedule).
impl App {
    pub async fn export_records(
        &self,
        who: &Principal,
        authority_id: i64,
    ) -> Result<Vec<(&'static Template, Vec<Vec<String>>)>, AppError> {
        self.require_records_admin(who, authority_id)?;
        self.db
            .authority(authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let many = 10_000_000;
        let providers = self
            .db
            .list_providers(&hearth_store::ProviderFilter {
                authority_id: Some(authority_id),
                per_page: many,
                ..Default::default()
            })
            .await?
            .items;
        let provider_ref: HashMap<i64, String> = providers
            .iter()
            .map(|p| (p.id, p.reference.clone()))
            .collect();
        let pref = |id: i64| provider_ref.get(&id).cloned().unwrap_or_default();
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        let mut out = Vec::new();
        let mut rows: Vec<Vec<String>> = providers
            .iter()
            .map(|p| {
                vec![
                    p.reference.clone(),
                    p.name.clone(),
                    p.address.clone(),
                    p.postcode.clone(),
                    p.phone.clone(),
                    p.email.clone(),
                    yes_no(p.limited_access != 0),
                ]
            })
            .collect();
        rows.sort();
        out.push((Template::of(Kind::Providers), rows));

        let contact_refs = self.db.contact_external_refs().await?;
        let mut rows = Vec::new();
        for p in &providers {
            for c in self.db.provider_contacts(p.id).await? {
                let i = crate::contacts::ContactInput::of(&c);
                rows.push(vec![
                    contact_refs
                        .get(&c.id)
                        .cloned()
                        .unwrap_or_else(|| format!("H-K{}", c.id)),
                    p.reference.clone(),
                    i.title,
                    i.first_name,
                    i.last_name,
                    i.job_title,
                    i.position_type,
                    i.other_positions,
                    i.email,
                    i.phone,
                    i.mobile,
                    i.fax,
                    i.pager,
                    i.web_address,
                    i.address_line1,
                    i.address_line2,
                    i.address_line3,
                    i.address_line4,
                    i.town,
                    i.postcode,
                    i.uprn,
                    i.usrn,
                    i.directions,
                    i.confidential,
                    i.disabled_access,
                ]);
            }
        }
        rows.sort();
        out.push((Template::of(Kind::Contacts), rows));

        let sf = hearth_store::ServiceFilter {
            authority_id: Some(authority_id),
            per_page: many,
            ..Default::default()
        };
        let services = self.db.list_services(&sf).await?.items;
        let service_ref: HashMap<i64, String> = services
            .iter()
            .map(|s| (s.id, s.reference.clone()))
            .collect();
        let mut rows: Vec<Vec<String>> = services
            .iter()
            .map(|s| {
                let mut row = vec![
                    s.reference.clone(),
                    pref(s.provider_id),
                    s.name.clone(),
                    s.public_name.clone(),
                    s.service_type.clone(),
                    s.term.clone(),
                    s.client_group.clone(),
                    s.contracted_units.to_string(),
                    s.address.clone(),
                    s.postcode.clone(),
                    s.description.clone(),
                ];
                let d = hearth_store::ServiceDetails::of(s);
                let flag = |b: bool| if b { "yes" } else { "" }.to_string();
                row.extend([
                    d.languages,
                    d.religions,
                    d.tenure,
                    d.rural_urban,
                    flag(d.emergency_referrals),
                    flag(d.interpreter),
                    flag(d.visual_impairment_support),
                    flag(d.hearing_impairment_support),
                    flag(d.waiting_list),
                    d.support_tasks,
                    d.referral_routes,
                    d.household_types,
                    d.age_groups,
                    d.exclusions,
                    d.accommodation_type,
                    d.ethnicity_focus,
                    d.contact_phone,
                    d.contact_email,
                    d.website,
                    d.accessibility,
                    d.eligibility,
                ]);
                row
            })
            .collect();
        rows.sort();
        out.push((Template::of(Kind::Services), rows));

        let ext = self.db.property_external_refs(authority_id).await?;
        let mut rows: Vec<Vec<String>> = self
            .db
            .list_properties(&sf)
            .await?
            .items
            .iter()
            .map(|p| {
                vec![
                    ext.get(&p.id)
                        .cloned()
                        .unwrap_or_else(|| format!("H-P{}", p.id)),
                    pref(p.provider_id),
                    p.service_id
                        .and_then(|s| service_ref.get(&s).cloned())
                        .unwrap_or_default(),
                    p.address_line1.clone(),
                    p.address_line2.clone(),
                    p.town.clone(),
                    p.postcode.clone(),
                    p.uprn.clone().unwrap_or_default(),
                ]
            })
            .collect();
        rows.sort();
        out.push((Template::of(Kind::Properties), rows));

        let contracts = self
            .db
            .list_contracts(&hearth_store::ContractFilter {
                authority_id: Some(authority_id),
                per_page: many,
                ..Default::default()
            })
            .await?
            .items;
        let mut rows = Vec::with_capacity(contracts.len());
        for c in &contracts {
            let mut covered: Vec<String> = self
                .db
                .contract_service_ids(c.id)
                .await?
                .iter()
                .filter_map(|s| service_ref.get(s).cloned())
                .collect();
            covered.sort();
            rows.push(vec![
                c.reference.clone(),
                pref(c.provider_id),
                c.title.clone(),
                c.units.to_string(),
                Pence(c.unit_rate_pence).to_decimal_string(),
                c.start_date.clone(),
                c.end_date.clone(),
                c.status.clone(),
                covered.join(";"),
            ]);
        }
        rows.sort();
        out.push((Template::of(Kind::Contracts), rows));

        let clients = self.db.export_clients(authority_id).await?;
        let client_ref: HashMap<i64, String> = clients
            .iter()
            .map(|c| {
                (
                    c.id,
                    c.external_ref
                        .clone()
                        .unwrap_or_else(|| format!("H-C{}", c.id)),
                )
            })
            .collect();
        let mut rows: Vec<Vec<String>> = clients
            .iter()
            .map(|c| {
                let f = &c.fields;
                vec![
                    client_ref.get(&c.id).cloned().unwrap_or_default(),
                    f.title.clone(),
                    f.first_name.clone(),
                    f.last_name.clone(),
                    f.date_of_birth.clone().unwrap_or_default(),
                    f.ethnicity.clone(),
                    f.address.clone(),
                    f.address2.clone(),
                    f.town.clone(),
                    f.postcode.clone(),
                    f.uprn.clone().unwrap_or_default(),
                    f.ni_number.clone().unwrap_or_default(),
                    f.hb_number.clone().unwrap_or_default(),
                ]
            })
            .collect();
        rows.sort();
        out.push((Template::of(Kind::Clients), rows));

        let mut rows: Vec<Vec<String>> = self
            .db
            .export_schedules(authority_id)
            .await?
            .into_iter()
            .map(|s| {
                vec![
                    s.external_ref.unwrap_or_else(|| format!("H-S{}", s.id)),
                    client_ref.get(&s.client_id).cloned().unwrap_or_default(),
                    s.service_reference,
                    s.fields.level,
                    s.fields.units_per_week.to_string(),
                    s.fields.start_date,
                    s.fields.end_date.unwrap_or_default(),
                    s.fields.end_reason.unwrap_or_default(),
                ]
            })
            .collect();
        rows.sort();
        out.push((Template::of(Kind::Schedules), rows));
        Ok(out)
    }

    /// One template of the export, as CSV or XLSX (a page's download: only that file is
    /// written).
    pub async fn export_records_file(
        &self,
        who: &Principal,
        authority_id: i64,
        kind: Kind,
        xlsx: bool,
    ) -> Result<Vec<u8>, AppError> {
        let (t, rows) = self
            .export_records(who, authority_id)
            .await?
            .into_iter()
            .find(|(t, _)| t.kind == kind)
            .ok_or(AppError::NotFound)?;
        t.file(&rows, xlsx)
    }

    /// The export as XLSX workbooks, named after their templates.
    pub async fn export_records_xlsx(
        &self,
        who: &Principal,
        authority_id: i64,
    ) -> Result<Vec<(String, Vec<u8>)>, AppError> {
        self.export_records_files(who, authority_id, true).await
    }

    /// The export as CSV files, named after their templates.
    pub async fn export_records_csv(
        &self,
        who: &Principal,
        authority_id: i64,
    ) -> Result<Vec<(String, Vec<u8>)>, AppError> {
        self.export_records_files(who, authority_id, false).await
    }

    async fn export_records_files(
        &self,
        who: &Principal,
        authority_id: i64,
        xlsx: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, AppError> {
        let mut files = Vec::new();
        for (t, rows) in self.export_records(who, authority_id).await? {
            files.push((t.file_name(xlsx), t.file(&rows, xlsx)?));
        }
        Ok(files)
    }
}

/// The most files one upload holds (one per template, and a few spare).
pub const MAX_UPLOAD_FILES: usize = 12;

impl App {
    /// An administrator's upload for an import into their authority: the files are kept (in
    /// the database, so any node can run the import) under a new batch, whose name is
    /// returned; nothing else is written. The upload is audited with each file's digest.
    pub async fn upload_import(
        &self,
        who: &Principal,
        files: &[InFile],
    ) -> Result<String, AppError> {
        let authority_id = who.authority_id();
        self.require_records_admin(who, authority_id)?;
        who.require(Permission::BackOfficeWrite)?;
        let files: Vec<&InFile> = files.iter().filter(|f| !f.bytes.is_empty()).collect();
        if files.is_empty() {
            return Err(AppError::invalid("files", "Choose the files to import"));
        }
        if files.len() > MAX_UPLOAD_FILES {
            return Err(AppError::invalid(
                "files",
                format!("Choose at most {MAX_UPLOAD_FILES} files"),
            ));
        }
        for f in &files {
            let lower = f.name.to_ascii_lowercase();
            if !(lower.ends_with(".csv") || lower.ends_with(".xlsx")) {
                return Err(AppError::invalid(
                    "files",
                    format!("{} is not a CSV or XLSX file", f.name),
                ));
            }
            crate::text::check_text("files", &f.name)?;
        }
        let batch = hex::encode(rand::random::<[u8; 12]>());
        let mut tx = self.begin_write(&who.actor()).await?;
        let mut listed = Vec::new();
        for f in &files {
            let digest = sha256_hex(&f.bytes);
            tx.insert_import_file(authority_id, &batch, &f.name, &digest, &f.bytes)
                .await?;
            listed.push(json!({"name": f.name, "sha256": digest, "bytes": f.bytes.len()}));
        }
        tx.audit(
            "upload",
            hearth_store::RecordType::Authority,
            &authority_id.to_string(),
            None,
            Some(&json!({"import_batch": batch, "files": listed})),
        )
        .await?;
        tx.commit().await?;
        Ok(batch)
    }

    /// The files of an upload to the principal's authority.
    pub(crate) async fn batch_files(
        &self,
        authority_id: i64,
        batch: &str,
    ) -> Result<Vec<InFile>, AppError> {
        let files = self.db.import_files(authority_id, batch).await?;
        if files.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok(files
            .into_iter()
            .map(|f| InFile {
                name: f.name,
                bytes: f.content,
            })
            .collect())
    }

    /// The dry run of an upload.
    pub async fn import_batch_dry_run(
        &self,
        who: &Principal,
        batch: &str,
    ) -> Result<ImportReport, AppError> {
        let authority_id = who.authority_id();
        self.require_records_admin(who, authority_id)?;
        let files = self.batch_files(authority_id, batch).await?;
        self.import_dry_run(who, authority_id, &files).await
    }

    /// Starts the import of an upload as a job run (refused while the dry run finds a problem
    /// or there is nothing new).
    pub async fn start_import_batch(
        &self,
        who: &Principal,
        batch: &str,
    ) -> Result<crate::runs::RunView, AppError> {
        let report = self.import_batch_dry_run(who, batch).await?;
        if !report.problems.is_empty() {
            return Err(AppError::Conflict(
                crate::ConflictCode::Other,
                "The files have problems: correct them and upload them again".into(),
            ));
        }
        if report.counts.iter().all(|c| c.new == 0) {
            return Err(AppError::Conflict(
                crate::ConflictCode::Other,
                "Every record in these files is already in Hearth".into(),
            ));
        }
        self.start_run(
            who,
            crate::runs::RunKind::ImportRecords,
            json!({"authority_id": who.authority_id(), "batch": batch}),
        )
        .await
    }
}

/// The empty templates (a header row each), as XLSX workbooks.
pub fn template_files_xlsx() -> Result<Vec<(String, Vec<u8>)>, AppError> {
    TEMPLATES
        .iter()
        .map(|t| Ok((t.file_name(true), t.file(&[], true)?)))
        .collect()
}

/// The empty templates (a header row each), as CSV files.
pub fn template_files_csv() -> Result<Vec<(String, Vec<u8>)>, AppError> {
    TEMPLATES
        .iter()
        .map(|t| Ok((t.file_name(false), t.file(&[], false)?)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The help of the columns with a closed set of values lists exactly that set.
    #[test]
    fn the_templates_list_every_code_their_columns_take() {
        let help = |t: Kind, c: &str| {
            Template::of(t)
                .columns
                .iter()
                .find(|x| x.name == c)
                .unwrap()
                .help
        };
        for v in hearth_domain::ServiceType::ALL {
            assert!(help(Kind::Services, "service_type").contains(v.as_str()));
        }
        for v in hearth_domain::ClientGroup::ALL {
            assert!(help(Kind::Services, "client_group").contains(v.as_str()));
        }
        for v in hearth_domain::ContractStatus::ALL {
            assert!(help(Kind::Contracts, "status").contains(v.as_str()));
        }
        for v in hearth_domain::PositionType::ALL {
            assert!(help(Kind::Contacts, "position_type").contains(v.as_str()));
        }
        for v in hearth_domain::EndReason::ALL {
            assert!(help(Kind::Schedules, "end_reason").contains(v.as_str()));
        }
    }

    #[test]
    fn a_header_row_says_which_template_a_file_is() {
        let h = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let of = |cols: &[&str]| Template::for_header(&h(cols)).map(|t| t.kind);
        assert_eq!(of(&["reference", "name"]), Some(Kind::Providers));
        // Columns in any order, optional ones left out.
        assert_eq!(
            of(&[
                "units_per_week",
                "reference",
                "client_reference",
                "service_reference",
                "start_date"
            ]),
            Some(Kind::Schedules)
        );
        // A required column missing, or one no template has.
        assert_eq!(of(&["reference"]), None);
        assert_eq!(of(&["reference", "name", "colour"]), None);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod doc_tests {
    use super::*;

    /// docs/operations.md lists every column of every template, under its template, with
    /// the same words as the code.
    #[test]
    fn the_operations_guide_lists_every_column_of_every_template() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/operations.md"
        ))
        .unwrap();
        use hearth_domain::directory::{
            ACCOMMODATION_TYPES, AGE_GROUPS, ETHNICITIES, HOUSEHOLD_TYPES, SUPPORT_TASKS,
        };
        for list in [
            SUPPORT_TASKS,
            HOUSEHOLD_TYPES,
            AGE_GROUPS,
            ACCOMMODATION_TYPES,
            ETHNICITIES,
        ] {
            for (code, label) in list {
                assert!(doc.contains(&format!("`{code}` {label}")), "{code}");
            }
        }
        for t in &TEMPLATES {
            let head = format!("**{}** (`{}.csv` or `{}.xlsx`)", t.title, t.name, t.name);
            let at = doc
                .find(&head)
                .unwrap_or_else(|| panic!("no table for {}", t.name));
            let section = &doc[at..];
            let end = section[head.len()..]
                .find("**")
                .map_or(section.len(), |e| e + head.len());
            let section = &section[..end];
            for c in t.columns {
                let row = format!(
                    "| `{}` | {} | {} |",
                    c.name,
                    if c.required { "yes" } else { "" },
                    c.help
                );
                assert!(section.contains(&row), "{}: {row}", t.name);
            }
        }
    }
}
