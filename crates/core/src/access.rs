//! Roles and what each may do. Checked server-side on every route (web crate) from these rules,
//! so a rule changes in one place.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Commissioner,
    QualityOfficer,
    BrokerageOfficer,
    DirectPaymentsOfficer,
    Viewer,
    /// An elected member: reads governance papers and reports, nothing personal (issue 12).
    Councillor,
    /// Democratic services' scrutiny officer: reads governance papers and reports, nothing
    /// personal, and keeps scrutiny reviews and their progress updates (`002`).
    ScrutinyOfficer,
    Provider,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Commissioner,
        Role::QualityOfficer,
        Role::BrokerageOfficer,
        Role::DirectPaymentsOfficer,
        Role::Viewer,
        Role::Councillor,
        Role::ScrutinyOfficer,
        Role::Provider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Commissioner => "commissioner",
            Role::QualityOfficer => "quality_officer",
            Role::BrokerageOfficer => "brokerage_officer",
            Role::DirectPaymentsOfficer => "direct_payments_officer",
            Role::Viewer => "viewer",
            Role::Councillor => "councillor",
            Role::ScrutinyOfficer => "scrutiny_officer",
            Role::Provider => "provider",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Commissioner => "Commissioner",
            Role::QualityOfficer => "Quality officer",
            Role::BrokerageOfficer => "Brokerage officer",
            Role::DirectPaymentsOfficer => "Direct payments officer",
            Role::Viewer => "Viewer",
            Role::Councillor => "Councillor",
            Role::ScrutinyOfficer => "Scrutiny officer",
            Role::Provider => "Provider user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Role::ALL.into_iter().find(|r| r.as_str() == s || (s == "dp_officer" && *r == Role::DirectPaymentsOfficer))
    }

    /// Council officers see the internal register; provider users see only the portal;
    /// councillors and scrutiny officers see only governance and reports.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Provider | Role::Councillor | Role::ScrutinyOfficer)
    }

    /// Whether the role reads only governance papers and reports (issue 12): councillors and
    /// scrutiny officers. Nothing personal: no person's records (brokerage requests, direct
    /// payments, PAs, placements, exit plans, signals), and nothing else of the register either.
    pub fn is_member(self) -> bool {
        matches!(self, Role::Councillor | Role::ScrutinyOfficer)
    }

    /// Where a person lands on signing in: the portal, governance, or the market dashboard.
    pub fn home(self) -> &'static str {
        match self {
            Role::Provider => "/portal",
            // Officers whose day is a queue start at it; the market dashboard is one click away.
            Role::QualityOfficer | Role::BrokerageOfficer | Role::DirectPaymentsOfficer => "/work",
            r if r.is_member() => "/governance",
            _ => "/dashboard",
        }
    }

    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ViewRegister => self.is_staff(),
            EditCouncilFields => matches!(self, Admin | Commissioner),
            ImportCqc => matches!(self, Admin),
            // Contract frameworks and their lots and members (not quality assessment frameworks).
            ManageContractFrameworks => matches!(self, Admin | Commissioner),
            // Placements name people (by reference): special category data, so not for viewers.
            ViewPlacements => matches!(self, Admin | Commissioner | QualityOfficer | BrokerageOfficer),
            EditPlacements => matches!(self, Admin | Commissioner | BrokerageOfficer),
            ReadAudit => matches!(self, Admin),
            ManageUsers => matches!(self, Admin),
            UseApiTokens => self.is_staff(),
            ProviderPortal => matches!(self, Provider),
            // C3/C4 capacity and brokerage. Providers submit their own vacancy returns through
            // the portal (checked against their provider there), not through this permission.
            ViewCapacity => self.is_staff(),
            SubmitVacancies => matches!(self, Admin | Commissioner | QualityOfficer | BrokerageOfficer),
            // Package requests carry person references: brokerage and commissioning only.
            ManageBrokerage => matches!(self, Admin | Commissioner | BrokerageOfficer),
            ViewBrokerage => matches!(self, Admin | Commissioner | BrokerageOfficer | QualityOfficer),
            RecordRestrictions => matches!(self, Admin | Commissioner | QualityOfficer),
            // C5/C6 direct payments: only direct payments roles see DP records (issue 5).
            ViewDirectPayments => matches!(self, Admin | DirectPaymentsOfficer),
            EditDirectPayments => matches!(self, Admin | DirectPaymentsOfficer),
            ManagePaRegister => matches!(self, Admin | DirectPaymentsOfficer),
            UseRateTools => matches!(self, Admin | DirectPaymentsOfficer | Commissioner),
            ViewDirectPaymentFigures => matches!(self, Admin | DirectPaymentsOfficer | Commissioner),
            // C2 quality assurance (issue 3). Every staff role sees quality status, visits,
            // action plans, the watch list and the figures; only quality roles record them.
            ViewQuality => self.is_staff(),
            RecordQuality => matches!(self, Admin | QualityOfficer),
            // RAG, escalation and embargo decisions are taken by quality officers with commissioners.
            SetQualityStatus => matches!(self, Admin | QualityOfficer | Commissioner),
            ManageFrameworks => matches!(self, Admin | QualityOfficer),
            // Signals include safeguarding concerns and whistleblowing: not for viewers or brokerage.
            ViewSignals => matches!(self, Admin | QualityOfficer | Commissioner),
            RecordSignals => matches!(self, Admin | QualityOfficer),
            // Exit plans list people by reference: the roles that find them new arrangements.
            ViewExitPlans => matches!(self, Admin | Commissioner | QualityOfficer | BrokerageOfficer),
            ManageExitPlans => matches!(self, Admin | Commissioner | QualityOfficer | BrokerageOfficer),
            // C9 governance (issue 12): the delivery plan and scrutiny hold no personal data, so
            // every council role reads them, councillors and scrutiny officers included;
            // commissioners keep the plan.
            ViewGovernance => self.is_staff() || self.is_member(),
            ManageGovernance => matches!(self, Admin | Commissioner),
            // Scrutiny reviews and their graded progress updates (`002`): the scrutiny officer
            // records them with the commissioners whose services answer the recommendations.
            // Councillors read them: the committee receives the update, it does not write it.
            ManageScrutiny => matches!(self, Admin | Commissioner | ScrutinyOfficer),
            // Committee reports (the quarterly Market Oversight Report): figures, no person.
            ViewReports => self.is_staff() || self.is_member(),
            // C7 fees (issue 11): rates are commercial, so commissioners, brokerage officers
            // (who place packages at them) and direct payments officers (who compare them) read
            // them; commissioners keep them, confirm uplifts and decide fee requests.
            ViewFees => matches!(self, Admin | Commissioner | BrokerageOfficer | DirectPaymentsOfficer),
            ManageFees => matches!(self, Admin | Commissioner),
            // Cost of care returns are providers' commercial figures (issue 11 item 4):
            // commissioners only, narrower than the rates (ViewFees).
            ViewCostOfCare => matches!(self, Admin | Commissioner),
            // What a CQC import changed in the market (issue 16 item 13): every council officer
            // may read the list (ViewRegister); commissioners and quality officers, who act on a
            // rating fall or a new service, acknowledge it.
            AcknowledgeCqcChanges => matches!(self, Admin | Commissioner | QualityOfficer),
            // Finance figures (issue 11 items 5-7): supported living actuals and recoveries,
            // budgets and spend, home care reconciliation and payment schedules. What the council
            // pays each provider and recovers from it: commissioners only, like cost of care.
            // Changes need ManageFees as well.
            ViewFinance => matches!(self, Admin | Commissioner),
            // C10 outcomes-based contracts (issue 13 items 4-7): the cohort is people by case
            // reference with their placements (special category data, like placements), and the
            // payments are commercial: commissioners only read and keep them. The SPV and its
            // providers claim through the portal (ProviderPortal) for contracts they are party to.
            ViewOutcomes => matches!(self, Admin | Commissioner),
            ManageOutcomes => matches!(self, Admin | Commissioner),
            // C8 workforce (issue 13): providers' staff in aggregate (no names), so every council
            // officer reads the figures, the returns behind them and the Ethical Care Charter;
            // commissioners keep the charter positions, the Living Wage rates and enter returns.
            // Providers send their own returns through the portal (ProviderPortal).
            ViewWorkforce => self.is_staff(),
            ManageWorkforce => matches!(self, Admin | Commissioner),
        }
    }
}

