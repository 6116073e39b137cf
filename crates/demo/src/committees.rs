//! The demo council's committees and self-assessment, from the seeds: `004`'s scrutiny commission
//! with its agenda, work programme and forward plan; `001`'s policy committee paper with its cover
//! sheet (EIA 2412) and options appraisal (options 1, 3, 4 rejected, 2 neither, 5 preferred);
//! `003`'s Cabinet key decision (EIA 207); and `004`'s self-assessment claims with their evidence,
//! keeping the seed's slip (E20 cited as "D20") and citing E83, which no library holds (the seed
//! numbers its evidence E82 then E84), so the library's flags show.

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::governance::committees::{CoverSheet, ItemFields, NewCommittee, NewItem, NewMeeting, NewOption};
use caremarket_core::governance::quarter::Quarter;
use caremarket_core::governance::self_assessment::{NewClaim, NewEvidence};
use caremarket_store::{Actor, Store};

fn invalid(e: impl std::fmt::Display) -> DemoError {
    DemoError::Invalid(e.to_string())
}

fn days(today: Date, n: i64) -> Date {
    if n >= 0 {
        today.checked_add(jiff::Span::new().days(n)).unwrap_or(today)
    } else {
        today.checked_sub(jiff::Span::new().days(-n)).unwrap_or(today)
    }
}

/// A cover sheet's answers as a form gives them: EIA, its reference, exempt, the paragraph, which
/// part, key decision, its reasons.
type Cover<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a [&'a str]);

struct DemoItem<'a> {
    meeting: Option<&'a str>,
    title: &'a str,
    detail: &'a str,
    officer: &'a str,
    proposed: &'a str,
    paper: (&'a str, &'a str),
    recommendations: &'a str,
    cover: Cover<'a>,
}

const NO_COVER: Cover<'static> = ("", "", "", "", "", "", &[]);

async fn add_item(store: &Store, actor: &Actor, committee: &str, meetings: &[&str], i: DemoItem<'_>) -> Result<String, DemoError> {
    let (eia, eia_ref, exempt, paragraph, exempt_detail, key, reasons) = i.cover;
    let cover = CoverSheet::parse(eia, eia_ref, exempt, paragraph, exempt_detail, key, reasons);
    let f = ItemFields {
        meeting_id: i.meeting.unwrap_or(""),
        title: i.title,
        detail: i.detail,
        officer: i.officer,
        proposed: i.proposed,
        paper_title: i.paper.0,
        paper_url: i.paper.1,
        recommendations: i.recommendations,
        progress: "",
    };
    let item = NewItem::parse(&f, cover, meetings).map_err(invalid)?;
    Ok(store.add_committee_item(actor, committee, &item).await?)
}

fn item<'a>(meeting: Option<&'a str>, title: &'a str, detail: &'a str, officer: &'a str) -> DemoItem<'a> {
    DemoItem { meeting, title, detail, officer, proposed: "", paper: ("", ""), recommendations: "", cover: NO_COVER }
}

