//! The request bodies of the API's POST operations, for the OpenAPI document: which
//! input each handler reads, under which component name (several modules call their
//! input `RegisterForm`; the name here is the one the document uses).
//!
//! An operation not listed reads no body: logout, and the deletions and checks whose
//! handler takes nothing but the path.

use utoipa::ToSchema;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};

use crate::affairs::{
    burials_web, cemeteries_web, counselling, cremations_web, divorce_web, marriage_web,
    violations_web,
};
use crate::assistance::{
    case_web, policy_web, registry_members, registry_web, review, standards_web,
    temporary_requests, temporary_web, transitions, web as households_web, workbench,
};
use crate::community::{
    certificates_web, consultations_web, illegal_web, orgs_web, socialworkers_web,
    volunteers_person, volunteers_web, workers_web, workitems_web,
};
use crate::elderly::{
    facilities_web, facility_web, inspections_web, people_changes, people_visits, people_web,
};
use crate::homecare::{admin_web, catalogue_web, steps_web};
use crate::payments::{anomalies_web, corrections};

/// A component schema and the schemas it refers to.
pub type Built = (RefOr<Schema>, Vec<(String, RefOr<Schema>)>);

pub const JSON: &str = "application/json";
pub const MULTIPART: &str = "multipart/form-data";

/// One operation's body: method, path, media type, component name, schema.
pub type BodyDoc = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    fn() -> Built,
);

fn of<T: ToSchema>() -> Built {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    (T::schema(), nested)
}