impl Role {
    /// Whether any of this role's permissions comes with a file upload: only such a role may
    /// send a request body larger than a form (issue 17 item 2). Each upload route still checks
    /// its own permission before reading the file.
    pub fn may_upload(self) -> bool {
        Permission::UPLOADS.iter().any(|p| self.can(*p))
    }
}

impl Permission {
    /// The permissions whose pages take a file: CQC imports, theme codings, frameworks,
    /// provider returns (officers and the portal), vacancy returns, direct payments imports and
    /// delivery plan and scrutiny progress update tables, and cost of care returns.
    pub const UPLOADS: [Permission; 10] = [
        Permission::ImportCqc,
        Permission::RecordQuality,
        Permission::ManageFrameworks,
        Permission::RecordSignals,
        Permission::ProviderPortal,
        Permission::SubmitVacancies,
        Permission::EditDirectPayments,
        Permission::ManageGovernance,
        Permission::ManageScrutiny,
        Permission::ManageFees,
    ];
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ViewRegister,
    EditCouncilFields,
    ImportCqc,
    ManageContractFrameworks,
    ViewPlacements,
    EditPlacements,
    ReadAudit,
    ManageUsers,
    UseApiTokens,
    ProviderPortal,
    ViewCapacity,
    SubmitVacancies,
    ManageBrokerage,
    ViewBrokerage,
    RecordRestrictions,
    ViewDirectPayments,
    EditDirectPayments,
    ManagePaRegister,
    UseRateTools,
    ViewDirectPaymentFigures,
    ViewQuality,
    RecordQuality,
    SetQualityStatus,
    ManageFrameworks,
    ViewSignals,
    RecordSignals,
    ViewExitPlans,
    ManageExitPlans,
    ViewGovernance,
    ManageGovernance,
    ManageScrutiny,
    ViewReports,
    ViewFees,
    ManageFees,
    ViewCostOfCare,
    AcknowledgeCqcChanges,
    ViewFinance,
    ViewOutcomes,
    ManageOutcomes,
    ViewWorkforce,
    ManageWorkforce,
}