pub async fn generate_committees(store: &Store, today: Date) -> Result<(), DemoError> {
    let actor = Actor::system("demo");
    let assessment = generate_self_assessment(store, &actor, today).await?;
    let director = "Strategic Director for Social Care and Education";
    let last_quarter = Quarter::containing(today).previous();

    // `004`: the Adult Social Care Scrutiny Commission.
    let scrutiny = store
        .create_committee(
            &actor,
            &NewCommittee::parse(
                "Adult Social Care Scrutiny Commission",
                "Scrutinises adult social care: the quality of care, the council's commissioning, and its preparation for CQC assurance.",
            )
            .map_err(invalid)?,
        )
        .await?;
    let mut meetings = Vec::new();
    for (offset, place) in [
        (-60, "Meeting Room G.01, Ground Floor, City Hall"),
        (30, "Meeting Room G.01, Ground Floor, City Hall"),
        (90, "Meeting Rooms G.01 and G.02, City Hall"),
    ] {
        let m = NewMeeting::parse(Some(days(today, offset)), "5:30 pm", place).map_err(invalid)?;
        meetings.push(store.add_meeting(&actor, &scrutiny, &m).await?);
    }
    let ids: Vec<&str> = meetings.iter().map(String::as_str).collect();
    let (past, next, later) = (Some(ids[0]), Some(ids[1]), Some(ids[2]));
    let assessment_url = format!("/governance/self-assessment/{assessment}");
    let past_items = [
        DemoItem {
            recommendations: "The Commission noted the proposed model for commissioning home care and asked for the outcome of the procurement.",
            ..item(
                past,
                "Future of domiciliary care",
                "The Strategic Director for Social Care and Education submits a report on the future of domiciliary care.",
                director,
            )
        },
        item(
            past,
            "Quality of care provision",
            "The Strategic Director for Social Care and Education submits a report regarding the quality-of-care provision for Adult Social Care.",
            director,
        ),
        DemoItem {
            paper: ("Our self-assessment", &assessment_url),
            ..item(
                past,
                "Self-assessment of social care ahead of CQC inspection",
                "A report regarding Adult Social Care's preparation for Care Quality Commission (CQC) Assurance.",
                director,
            )
        },
        item(
            past,
            "Work programme",
            "The current work programme for the Commission. The Commission will be asked to consider it and make comments and/or amendments.",
            "Scrutiny Policy Officer",
        ),
    ];
    for i in past_items {
        add_item(store, &actor, &scrutiny, &ids, i).await?;
    }
    let report = format!("/reports/quarterly?as_at={}", last_quarter.end());
    let report_title = format!("Market Oversight Report, {}", last_quarter.label());
    add_item(
        store,
        &actor,
        &scrutiny,
        &ids,
        DemoItem {
            paper: (&report_title, &report),
            cover: ("yes", "2468", "no", "", "", "no", &[]),
            ..item(
                next,
                "Market oversight: the quarterly report",
                "Sufficiency, quality and value for money of each market, with the delivery plan.",
                "Assistant Director Commissioning and Partnerships",
            )
        },
    )
    .await?;
    add_item(store, &actor, &scrutiny, &ids, item(next, "Budget", "ASC budget proposals for the coming year.", "Director of Finance"))
        .await?;
    add_item(store, &actor, &scrutiny, &ids, item(later, "Safeguarding Annual Report", "", "Independent Chair, Safeguarding Adults Board"))
        .await?;
    // `004`'s "Forward Plan Items (suggested)": topics, the first with its proposed date.
    let proposed = days(today, 45).strftime("%-d %B %Y").to_string();
    let forward = [
        (
            "Response to the Adult Social Care Scrutiny Commission Task Group – Understanding the increasing cost of care packages within Adult Social Care budgetary pressures",
            "",
            proposed.as_str(),
        ),
        ("ASC Improvement Journey – A preferable future", "", ""),
        ("Carers", "", ""),
        ("Cost of living re provision of care impacts update", "", ""),
        ("Mental Health Services", "", ""),
        ("Assured Plans and Market Sustainability, including fair cost of care", "", ""),
        ("Assistive Aids and Technology", "", ""),
        ("ASC Budget Monitoring", "", ""),
        ("Transition from Childrens to Adults Social Care and the Growing Needs of Autism", "", ""),
        ("Workforce", "Work to be undertaken by the Overview Select Committee", ""),
        ("Dementia strategy", "", ""),
        ("Winter Planning", "", ""),
        ("Healthwatch Annual Report", "", ""),
    ];
    for (title, detail, when) in forward {
        add_item(store, &actor, &scrutiny, &ids, DemoItem { proposed: when, ..item(None, title, detail, "") }).await?;
    }

    // `001`: the policy committee's paper on direct payments and its options appraisal.
    let policy =
        store.create_committee(&actor, &NewCommittee::parse("Adult Health and Social Care Policy Committee", "").map_err(invalid)?).await?;
    let pm =
        store.add_meeting(&actor, &policy, &NewMeeting::parse(Some(days(today, -20)), "10:00 am", "Town Hall").map_err(invalid)?).await?;
    let plan_url = match store.delivery_plans().await?.first() {
        Some(p) => format!("/governance/delivery-plans/{}", p.id),
        None => String::new(),
    };
    let dp = add_item(
        store,
        &actor,
        &policy,
        &[pm.as_str()],
        DemoItem {
            paper: ("Personalisation and Direct Payments Strategy Delivery Plan", &plan_url),
            recommendations: "1. Note the continued progress of the Direct Payment Improvement programme, including the creation of a Personalisation Board.\n2. Endorse the planned activity for the next 12 months.\n3. Approve commissioning strategy Option 5: Provide a Direct Payment Support Service as an in-house service offer.",
            cover: ("yes", "2412", "no", "", "", "no", &[]),
            ..item(
                Some(&pm),
                "Personalisation and Direct Payments Update",
                "An update on progress against the Delivery Plan of the Personalisation and Direct Payments Strategy, and the options appraisal for the future model of the Direct Payment Support Service.",
                "Strategic Commissioning Manager",
            )
        },
    )
    .await?;
    let options = [
        ("Option 1: Do Nothing", "rejected", "Not legally compliant"),
        (
            "Option 2: Commission the Direct Payment Support Service from a third-party provider",
            "neither",
            "Similar to option 5 in meeting the requirements; but a third-party provider has no access to council systems, its other services cause confusion, and procurement and inflation risk a higher cost.",
        ),
        (
            "Option 3: Build a consortium of community and user led organisations who work collectively to provide a Direct Payment Support Service",
            "rejected",
            "Local user-led organisation indicate they are not interested in developing this model and others are not currently ready to deliver.",
        ),
        (
            "Option 4: Include provision within individual Direct Payment budgets that enables people to arrange and purchase their own Direct Payment support from an open market of providers",
            "rejected",
            "Challenging to forecast volume of support required and the Council would have limited control over provider pricing strategies and costs.",
        ),
        (
            "Option 5: Provide the Direct Payment Support Service as an in-house service offer",
            "preferred",
            "Meets all our requirements, with other councils working in this way; viable within the existing financial envelope (£170,000 per annum).",
        ),
    ];
    for (o, outcome, reason) in options {
        store.add_appraisal_option(&actor, &dp, &NewOption::parse(o, outcome, reason, None).map_err(invalid)?).await?;
    }

    // `003`: a Cabinet key decision, and a paper with an exempt appendix.
    let cabinet = store.create_committee(&actor, &NewCommittee::parse("Cabinet", "").map_err(invalid)?).await?;
    let cm =
        store.add_meeting(&actor, &cabinet, &NewMeeting::parse(Some(days(today, 21)), "2:00 pm", "Town Hall").map_err(invalid)?).await?;
    let cms = [cm.as_str()];
    add_item(
        store,
        &actor,
        &cabinet,
        &cms,
        DemoItem {
            recommendations: "Approve the Promoting Independence business case, including the proposed method of funding using social investment.",
            cover: ("yes", "207", "no", "", "", "yes", &["expenditure"]),
            ..item(
                Some(&cm),
                "Promoting Independence",
                "An outcomes-based contract to improve outcomes for adults with long term mental health conditions receiving 24/7 residential or nursing care support.",
                "Policy and Improvement Officer",
            )
        },
    )
    .await?;
    add_item(
        store,
        &actor,
        &cabinet,
        &cms,
        DemoItem {
            cover: (
                "yes",
                "233",
                "yes",
                "3",
                "Appendix 2 (providers' cost of care returns) only",
                "yes",
                &["expenditure", "affects_wards"],
            ),
            ..item(
                Some(&cm),
                "Care home fee rates",
                "Fee rates for residential and nursing care for the coming year.",
                "Head of Commissioning",
            )
        },
    )
    .await?;
    Ok(())
}

