//! The public information pages the footer links: accessibility statement, privacy notice,
//! cookies, how to complain, and the open data page that explains the Open Referral UK API.
//! Plain GOV.UK content pages, the same for everyone, with no sign-in.

use axum::routing::get;
use maud::{html, Markup};

use crate::layout::render;
use crate::routes::{Access, RouteTable};
use crate::session::MaybeCtx;

pub fn register(t: &mut RouteTable) {
    t.get("/accessibility", Access::Public, get(accessibility));
    t.get("/privacy", Access::Public, get(privacy));
    t.get("/cookies", Access::Public, get(cookies));
    t.get("/complaints", Access::Public, get(complaints));
    t.get("/open-data", Access::Public, get(open_data));
}

fn content(body: Markup) -> Markup {
    html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" { (body) }
        }
    }
}

async fn accessibility(MaybeCtx(ctx): MaybeCtx) -> axum::response::Response {
    let body = content(html! {
        h1 class="govuk-heading-l" { "Accessibility statement" }
        p class="govuk-body" { "This statement applies to this service: the public directory of housing-related support and day services, the provider portal and the commissioning team's back office. The council runs it." }
        p class="govuk-body" { "We want as many people as possible to be able to use it. You should be able to:" }
        ul class="govuk-list govuk-list--bullet" {
            li { "change colours, contrast levels and fonts using your browser or device settings" }
            li { "zoom in up to 400% without the text spilling off the screen" }
            li { "navigate the whole service using just a keyboard" }
            li { "navigate the whole service using speech recognition software" }
            li { "listen to the whole service using a screen reader" }
            li { "use the service without JavaScript" }
        }
        p class="govuk-body" { "The service is built with the GOV.UK Design System, whose components are tested with assistive technologies." }
        h2 class="govuk-heading-m" { "How accessible this service is" }
        p class="govuk-body" { "We know some parts are not fully accessible:" }
        ul class="govuk-list govuk-list--bullet" {
            li { "on a small screen, some wide tables scroll sideways inside their own box" }
            li { "charts on the returns analysis pages are pictures; the same figures are given in the table below each chart and in the CSV and XLSX downloads" }
            li { "documents that providers upload (such as signed contracts) may not be accessible; the commissioning team can give you the same information in another format" }
        }
        h2 class="govuk-heading-m" { "Feedback and contact information" }
        p class="govuk-body" { "If you need information from this service in a different format, such as accessible PDF, large print, easy read or audio, or you find a problem that is not listed on this page, contact the commissioning team. We will consider your request and get back to you within 10 working days." }
        h2 class="govuk-heading-m" { "Enforcement procedure" }
        p class="govuk-body" { "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the 'accessibility regulations'). If you're not happy with how we respond to your complaint, contact the " a class="govuk-link" href="https://www.equalityadvisoryservice.com/" { "Equality Advisory and Support Service (EASS)" } "." }
        h2 class="govuk-heading-m" { "Technical information about this service's accessibility" }
        p class="govuk-body" { "The council is committed to making this service accessible, in accordance with the accessibility regulations. This service is partially compliant with the " a class="govuk-link" href="https://www.w3.org/TR/WCAG22/" { "Web Content Accessibility Guidelines version 2.2" } " AA standard, due to the issues listed above." }
        h2 class="govuk-heading-m" { "How we tested this service" }
        p class="govuk-body" { "Every release is checked by automated tests that open the pages in a browser and run the axe-core accessibility checks, and that use the main journeys with a keyboard." }
    });
    render(ctx.as_ref(), "Accessibility statement", body)
}

async fn privacy(MaybeCtx(ctx): MaybeCtx) -> axum::response::Response {
    let body = content(html! {
        h1 class="govuk-heading-l" { "Privacy notice" }
        p class="govuk-body" { "This notice explains what personal information this service holds, why, and your rights. The council is the data controller." }
        h2 class="govuk-heading-m" { "What we hold and why" }
        ul class="govuk-list govuk-list--bullet" {
            li { strong { "Staff and provider contacts: " } "your name, work e-mail address, role and organisation, so you can sign in and so the council can manage the contracts it funds." }
            li { strong { "People receiving support: " } "the details providers send about the clients of the services the council funds (such as name, date of birth, National Insurance number and the dates support started and ended), so the council can pay for and check the support it commissions." }
            li { strong { "Records of use: " } "an audit trail of who saw or changed what and when, and the address your requests came from, to keep the service secure and to show that records have not been tampered with." }
        }
        p class="govuk-body" { "The public directory lists services and organisations only. Searching it does not ask for, or keep, your name, and a postcode you search by is used for that search only." }
        h2 class="govuk-heading-m" { "Our legal basis" }
        p class="govuk-body" { "We use this information to carry out the council's public tasks of commissioning and monitoring housing-related support (UK GDPR Article 6(1)(e)). Information about people's health or circumstances is used for reasons of substantial public interest, as the Data Protection Act 2018 allows." }
        h2 class="govuk-heading-m" { "Who we share it with" }
        p class="govuk-body" { "Only the organisation that supports a person and the council's own commissioning, contracts and finance staff can see that person's details. We do not sell information or use it for marketing." }
        h2 class="govuk-heading-m" { "How long we keep it" }
        p class="govuk-body" { "Contract and client records are kept for as long as the council's records retention schedule requires, usually six years after a contract ends. Sign-in sessions end after a period without use." }
        h2 class="govuk-heading-m" { "Your rights" }
        p class="govuk-body" { "You can ask to see the information we hold about you, to have it corrected, or to object to how we use it. Contact the council's data protection officer. If you are unhappy with our answer, you can complain to the " a class="govuk-link" href="https://ico.org.uk/make-a-complaint/" { "Information Commissioner's Office" } "." }
    });
    render(ctx.as_ref(), "Privacy notice", body)
}