impl Permission {
    /// Every permission, for the role matrix.
    pub const ALL: [Permission; 41] = [
        Permission::ViewRegister,
        Permission::EditCouncilFields,
        Permission::ImportCqc,
        Permission::ManageContractFrameworks,
        Permission::ViewPlacements,
        Permission::EditPlacements,
        Permission::ReadAudit,
        Permission::ManageUsers,
        Permission::UseApiTokens,
        Permission::ProviderPortal,
        Permission::ViewCapacity,
        Permission::SubmitVacancies,
        Permission::ManageBrokerage,
        Permission::ViewBrokerage,
        Permission::RecordRestrictions,
        Permission::ViewDirectPayments,
        Permission::EditDirectPayments,
        Permission::ManagePaRegister,
        Permission::UseRateTools,
        Permission::ViewDirectPaymentFigures,
        Permission::ViewQuality,
        Permission::RecordQuality,
        Permission::SetQualityStatus,
        Permission::ManageFrameworks,
        Permission::ViewSignals,
        Permission::RecordSignals,
        Permission::ViewExitPlans,
        Permission::ManageExitPlans,
        Permission::ViewGovernance,
        Permission::ManageGovernance,
        Permission::ManageScrutiny,
        Permission::ViewReports,
        Permission::ViewFees,
        Permission::ManageFees,
        Permission::ViewCostOfCare,
        Permission::AcknowledgeCqcChanges,
        Permission::ViewFinance,
        Permission::ViewOutcomes,
        Permission::ManageOutcomes,
        Permission::ViewWorkforce,
        Permission::ManageWorkforce,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_restrict() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("Quality Officer"), Some(Role::QualityOfficer));
        assert!(!Role::Viewer.can(Permission::EditCouncilFields));
        assert!(!Role::Viewer.can(Permission::ViewPlacements));
        assert!(!Role::Provider.can(Permission::ViewRegister));
        assert!(Role::Commissioner.can(Permission::EditCouncilFields));
        assert!(!Role::Commissioner.can(Permission::ImportCqc));
        assert!(Role::Commissioner.can(Permission::ManageContractFrameworks));
        assert!(!Role::QualityOfficer.can(Permission::ManageContractFrameworks));
        assert!(!Role::Viewer.can(Permission::ManageContractFrameworks));
    }

    #[test]
    fn councillors_and_scrutiny_officers_read_governance_and_reports_only() {
        let reads = [Permission::ViewGovernance, Permission::ViewReports];
        for p in Permission::ALL {
            assert_eq!(Role::Councillor.can(p), reads.contains(&p), "councillor: {p:?}");
            assert_eq!(Role::ScrutinyOfficer.can(p), reads.contains(&p) || p == Permission::ManageScrutiny, "scrutiny officer: {p:?}");
        }
        assert!(!Role::Councillor.may_upload());
        assert_eq!((Role::Councillor.home(), Role::ScrutinyOfficer.home()), ("/governance", "/governance"));
        assert_eq!((Role::Provider.home(), Role::Viewer.home()), ("/portal", "/dashboard"));
        assert_eq!(
            (Role::QualityOfficer.home(), Role::BrokerageOfficer.home(), Role::DirectPaymentsOfficer.home()),
            ("/work", "/work", "/work")
        );
    }

    #[test]
    fn scrutiny_is_kept_by_commissioners_and_scrutiny_officers_and_reports_read_by_all_council_roles() {
        let keep: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(Permission::ManageScrutiny)).collect();
        assert_eq!(keep, [Role::Admin, Role::Commissioner, Role::ScrutinyOfficer]);
        let read: Vec<Role> = Role::ALL.into_iter().filter(|r| !r.can(Permission::ViewReports)).collect();
        assert_eq!(read, [Role::Provider]);
    }

    #[test]
    fn fees_are_read_by_commercial_roles_and_kept_by_commissioners() {
        let read: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(Permission::ViewFees)).collect();
        assert_eq!(read, [Role::Admin, Role::Commissioner, Role::BrokerageOfficer, Role::DirectPaymentsOfficer]);
        let keep: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(Permission::ManageFees)).collect();
        assert_eq!(keep, [Role::Admin, Role::Commissioner]);
        let cost: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(Permission::ViewCostOfCare)).collect();
        assert_eq!(cost, [Role::Admin, Role::Commissioner]);
        let finance: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(Permission::ViewFinance)).collect();
        assert_eq!(finance, [Role::Admin, Role::Commissioner]);
    }

    #[test]
    fn outcomes_contracts_are_read_and_kept_by_commissioners_only() {
        for p in [Permission::ViewOutcomes, Permission::ManageOutcomes] {
            let who: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(p)).collect();
            assert_eq!(who, [Role::Admin, Role::Commissioner], "{p:?}");
        }
    }

    #[test]
    fn workforce_is_read_by_council_officers_and_kept_by_commissioners() {
        let read: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(Permission::ViewWorkforce)).collect();
        assert_eq!(
            read,
            [Role::Admin, Role::Commissioner, Role::QualityOfficer, Role::BrokerageOfficer, Role::DirectPaymentsOfficer, Role::Viewer]
        );
        let keep: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can(Permission::ManageWorkforce)).collect();
        assert_eq!(keep, [Role::Admin, Role::Commissioner]);
    }
}