/// `004`'s self-assessment, against CQC's 9 quality statements, with its evidence library.
async fn generate_self_assessment(store: &Store, actor: &Actor, today: Date) -> Result<String, DemoError> {
    let dated_on = Quarter::containing(today).previous().end();
    let title = format!("Our self-assessment {}", dated_on.strftime("%B %Y"));
    let id = store.create_self_assessment(actor, &title, dated_on).await?;
    let library: [(&str, &str, &str, i64); 29] = [
        ("E9", "Our Promise for ASC", "Director of Adult Social Care", 300),
        ("E15", "Strengths-based practice performance framework", "Strengths-Based Practice Implementation Lead", 120),
        ("E16", "Integrated Care System partnership arrangements", "Director of Adult Social Care", 200),
        ("E17", "Health and Wellbeing Board: terms of reference and minutes", "Democratic Support", 90),
        ("E18", "Joint Integrated Commissioning Board: terms of reference", "Head of Commissioning", 150),
        ("E19", "Integrated Systems of Care (ISOC) delivery group", "Head of Service, HomeFirst", 150),
        ("E20", "ASC hospital discharge performance", "Head of Performance", 60),
        ("E22", "ASCOF and performance information", "Head of Performance", 60),
        ("E23", "Equity of access and experience analysis", "Head of Performance", 100),
        ("E24", "Making it Real: our commitment", "Principal Social Worker", 250),
        ("E25", "Strengths-based practice toolkit (with SCIE)", "Principal Social Worker", 280),
        ("E26", "Linked assessment documentation", "Head of Service, Assessment", 200),
        ("E35", "Await Care list", "Head of Brokerage", 30),
        ("E38", "Commendations received", "Customer Relations Manager", 45),
        ("E43", "Care Navigators in primary care", "Head of Service, Prevention", 180),
        ("E44", "Care Navigator outcomes report", "Head of Service, Prevention", 90),
        ("E51", "Equality of experience data", "Head of Performance", 75),
        ("E52", "Anti-Racism Test and Learn Group", "Equalities Lead", 120),
        ("E61", "Multi-agency Improvement Planning process", "Head of Quality Assurance", 160),
        ("E66", "Housing and ASC strategic working group", "Head of Commissioning", 140),
        ("E72", "Preparing for Adulthood Strategy", "Head of Service, Transitions", 210),
        ("E73", "Independence Resource Checklist", "Head of Service, Transitions", 190),
        ("E75", "Health and social care funding agreement", "Director of Adult Social Care", 170),
        ("E78", "Safeguarding Adults Board strategic plan", "Safeguarding Adults Board Manager", 330),
        ("E79", "Safeguarding Adults Board development event", "Safeguarding Adults Board Manager", 40),
        ("E82", "Safeguarding Adults Review action tracker", "Safeguarding Adults Board Manager", 20),
        ("E87", "Vulnerable Adult Risk Management (VARM) approach", "Head of Safeguarding", 230),
        ("E97", "Use of Resources report", "Head of Finance, Social Care", 110),
        ("E98", "Risk management framework and registers", "Head of Performance", 50),
    ];
    for (reference, title, owner, age) in library {
        let e = NewEvidence::parse(reference, title, owner, Some(days(dated_on, -age)), "", today).map_err(invalid)?;
        store.add_evidence(actor, &id, &e).await?;
    }
    let a = store.self_assessment(&id).await?;
    let statement = |n: i64| {
        a.statements
            .iter()
            .find(|s| s.statement.number == n)
            .map(|s| s.id.clone())
            .ok_or_else(|| invalid(format!("no quality statement {n}")))
    };
    // (statement, kind, text as `004` words it, references cited in brackets).
    let claims: [(i64, &str, &str); 21] = [
        (
            1,
            "strength",
            "Our approach to assessment, care planning and review is person centred, strengths based and creates a framework that enables people, from all of the different communities across the city, to have support that makes a positive difference (E9). We have embraced Making it Real across the department (E24) and developed a national toolkit together with SCIE (E25).",
        ),
        (
            1,
            "strength",
            "We have fundamentally changed documentation to support a linked assessment model, reducing process and instead focussing on conversations, what matters to people and what they wish to achieve (E26). A Performance Framework for Strengths Based Practice tells us what impact we are making (E15).",
        ),
        (
            1,
            "area_for_improvement",
            "Too many people are not receiving their planned annual review and some people, with lower needs or risks, are waiting too long for an assessment (E22).",
        ),
        (
            2,
            "strength",
            "Our integrated HomeFirst offer is a strength, which is recognised by partners and receives positive feedback from people who draw on support and carers. We note this in the regular commendations received (E38).",
        ),
        (
            2,
            "strength",
            "Care Navigators have been embedded in preventative work within primary care for over 10 years (E43). Their impact has been positive across a wide range of areas (E44).",
        ),
        (
            2,
            "area_for_improvement",
            "We are not yet providing timely or sufficient information, advice or support to carers. Our carers data from the ASCOF survey would point to this being the case (E22).",
        ),
        (
            3,
            "strength",
            "We use data to understand whether people's experience of ASC is equitable (E51) and take this learning into our internal forums supporting equality, diversity and inclusion, such as the Anti-Racism Test and Learn Group (E52).",
        ),
        (
            3,
            "area_for_improvement",
            "Early engagement, rather than formal assessment / support, is the area of most noted disproportionality between communities (E23).",
        ),
        (
            4,
            "strength",
            "ISOC has supported operational change, for example to create an integrated HomeFirst offer which includes mental health services (E19), resulting in excellent admission avoidance services and good ASC discharge performance (D20) through effective promotion of independence.",
        ),
        (
            4,
            "strength",
            "We delivered a joint framework for domiciliary care, which is robust and where we have very few difficulties securing support for people, despite exponential growth in demand over the last 4 years. The impact is evidenced in our Await Care list (E35).",
        ),
        (
            4,
            "area_for_improvement",
            "The quality of our providers is challenging. We work directly with providers who are not delivering high quality care, often supporting them proactively before regulatory action is required (E61).",
        ),
        (
            5,
            "strength",
            "Our partnerships with NHS colleagues are set out at system level (E16) and also work at place through the Health and Wellbeing Board (E17), a Joint Integrated Commissioning Board (E18) and Integrated Systems of Care (ISOC) delivery group (E19).",
        ),
        (
            5,
            "area_for_improvement",
            "Our joint working with other agencies and community partners would benefit from further development. Although we do work at a strategic level with our Housing department (E66), we still experience challenges in securing accommodation for people.",
        ),
        (
            6,
            "strength",
            "Partnership working arrangements are in place to safeguard young people transitioning into adulthood (E72). We use the Independence Resource Checklist (E73) to identify strengths and where extra support would promote independence.",
        ),
        (
            6,
            "area_for_improvement",
            "Funding decisions between health and social care can be a challenge, more so in mental health and learning disability work where high-cost packages are required for complex individual needs (E75).",
        ),
        (
            7,
            "strength",
            "Our Safeguarding Adults Board has a strategic plan in place (E78), which is being refreshed following a development event (E79).",
        ),
        (7, "strength", "The learning from reviews is translated into clear action and tracked for delivery (E83)."),
        (
            7,
            "area_for_improvement",
            "The interface between adult safeguarding and the Vulnerable Adult Risk Management (VARM) approach (E87) needs to be clearer.",
        ),
        (
            8,
            "strength",
            "The council and ASC have a good overview of risks and a healthy approach to risk management, which has recently been refreshed to ensure clear links between strategic and operational risks (E98).",
        ),
        (
            8,
            "area_for_improvement",
            "Our use of resources is a concern that we are addressing, as our Use of Resources report will show (E97). The key issue is the volume of support provided to people, coupled with the rate of growth in need.",
        ),
        (
            9,
            "area_for_improvement",
            "Staff who are not directly engaged with the various governance arrangements are less clear about what they are. We know this from feedback from staff at workshops.",
        ),
    ];
    for (n, kind, text) in claims {
        let c = NewClaim::parse(kind, text, "").map_err(invalid)?;
        store.add_claim(actor, &statement(n)?, &c).await?;
    }
    Ok(id)
}