async fn cookies(MaybeCtx(ctx): MaybeCtx) -> axum::response::Response {
    let row = |name: &str, purpose: &str, expires: &str| {
        html! {
            tr class="govuk-table__row" {
                td class="govuk-table__cell" { (name) }
                td class="govuk-table__cell" { (purpose) }
                td class="govuk-table__cell" { (expires) }
            }
        }
    };
    let body = content(html! {
        h1 class="govuk-heading-l" { "Cookies" }
        p class="govuk-body" { "Cookies are small files saved on your phone, tablet or computer when you visit a website." }
        p class="govuk-body" { "This service uses only the cookies it needs to work. They are not used to track you or for advertising, and no analytics cookies are set, so we do not ask for your consent." }
        h2 class="govuk-heading-m" { "Essential cookies" }
        (crate::layout::scrolling_table("Essential cookies", html! {
            table class="govuk-table" {
                thead class="govuk-table__head" {
                    tr class="govuk-table__row" {
                        th class="govuk-table__header" scope="col" { "Name" }
                        th class="govuk-table__header" scope="col" { "Purpose" }
                        th class="govuk-table__header" scope="col" { "Expires" }
                    }
                }
                tbody class="govuk-table__body" {
                    (row("hearth-session", "Keeps you signed in as you move from page to page", "When you sign out or close your browser, or after a period without use"))
                    (row("hearth-csrf", "Checks that a form you send came from this service", "When you close your browser"))
                    (row("hearth-device", "Recognises a browser you have signed in from before, so that repeated wrong passwords from elsewhere do not lock you out", "1 year"))
                }
            }
        }))
        p class="govuk-body" { "On the live service these names start with " code { "__Host-" } ", which means the cookie is only ever sent over a secure connection to this service." }
    });
    render(ctx.as_ref(), "Cookies", body)
}

async fn complaints(MaybeCtx(ctx): MaybeCtx) -> axum::response::Response {
    let body = content(html! {
        h1 class="govuk-heading-l" { "How to complain" }
        p class="govuk-body" { "You can complain about this service, or about a housing-related support or day service the council funds." }
        h2 class="govuk-heading-m" { "A complaint about a support service" }
        p class="govuk-body" { "First tell the organisation that provides the service: each one has its own complaints procedure, and its contact details are on its page in the " a class="govuk-link" href="/directory" { "directory" } ". If you are not happy with its answer, you can ask the council's commissioning team to look at it." }
        h2 class="govuk-heading-m" { "A complaint about the council" }
        p class="govuk-body" { "Contact the council's customer services and say that your complaint is about housing-related support. Tell us:" }
        ul class="govuk-list govuk-list--bullet" {
            li { "what happened and when" }
            li { "what you would like us to do to put it right" }
            li { "how we can contact you" }
        }
        p class="govuk-body" { "We will acknowledge your complaint within 5 working days and reply in full within 20 working days. If we need longer, we will tell you why and when to expect an answer." }
        h2 class="govuk-heading-m" { "If you are still not happy" }
        p class="govuk-body" { "You can ask the " a class="govuk-link" href="https://www.lgo.org.uk/" { "Local Government and Social Care Ombudsman" } " to look at your complaint once the council's complaints procedure has finished." }
        p class="govuk-body" { "To complain about how we use personal information, see the " a class="govuk-link" href="/privacy" { "privacy notice" } "." }
    });
    render(ctx.as_ref(), "How to complain", body)
}

async fn open_data(MaybeCtx(ctx): MaybeCtx) -> axum::response::Response {
    let body = content(html! {
        h1 class="govuk-heading-l" { "Open data: the directory of services" }
        p class="govuk-body" { "The services in the " a class="govuk-link" href="/directory" { "public directory" } " are published as open data, so that other directories, websites and apps can show them and keep them up to date." }
        p class="govuk-body" { "The data follows the " a class="govuk-link" href="https://openreferraluk.org/" { "Open Referral UK" } " standard, version 3.0: the same format many councils and charities use to publish local services." }
        h2 class="govuk-heading-m" { "What is published" }
        ul class="govuk-list govuk-list--bullet" {
            li { "each service's name, description, type, the people it is for, and the support it gives" }
            li { "the organisation that runs it" }
            li { "where it is, when it has a public location" }
            li { "the places available today" }
        }
        p class="govuk-body" { "No information about the people the services support is ever published." }
        h2 class="govuk-heading-m" { "Using the API" }
        p class="govuk-body" { "The data is available as JSON from a web API. You do not need a key or an account, and any website may call it from a browser." }
        ul class="govuk-list" {
            li { a class="govuk-link" href="/api/oruk/" { "API overview" } " (the version and a link to the description)" }
            li { a class="govuk-link" href="/api/oruk/services" { "List of services" } " (in pages; add " code { "?page=2" } " for the next)" }
            li { a class="govuk-link" href="/api/oruk/openapi.json" { "OpenAPI description" } " (every address, parameter and field)" }
        }
        p class="govuk-body" { "Each record has an identifier that does not change, so you can update your copy rather than replace it." }
    });
    render(ctx.as_ref(), "Open data", body)
}