#[cfg(test)]
mod security_doc {
    use super::{Permission, Role};

    /// `docs/security.md`'s permission table says who holds each permission, for every role: it
    /// must say what `Role::can` says, and name every permission (issue 17 item 12).
    #[test]
    fn the_security_docs_table_agrees_with_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
        let text = std::fs::read_to_string(path).expect("docs/security.md");
        let mut lines = text.lines().skip_while(|l| !l.starts_with("| Permission | What it allows |"));
        let header: Vec<String> = lines.next().expect("the table").split('|').map(|c| c.trim().to_string()).collect();
        let columns: Vec<Option<Role>> =
            header.iter().map(|h| Role::ALL.into_iter().find(|r| r.label() == h || (h == "Admin" && *r == Role::Admin))).collect();
        for role in Role::ALL {
            assert!(columns.contains(&Some(role)), "docs/security.md's table has no column for {}", role.label());
        }
        let mut named = std::collections::BTreeSet::new();
        let mut faults = Vec::new();
        for row in lines.skip(1).take_while(|l| l.starts_with('|')) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let names: Vec<&str> = cells[1].split([',', ' ']).filter(|w| !w.is_empty() && *w != "or").collect();
            let permissions: Vec<Permission> =
                names.iter().filter_map(|n| Permission::ALL.into_iter().find(|p| format!("{p:?}") == *n)).collect();
            if permissions.is_empty() {
                continue; // "(signed in)": no permission, every role
            }
            named.extend(permissions.iter().map(|p| format!("{p:?}")));
            for (i, column) in columns.iter().enumerate() {
                let Some(role) = column else { continue };
                let ticked = cells.get(i).is_some_and(|c| *c == "✓");
                let holds = permissions.iter().any(|p| role.can(*p));
                if ticked != holds {
                    faults.push(format!(
                        "{}: {} {}",
                        cells[1],
                        role.label(),
                        if holds { "holds it, not ticked" } else { "ticked, does not hold it" }
                    ));
                }
            }
        }
        for p in Permission::ALL {
            if !named.contains(&format!("{p:?}")) {
                faults.push(format!("{p:?} has no row"));
            }
        }
        assert!(faults.is_empty(), "docs/security.md's permission table:\n{}", faults.join("\n"));
    }
}
