//! The facts the assistance rules decide on: a household's members, their incomes and
//! the household's assets, as the rules see them (no storage concerns here).

use crate::money::Fen;
use crate::region::UrbanRural;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Applicant,
    Spouse,
    Child,
    Parent,
    Sibling,
    Grandparent,
    Grandchild,
    Other,
}

impl Relation {
    pub fn label(self) -> &'static str {
        match self {
            Relation::Applicant => "本人",
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::Parent => "父母",
            Relation::Sibling => "兄弟姐妹",
            Relation::Grandparent => "祖父母",
            Relation::Grandchild => "孙子女",
            Relation::Other => "其他",
        }
    }
    pub fn from_label(s: &str) -> Option<Relation> {
        [
            Relation::Applicant,
            Relation::Spouse,
            Relation::Child,
            Relation::Parent,
            Relation::Sibling,
            Relation::Grandparent,
            Relation::Grandchild,
            Relation::Other,
        ]
        .into_iter()
        .find(|r| r.label() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkCapacity {
    Full,
    Partial,
    Lost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisabilityKind {
    Visual,
    Hearing,
    Speech,
    Physical,
    Intellectual,
    Mental,
    Multiple,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disability {
    /// 1 (most severe) to 4.
    pub grade: u8,
    pub kind: DisabilityKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfCare {
    /// 全自理
    Full,
    /// 半失能
    Partial,
    /// 全失能
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncomeKind {
    /// 工资性收入 (a share is deducted as the cost of working)
    Wage,
    /// 经营净收入
    Business,
    /// 财产净收入
    Property,
    /// 转移净收入 (incl. pensions)
    Transfer,
}

impl IncomeKind {
    pub fn label(self) -> &'static str {
        match self {
            IncomeKind::Wage => "工资性收入",
            IncomeKind::Business => "经营净收入",
            IncomeKind::Property => "财产净收入",
            IncomeKind::Transfer => "转移净收入",
        }
    }
}

/// One income item of a member over the 12 months before the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Income {
    pub kind: IncomeKind,
    pub monthly: Fen,
    /// Months (0–12) of the last 12 in which it was received.
    pub months: u32,
    /// On the not-counted list (优抚金, 高龄津贴, 残疾人两项补贴, …).
    pub excluded: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub relation: Relation,
    /// Age in whole years on the decision date (derived from the ID number).
    pub age: u32,
    pub work_capacity: WorkCapacity,
    pub disability: Option<Disability>,
    pub serious_illness: bool,
    pub self_care: SelfCare,
    /// A covered person (保障对象) of the household's 低保.
    pub covered: bool,
    pub incomes: Vec<Income>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VehicleKind {
    Car,
    Truck,
    /// 两轮、三轮摩托车
    Motorcycle,
    /// 残疾人专用车
    DisabilityVehicle,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vehicle {
    pub kind: VehicleKind,
    pub value: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusinessRole {
    /// Legal representative or shareholder.
    pub registered_capital: Fen,
    pub operating: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assets {
    /// Deposits and securities of all members.
    pub financial: Fen,
    pub vehicles: Vec<Vehicle>,
    pub homes: u32,
    pub commercial_properties: u32,
    pub business_roles: Vec<BusinessRole>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Household {
    pub area: UrbanRural,
    pub members: Vec<Member>,
    pub assets: Assets,
}

/// The programs a case can be for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    Dibao,
    Tekun,
}

impl Program {
    pub fn code(self) -> &'static str {
        match self {
            Program::Dibao => "dibao",
            Program::Tekun => "tekun",
        }
    }
    pub fn from_code(s: &str) -> Option<Program> {
        match s {
            "dibao" => Some(Program::Dibao),
            "tekun" => Some(Program::Tekun),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Program::Dibao => "低保",
            Program::Tekun => "特困",
        }
    }
    pub fn from_label(s: &str) -> Option<Program> {
        match s {
            "低保" => Some(Program::Dibao),
            "特困" => Some(Program::Tekun),
            _ => None,
        }
    }
}

/// Why a case ended. The first five are 清退 (removed as ineligible, METRICS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitReason {
    IncomeAbove,
    AssetsAbove,
    Verification,
    FalseInfo,
    Refusal,
    Death,
    Moved,
    Withdrawal,
    GradualEnd,
}

pub const EXIT_REASONS: [ExitReason; 9] = [
    ExitReason::IncomeAbove,
    ExitReason::AssetsAbove,
    ExitReason::Verification,
    ExitReason::FalseInfo,
    ExitReason::Refusal,
    ExitReason::Death,
    ExitReason::Moved,
    ExitReason::Withdrawal,
    ExitReason::GradualEnd,
];

impl ExitReason {
    pub fn code(self) -> &'static str {
        match self {
            ExitReason::IncomeAbove => "income_above",
            ExitReason::AssetsAbove => "assets_above",
            ExitReason::Verification => "verification",
            ExitReason::FalseInfo => "false_info",
            ExitReason::Refusal => "refusal",
            ExitReason::Death => "death",
            ExitReason::Moved => "moved",
            ExitReason::Withdrawal => "withdrawal",
            ExitReason::GradualEnd => "gradual_end",
        }
    }
    /// The wording of the roster's 停保原因 column.
    pub fn label(self) -> &'static str {
        match self {
            ExitReason::IncomeAbove => "收入超标",
            ExitReason::AssetsAbove => "财产超标",
            ExitReason::Verification => "核查不符",
            ExitReason::FalseInfo => "虚报瞒报",
            ExitReason::Refusal => "拒不配合",
            ExitReason::Death => "死亡",
            ExitReason::Moved => "迁出",
            ExitReason::Withdrawal => "主动退出",
            ExitReason::GradualEnd => "渐退期满",
        }
    }
    pub fn from_code(s: &str) -> Option<ExitReason> {
        EXIT_REASONS.into_iter().find(|r| r.code() == s)
    }
    pub fn from_label(s: &str) -> Option<ExitReason> {
        EXIT_REASONS.into_iter().find(|r| r.label() == s)
    }
    /// Counted as 清退 (removed as ineligible) in the quarterly figures.
    pub fn is_removal(self) -> bool {
        matches!(
            self,
            ExitReason::IncomeAbove
                | ExitReason::AssetsAbove
                | ExitReason::Verification
                | ExitReason::FalseInfo
                | ExitReason::Refusal
        )
    }
}

impl WorkCapacity {
    pub fn label(self) -> &'static str {
        match self {
            WorkCapacity::Full => "完全劳动能力",
            WorkCapacity::Partial => "部分劳动能力",
            WorkCapacity::Lost => "丧失劳动能力",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            WorkCapacity::Full => "full",
            WorkCapacity::Partial => "partial",
            WorkCapacity::Lost => "lost",
        }
    }
    pub fn from_label(s: &str) -> Option<WorkCapacity> {
        match s {
            "完全劳动能力" | "完全" => Some(WorkCapacity::Full),
            "部分劳动能力" | "部分" => Some(WorkCapacity::Partial),
            "丧失劳动能力" | "丧失" => Some(WorkCapacity::Lost),
            _ => None,
        }
    }
    pub fn from_code(s: &str) -> Option<WorkCapacity> {
        [
            WorkCapacity::Full,
            WorkCapacity::Partial,
            WorkCapacity::Lost,
        ]
        .into_iter()
        .find(|w| w.code() == s)
    }
}

impl SelfCare {
    pub fn label(self) -> &'static str {
        match self {
            SelfCare::Full => "全自理",
            SelfCare::Partial => "半失能",
            SelfCare::None => "全失能",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            SelfCare::Full => "full",
            SelfCare::Partial => "partial",
            SelfCare::None => "none",
        }
    }
    pub fn from_label(s: &str) -> Option<SelfCare> {
        [SelfCare::Full, SelfCare::Partial, SelfCare::None]
            .into_iter()
            .find(|c| c.label() == s)
    }
    pub fn from_code(s: &str) -> Option<SelfCare> {
        [SelfCare::Full, SelfCare::Partial, SelfCare::None]
            .into_iter()
            .find(|c| c.code() == s)
    }
}

pub const DISABILITY_KINDS: [DisabilityKind; 7] = [
    DisabilityKind::Visual,
    DisabilityKind::Hearing,
    DisabilityKind::Speech,
    DisabilityKind::Physical,
    DisabilityKind::Intellectual,
    DisabilityKind::Mental,
    DisabilityKind::Multiple,
];

impl DisabilityKind {
    pub fn code(self) -> &'static str {
        match self {
            DisabilityKind::Visual => "visual",
            DisabilityKind::Hearing => "hearing",
            DisabilityKind::Speech => "speech",
            DisabilityKind::Physical => "physical",
            DisabilityKind::Intellectual => "intellectual",
            DisabilityKind::Mental => "mental",
            DisabilityKind::Multiple => "multiple",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DisabilityKind::Visual => "视力",
            DisabilityKind::Hearing => "听力",
            DisabilityKind::Speech => "言语",
            DisabilityKind::Physical => "肢体",
            DisabilityKind::Intellectual => "智力",
            DisabilityKind::Mental => "精神",
            DisabilityKind::Multiple => "多重",
        }
    }
    pub fn from_code(s: &str) -> Option<DisabilityKind> {
        DISABILITY_KINDS.into_iter().find(|k| k.code() == s)
    }
}

pub const INCOME_KINDS: [IncomeKind; 4] = [
    IncomeKind::Wage,
    IncomeKind::Business,
    IncomeKind::Property,
    IncomeKind::Transfer,
];

impl IncomeKind {
    pub fn code(self) -> &'static str {
        match self {
            IncomeKind::Wage => "wage",
            IncomeKind::Business => "business",
            IncomeKind::Property => "property",
            IncomeKind::Transfer => "transfer",
        }
    }
    pub fn from_code(s: &str) -> Option<IncomeKind> {
        INCOME_KINDS.into_iter().find(|k| k.code() == s)
    }
}