/// One line per operation: easier to check against the route table than rustfmt's layout.
#[rustfmt::skip]
pub const BODIES: &[BodyDoc] = &[
    ("POST", "/api/v1/login", JSON, "LoginInput", of::<crate::auth::login::ApiLogin>),
    ("POST", "/api/v1/households/search", JSON, "HouseholdSearch", of::<households_web::ListSearch>),
    ("POST", "/api/v1/cases/{id}/actions", JSON, "ActInput", of::<transitions::ActInput>),
    ("POST", "/api/v1/workbench/search", JSON, "WorkbenchSearch", of::<workbench::SearchForm>),
    ("POST", "/api/v1/applications", JSON, "ApplicationInput", application),
    ("POST", "/api/v1/cases/{id}/review", JSON, "ReviewInput", of::<review::ReviewInput>),
    ("POST", "/api/v1/cases/{id}/objections", JSON, "ObjectionInput", of::<case_web::ObjectionForm>),
    ("POST", "/api/v1/temporary-requests/{id}/decision", JSON, "TemporaryDecision", of::<temporary_requests::Decision>),
    ("POST", "/api/v1/households/{id}/incomes", JSON, "IncomeInput", of::<registry_web::IncomeForm>),
    ("POST", "/api/v1/households/{id}/incomes/{iid}/delete", JSON, "Versioned", of::<registry_web::Versioned>),
    ("POST", "/api/v1/households/{id}/assets", JSON, "AssetInput", of::<registry_web::AssetForm>),
    ("POST", "/api/v1/households/{id}/assets/{aid}/delete", JSON, "Versioned", of::<registry_web::Versioned>),
    ("POST", "/api/v1/households/{id}/members", JSON, "NewMemberInput", of::<registry_members::NewMemberForm>),
    ("POST", "/api/v1/households/{id}/members/{mid}", JSON, "MemberInput", of::<registry_members::MemberForm>),
    ("POST", "/api/v1/households/{id}/members/{mid}/remove", JSON, "MemberRemoval", of::<registry_members::RemoveForm>),
    ("POST", "/api/v1/temporary-grants", JSON, "TemporaryGrantInput", of::<temporary_web::GrantForm>),
    ("POST", "/api/v1/assistance-standards", JSON, "StandardInput", of::<standards_web::StandardForm>),
    ("POST", "/api/v1/assistance-parameters", JSON, "ParameterInput", of::<policy_web::ParameterForm>),
    ("POST", "/api/v1/assistance-exclusions", JSON, "ExclusionInput", of::<policy_web::ExclusionForm>),
    ("POST", "/api/v1/assistance-exclusions/delete", JSON, "ExclusionInput", of::<policy_web::ExclusionForm>),
    ("POST", "/api/v1/capacity/residents", JSON, "ResidentsInput", of::<crate::capacity::web::ResidentsForm>),
    ("POST", "/api/v1/capacity/posts", JSON, "PostInput", of::<crate::capacity::web::PostForm>),
    ("POST", "/api/v1/capacity/trainings", JSON, "TrainingInput", of::<crate::capacity::web::TrainingForm>),
    ("POST", "/api/v1/elderly/facilities", JSON, "FacilityInput", of::<facilities_web::FacilityForm>),
    ("POST", "/api/v1/elderly/targets", JSON, "BedTargetInput", of::<facilities_web::TargetForm>),
    ("POST", "/api/v1/elderly/facilities/{id}/beds", JSON, "BedInput", of::<facility_web::BedForm>),
    ("POST", "/api/v1/elderly/facilities/{id}/occupancy", JSON, "OccupancyInput", of::<facility_web::OccupancyForm>),
    ("POST", "/api/v1/elderly/facilities/{id}/inspections", JSON, "FacilityInspectionInput", of::<inspections_web::InspectionForm>),
    ("POST", "/api/v1/elderly/hazards/{id}/rectify", JSON, "RectifyInput", of::<inspections_web::RectifyForm>),
    ("POST", "/api/v1/elderly/hazards/{id}/recheck", JSON, "RecheckInput", of::<inspections_web::RecheckForm>),
    ("POST", "/api/v1/payrolls", JSON, "PayrollInput", of::<crate::payments::web::GenerateForm>),
    ("POST", "/api/v1/payrolls/{id}/submit", JSON, "PayrollStep", of::<crate::payments::web::StepForm>),
    ("POST", "/api/v1/payrolls/{id}/approve", JSON, "PayrollStep", of::<crate::payments::web::StepForm>),
    ("POST", "/api/v1/payrolls/{id}/return", JSON, "PayrollStep", of::<crate::payments::web::StepForm>),
    ("POST", "/api/v1/payrolls/{id}/reconcile", MULTIPART, "BankReturnUpload", bank_return),
    ("POST", "/api/v1/payrolls/{id}/corrections", JSON, "CorrectionInput", of::<corrections::CorrectionForm>),
    ("POST", "/api/v1/payment-anomalies/{id}/resolve", JSON, "AnomalyResolution", of::<anomalies_web::ResolveForm>),
    ("POST", "/api/v1/payment-recoveries/{id}", JSON, "RecoveryProgress", of::<anomalies_web::ProgressForm>),
    ("POST", "/api/v1/funds/budgets", JSON, "BudgetInput", of::<crate::funds::web::BudgetForm>),
    ("POST", "/api/v1/funds/allocations", JSON, "AllocationInput", of::<crate::funds::web::AllocationForm>),
    ("POST", "/api/v1/compare/datasets", MULTIPART, "DatasetUpload", dataset),
    ("POST", "/api/v1/compare/runs", JSON, "CompareRunInput", of::<crate::compare::web::RunForm>),
    ("POST", "/api/v1/compare/findings/{id}/take", JSON, "FindingTake", of::<crate::compare::findings_web::TakeForm>),
    ("POST", "/api/v1/compare/findings/{id}/resolve", JSON, "FindingResolution", of::<crate::compare::findings_web::ResolveForm>),
    ("POST", "/api/v1/elderly/people", JSON, "ElderRegistration", of::<people_web::RegisterForm>),
    ("POST", "/api/v1/elderly/people/find", JSON, "ElderSearch", of::<people_web::FindForm>),
    ("POST", "/api/v1/elderly/people/{id}", JSON, "ElderUpdate", of::<people_changes::UpdateForm>),
    ("POST", "/api/v1/elderly/people/{id}/leave", JSON, "ElderLeave", of::<people_changes::LeaveForm>),
    ("POST", "/api/v1/elderly/people/{id}/visits", JSON, "VisitInput", of::<people_visits::VisitForm>),
    ("POST", "/api/v1/homecare/orders", JSON, "OrderInput", of::<crate::homecare::web::PlaceForm>),
    ("POST", "/api/v1/homecare/orders/{id}/dispatch", JSON, "OrderStep", of::<steps_web::StepForm>),
    ("POST", "/api/v1/homecare/orders/{id}/serve", JSON, "OrderStep", of::<steps_web::StepForm>),
    ("POST", "/api/v1/homecare/orders/{id}/rate", JSON, "OrderStep", of::<steps_web::StepForm>),
    ("POST", "/api/v1/homecare/orders/{id}/cancel", JSON, "OrderStep", of::<steps_web::StepForm>),
    ("POST", "/api/v1/homecare/providers", JSON, "ProviderInput", of::<admin_web::ProviderForm>),
    ("POST", "/api/v1/homecare/providers/{id}", JSON, "ProviderInput", of::<admin_web::ProviderForm>),
    ("POST", "/api/v1/homecare/services", JSON, "ServiceInput", of::<catalogue_web::ServiceForm>),
    ("POST", "/api/v1/homecare/services/{id}", JSON, "ServiceInput", of::<catalogue_web::ServiceForm>),
    ("POST", "/api/v1/homecare/allowances", JSON, "AllowanceInput", of::<catalogue_web::AllowanceForm>),
    ("POST", "/api/v1/community/consultations", JSON, "ConsultationInput", of::<consultations_web::ConsultationForm>),
    ("POST", "/api/v1/community/orgs", JSON, "OrgRegistration", of::<orgs_web::RegisterForm>),
    ("POST", "/api/v1/community/orgs/{id}/status", JSON, "OrgStatusChange", of::<orgs_web::StatusForm>),
    ("POST", "/api/v1/community/orgs/{id}/inspections", JSON, "OrgInspectionInput", of::<orgs_web::InspectionForm>),
    ("POST", "/api/v1/community/orgs/{id}/activities", JSON, "OrgActivityInput", of::<orgs_web::ActivityForm>),
    ("POST", "/api/v1/community/illegal-orgs", JSON, "IllegalOrgInput", of::<illegal_web::FoundForm>),
    ("POST", "/api/v1/community/illegal-orgs/{id}/ban", JSON, "IllegalOrgBan", of::<illegal_web::BanForm>),
    ("POST", "/api/v1/community/lists", JSON, "WorkItemInput", of::<workitems_web::AddForm>),
    ("POST", "/api/v1/community/lists/{id}/remove", JSON, "WorkItemRemoval", of::<workitems_web::RemoveForm>),
    ("POST", "/api/v1/community/certificates", JSON, "CertificateInput", of::<certificates_web::IssueForm>),
    ("POST", "/api/v1/community/certificates/find", JSON, "CertificateSearch", of::<certificates_web::FindForm>),
    ("POST", "/api/v1/community/workers", JSON, "WorkerInput", of::<workers_web::AddForm>),
    ("POST", "/api/v1/community/workers/{id}/end", JSON, "WorkerEnd", of::<workers_web::EndForm>),
    ("POST", "/api/v1/community/volunteers", JSON, "VolunteerRegistration", of::<volunteers_web::RegisterForm>),
    ("POST", "/api/v1/community/volunteers/find", JSON, "VolunteerSearch", of::<volunteers_web::FindForm>),
    ("POST", "/api/v1/community/volunteers/{id}/services", JSON, "VolunteerServiceInput", of::<volunteers_person::ServiceForm>),
    ("POST", "/api/v1/community/social-workers", JSON, "SocialWorkerInput", of::<socialworkers_web::AddForm>),
    ("POST", "/api/v1/community/social-workers/{id}", JSON, "SocialWorkerRecertification", of::<socialworkers_web::RecertifyForm>),
    ("POST", "/api/v1/relief/patrols", JSON, "PatrolInput", of::<crate::relief::web::PatrolForm>),
    ("POST", "/api/v1/relief/cases", JSON, "ReliefIntake", of::<crate::relief::intake::IntakeForm>),
    ("POST", "/api/v1/relief/cases/{id}/care", JSON, "ReliefCare", of::<crate::relief::web::CareForm>),
    ("POST", "/api/v1/relief/cases/{id}/identity", JSON, "ReliefIdentity", of::<crate::relief::intake::IdentityForm>),
    ("POST", "/api/v1/relief/cases/{id}/departure", JSON, "ReliefDeparture", of::<crate::relief::web::DepartureForm>),
    ("POST", "/api/v1/affairs/cemeteries", JSON, "CemeteryInput", of::<cemeteries_web::CemeteryInput>),
    ("POST", "/api/v1/affairs/cemeteries/additions", JSON, "PlotAdditionInput", of::<cemeteries_web::AdditionInput>),
    ("POST", "/api/v1/affairs/burials", JSON, "BurialInput", of::<burials_web::BurialInput>),
    ("POST", "/api/v1/affairs/funeral-violations", JSON, "FuneralViolationInput", of::<violations_web::CaseInput>),
    ("POST", "/api/v1/affairs/funeral-violations/{id}/handle", JSON, "FuneralViolationHandling", of::<violations_web::HandleInput>),
    ("POST", "/api/v1/affairs/cremations", JSON, "CremationInput", of::<cremations_web::CremationForm>),
    ("POST", "/api/v1/affairs/marriage/registrations", JSON, "MarriageRegistration", of::<marriage_web::RegisterForm>),
    ("POST", "/api/v1/affairs/marriage/counselling", JSON, "CounsellingInput", of::<counselling::CounsellingForm>),
    ("POST", "/api/v1/affairs/marriage/find", JSON, "MarriageSearch", of::<marriage_web::FindForm>),
    ("POST", "/api/v1/affairs/marriage/divorce-applications", JSON, "DivorceApplication", of::<divorce_web::ApplyForm>),
    ("POST", "/api/v1/affairs/marriage/divorce-applications/{id}/withdraw", JSON, "DivorceWithdrawal", of::<divorce_web::WithdrawForm>),
    ("POST", "/api/v1/affairs/marriage/divorce-applications/{id}/complete", JSON, "DivorceCompletion", of::<divorce_web::CompleteForm>),
];