pub const VEHICLE_KINDS: [VehicleKind; 5] = [
    VehicleKind::Car,
    VehicleKind::Truck,
    VehicleKind::Motorcycle,
    VehicleKind::DisabilityVehicle,
    VehicleKind::Other,
];

impl VehicleKind {
    pub fn code(self) -> &'static str {
        match self {
            VehicleKind::Car => "car",
            VehicleKind::Truck => "truck",
            VehicleKind::Motorcycle => "motorcycle",
            VehicleKind::DisabilityVehicle => "disability",
            VehicleKind::Other => "other",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            VehicleKind::Car => "小汽车",
            VehicleKind::Truck => "货车",
            VehicleKind::Motorcycle => "两轮/三轮摩托车",
            VehicleKind::DisabilityVehicle => "残疾人专用车",
            VehicleKind::Other => "其他机动车",
        }
    }
    pub fn from_code(s: &str) -> Option<VehicleKind> {
        VEHICLE_KINDS.into_iter().find(|k| k.code() == s)
    }
}

pub const RELATIONS: [Relation; 8] = [
    Relation::Applicant,
    Relation::Spouse,
    Relation::Child,
    Relation::Parent,
    Relation::Sibling,
    Relation::Grandparent,
    Relation::Grandchild,
    Relation::Other,
];