/// The body of `method path`, if it reads one.
pub fn body_of(method: &str, path: &str) -> Option<&'static BodyDoc> {
    BODIES.iter().find(|(m, p, ..)| *m == method && *p == path)
}

fn text(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .into()
}

fn file(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .description(Some(description))
        .into()
}

/// 网上办理 at the counter: flat text fields as the page's form names them; members
/// `m0_…` to `m5_…`, each with up to two incomes `m{i}_inc{j}_…`.
fn application() -> Built {
    let mut o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "申请表的各项，均为文本；成员 m0…m5（m0 为申请人本人），每位成员至多两项收入 m{i}_inc{j}_…",
        ))
        .property("community", text("所在社区（村）代码，12 位"))
        .property("program", text("申请项目：dibao（低保）或 tekun（特困）"));
    for i in 0..2 {
        for (field, what) in [
            ("name", "姓名"),
            ("id", "身份证号"),
            ("relation", "与申请人关系（本人、配偶、子女…）"),
            ("hukou", "户口性质：urban 或 rural"),
            ("work", "劳动能力代码"),
            ("self_care", "生活自理能力代码"),
            ("disability_grade", "残疾等级 1–4，可空"),
            ("disability_kind", "残疾类别代码"),
            ("illness", "重病：1 为是"),
            ("student", "在校生：1 为是"),
            ("employment", "就业情况"),
        ] {
            o = o.property(format!("m{i}_{field}"), text(what));
        }
        for j in 0..2 {
            for (field, what) in [
                ("kind", "收入类型代码"),
                ("item", "收入项目"),
                ("monthly", "月金额（元）"),
                ("months", "近 12 个月中取得的月数"),
            ] {
                o = o.property(format!("m{i}_inc{j}_{field}"), text(what));
            }
        }
    }
    for (field, what) in [
        ("financial", "存款及有价证券（元）"),
        ("vehicle_kind", "机动车类型代码，none 为无"),
        ("vehicle_value", "机动车价值（元）"),
        ("homes", "住房套数"),
        ("commercial", "商业用房套数"),
        (
            "business_capital",
            "所任法定代表人或股东企业的注册资本（元）",
        ),
        ("business_operating", "企业在经营：1 为是"),
        ("phone", "联系电话"),
        ("reason", "申请理由"),
        (
            "close_relative",
            "有近亲属为民政工作人员或村（居）委会成员：1 为是",
        ),
        ("close_relative_note", "近亲属说明"),
        ("declaration", "承诺属实：须为 1"),
        ("consent", "授权核对家庭经济状况：须为 1"),
    ] {
        o = o.property(field, text(what));
    }
    let o = o.additional_properties(Some(AdditionalProperties::RefOr(text(
        "其余成员 m2…m5 同上",
    ))));
    (o.into(), Vec::new())
}

fn bank_return() -> Built {
    let o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("file", file("银行回盘文件（CSV）"))
        .required("file");
    (o.into(), Vec::new())
}

fn dataset() -> Built {
    let o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("source", text("数据来源代码"))
        .property("received_on", text("接收日期 YYYY-MM-DD，空为今天"))
        .property("file", file("数据文件（CSV 或 XLSX）"))
        .required("source")
        .required("file");
    (o.into(), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_name_means_one_schema() {
        for (_, path, _, name, build) in BODIES {
            for (_, other, _, same, again) in BODIES {
                if name == same {
                    assert_eq!(
                        serde_json::to_value(build().0).unwrap(),
                        serde_json::to_value(again().0).unwrap(),
                        "{name}: {path} and {other} differ"
                    );
                }
            }
        }
    }

    #[test]
    fn each_operation_is_listed_once() {
        for (i, (method, path, ..)) in BODIES.iter().enumerate() {
            assert!(
                !BODIES[i + 1..]
                    .iter()
                    .any(|(m, p, ..)| m == method && p == path),
                "{method} {path} listed twice"
            );
        }
    }
}
