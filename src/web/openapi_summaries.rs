//! The one-line summary of every JSON route, as the OpenAPI document shows it (checked
//! against the route table by tests/it/api_document.rs).

/// What each API route does, as a client developer reads it.
pub(super) const SUMMARIES: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/api/v1/login",
        "登录，返回会话 Cookie 和 CSRF 令牌",
    ),
    ("POST", "/api/v1/logout", "退出登录"),
    ("GET", "/api/v1/me", "当前用户、角色和辖区"),
    ("GET", "/api/v1/users", "账号列表（系统管理员）"),
    ("GET", "/api/v1/audit", "审计日志查询"),
    ("GET", "/api/v1/regions", "行政区划树（本辖区）"),
    ("GET", "/api/v1/regions/{code}", "一个区划节点及其下级"),
    (
        "GET",
        "/api/v1/households",
        "救助家庭列表（按区划、项目、状态筛选，分页）",
    ),
    (
        "POST",
        "/api/v1/households/search",
        "按成员姓名（或姓）查找救助家庭（{\"name\", \"program\", \"status\", \"region\", \"page\"}，姓名不放在地址里）",
    ),
    (
        "GET",
        "/api/v1/households/{id}",
        "救助家庭、成员（证件号脱敏）和案件",
    ),
    (
        "GET",
        "/api/v1/cases/{id}",
        "救助案件：家庭情况、核算说明、办理经过、异议、复核和当前可办理的操作",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/actions",
        "办理案件（受理、调查、审核意见、公示、区县审核、延期、审批、不予批准、退回重新调查、停保），按版本号乐观锁",
    ),
    (
        "GET",
        "/api/v1/workbench",
        "工作台：我的待办、逾期、到期复核、渐退期满、先行救助待补齐",
    ),
    (
        "POST",
        "/api/v1/workbench/search",
        "按受理编号、户编号或成员姓名查找本辖区案件（{\"q\": …}，姓名不放在地址里）",
    ),
    (
        "GET",
        "/api/v1/assistance-lists",
        "专项名单：list=close_relative 近亲属备案，list=marginal 低保边缘家庭",
    ),
    (
        "POST",
        "/api/v1/applications",
        "窗口受理申请：字段同申请表（community、program、m0_name、m0_id…），值均为字符串；有误时 422 列出全部问题",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/review",
        "复核在保案件（version、note 复核情况必填、found_work、exit_reason）：按当日情况和政策重新核算，维持、提高、降低、渐退或停保",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/objections",
        "登记公示异议（content、received_on）",
    ),
    (
        "GET",
        "/api/v1/temporary-requests",
        "临时救助报批：本辖区待审批的（最早的在前）和最近 30 笔已审批的；can_decide 表示本人可审批",
    ),
    (
        "POST",
        "/api/v1/temporary-requests/{id}/decision",
        "审批一笔临时救助报批（另须 assistance:temporary:approve_district 或 approve_city，按报批层级；{\"decision\": \"approve\"|\"reject\", \"reason\": …}，不予批准须写原因）；批准即登记为当日发放",
    ),
    (
        "GET",
        "/api/v1/households/{id}/registry",
        "一户的登记信息（成员情况、收入、财产）和版本号；修改时须带回版本号",
    ),
    (
        "POST",
        "/api/v1/households/{id}/incomes",
        "登记成员收入（member_id、kind、item、monthly、months、version；金额和月数为字符串）",
    ),
    (
        "POST",
        "/api/v1/households/{id}/incomes/{iid}/delete",
        "删除一项收入（version）",
    ),
    (
        "POST",
        "/api/v1/households/{id}/assets",
        "登记家庭财产（kind、vehicle_kind、value、operating、version）",
    ),
    (
        "POST",
        "/api/v1/households/{id}/assets/{aid}/delete",
        "删除一项财产（version）",
    ),
    (
        "POST",
        "/api/v1/households/{id}/members",
        "增加家庭成员（name、id_number、relation、hukou、work_capacity、version）",
    ),
    (
        "POST",
        "/api/v1/households/{id}/members/{mid}",
        "更新成员情况（劳动能力、残疾、重病、自理能力、在学、就业、是否保障对象；version）",
    ),
    (
        "POST",
        "/api/v1/households/{id}/members/{mid}/remove",
        "减少家庭成员（reason、version）",
    ),
    (
        "POST",
        "/api/v1/temporary-grants",
        "登记临时救助（字段同页面表单，值为字符串）；超出本级审批权限的自动报批，返回 request_id",
    ),
    (
        "GET",
        "/api/v1/assistance-standards",
        "政策参数：各区县城乡低保标准（含历史）、市级参数（现行值、范围、历史）和不计入收入的项目",
    ),
    (
        "POST",
        "/api/v1/assistance-standards",
        "设置一个区县的城市或农村低保标准（district_code、area、effective_from、standard）",
    ),
    (
        "POST",
        "/api/v1/assistance-parameters",
        "设置市级政策参数（key、value、effective_from）",
    ),
    (
        "POST",
        "/api/v1/assistance-exclusions",
        "增加不计入家庭收入的项目（item）",
    ),
    (
        "POST",
        "/api/v1/assistance-exclusions/delete",
        "恢复计入家庭收入的项目（item）",
    ),
    (
        "GET",
        "/api/v1/reports/quarterly",
        "季度报表（quarter=2026Q3、region=区划代码，默认上一个完整季度和本人区划）：METRICS.md 的全部数字及城乡拆分，并列出下一级各区划",
    ),
    (
        "GET",
        "/api/v1/reports/balance",
        "区县均衡分析（quarter=2026Q3）：各区县指标、极值、极差比、变异系数和城乡差距；尚无数据的指标为 null 并说明原因",
    ),
    (
        "GET",
        "/api/v1/capacity",
        "各区县常住人口、民政工作人员编制与实有（按岗位）及本年培训",
    ),
    (
        "POST",
        "/api/v1/capacity/residents",
        "录入区县某年末常住人口（district_code、year、urban、rural）",
    ),
    (
        "POST",
        "/api/v1/capacity/posts",
        "设置区县某岗位的编制数和实有人数（district_code、post、authorised、filled）",
    ),
    (
        "POST",
        "/api/v1/capacity/trainings",
        "登记区县工作人员参加的培训（district_code、post、held_on、topic、attendees）",
    ),
    (
        "POST",
        "/api/v1/capacity/trainings/{id}/delete",
        "删除误录的培训记录（请求体 {}）",
    ),
    (
        "GET",
        "/api/v1/elderly/facilities",
        "本人区划内的养老服务设施（kind 筛选）：各类运营设施的床位与护理型占比、养老机构护理型床位占比对照 55% 目标、year 年度建设目标完成情况",
    ),
    (
        "POST",
        "/api/v1/elderly/facilities",
        "登记或更新设施（number 为键；name、kind、community、ownership、status、opened_on、operator、star_grade、beds、nursing_beds 为开业床位）",
    ),
    (
        "POST",
        "/api/v1/elderly/targets",
        "设定区县某年度某类设施的新建目标（district_code、year、kind、target）",
    ),
    (
        "GET",
        "/api/v1/elderly/facilities/{id}",
        "一个设施：当天床位、护理型占比、入住率、床位变动历史、检查记录及隐患",
    ),
    (
        "POST",
        "/api/v1/elderly/facilities/{id}/beds",
        "登记床位变动（effective_on、beds、nursing_beds 为增减数，note）；任何一天的床位不得为负，护理型不得多于总数",
    ),
    (
        "POST",
        "/api/v1/elderly/facilities/{id}/occupancy",
        "更新在住老人数（version、occupied）",
    ),
    (
        "POST",
        "/api/v1/elderly/facilities/{id}/inspections",
        "记录一次检查（inspected_on、item、inspectors、notes、hazards:[{description、severity、deadline}]）",
    ),
    (
        "POST",
        "/api/v1/elderly/hazards/{id}/rectify",
        "登记隐患整改（version、rectified_on、rectification）",
    ),
    (
        "POST",
        "/api/v1/elderly/hazards/{id}/recheck",
        "登记复查（version、rechecked_on、passed）：通过则销号，未通过退回整改",
    ),
    (
        "GET",
        "/api/v1/elderly/inspections",
        "逾期未整改的隐患（按区县计数）和专项行动视图（quarter=2026Q4：运营中的养老机构本季度是否已检查）",
    ),
    (
        "GET",
        "/api/v1/payrolls",
        "本人区划内的发放名册（月份、区县、类别、状态、笔数、金额、到账和失败笔数）",
    ),
    (
        "POST",
        "/api/v1/payrolls",
        "生成（尚未提交时重新生成）某月某区县某类别的发放名册（month、program、district_code）",
    ),
    (
        "GET",
        "/api/v1/payrolls/{id}",
        "一份名册及其明细（每页 100 笔，after=上一页最后一笔的 id；银行账号脱敏）",
    ),
    (
        "POST",
        "/api/v1/payrolls/{id}/submit",
        "提交名册审批（version）",
    ),
    (
        "POST",
        "/api/v1/payrolls/{id}/approve",
        "审批名册（version）；生成或提交的人不能审批",
    ),
    (
        "POST",
        "/api/v1/payrolls/{id}/return",
        "退回名册（version、note）",
    ),
    (
        "GET",
        "/api/v1/payrolls/{id}/export",
        "导出银行文件（format=csv 或 xlsx，含完整账号；须近期重新输入过密码，记入审计）",
    ),
    (
        "POST",
        "/api/v1/payrolls/{id}/reconcile",
        "导入银行回盘（multipart，字段 file：参考号、金额、结果、失败原因），对账到分，不符时 422 列出差异",
    ),
    (
        "POST",
        "/api/v1/payrolls/{id}/corrections",
        "银行文件导出前更正一笔（version、line=参考号、action=amount 更正金额 / remove 移出名册、amount、reason）；已审批的退回待审批",
    ),
    (
        "GET",
        "/api/v1/payment-anomalies",
        "本人区划内的异常发放（待核查在前）和追回记录（含经过）",
    ),
    (
        "POST",
        "/api/v1/payment-anomalies/check",
        "按五条规则核查近 12 个月的发放（请求体 {}），返回新发现的条数",
    ),
    (
        "POST",
        "/api/v1/payment-anomalies/{id}/resolve",
        "处理异常（outcome=confirm 属实 / dismiss 不属实，result=核查结果）；停保或死亡后多发属实的自动立案追回",
    ),
    (
        "POST",
        "/api/v1/payment-recoveries/{id}",
        "办理追回（status=recovering 追回 / written_off 核销，amount=本次追回金额，note=说明）",
    ),
    (
        "GET",
        "/api/v1/funds",
        "某年（year，缺省本年）各区县、各项目的预算、下达（按中央/省/市/区县来源）、实际支出、到位率和执行率，以及下达记录；金额为元",
    ),
    (
        "POST",
        "/api/v1/funds/budgets",
        "设置某区县某年某项目某来源的预算（district_code、year、program=dibao/tekun/temporary、source=central/province/city/district、amount 元）",
    ),
    (
        "POST",
        "/api/v1/funds/allocations",
        "登记资金下达（district_code、year、program、source、amount 元、allocated_on、document_no 文号）",
    ),
    (
        "POST",
        "/api/v1/funds/allocations/{id}/delete",
        "删除误录的资金下达记录（请求体 {}）",
    ),
    (
        "GET",
        "/api/v1/compare/datasets",
        "已导入的部门数据集（来源、接收日期、行数、有效和另存行数及示例、校验和）和最近的比对",
    ),
    (
        "POST",
        "/api/v1/compare/datasets",
        "导入部门数据（multipart：source、received_on、file），同一文件不重复导入",
    ),
    (
        "POST",
        "/api/v1/compare/runs",
        "用各来源（sources，缺省全部）的最新数据集比对在救助中的人员，返回各来源匹配和新疑点数",
    ),
    (
        "GET",
        "/api/v1/compare/findings",
        "本人区划内的比对疑点（status、source、rule 筛选，page 翻页），待核查在前，每页 200 条；返回 total，每条的 stale 表示之后的比对未再发现",
    ),
    (
        "GET",
        "/api/v1/compare/findings/{id}",
        "一条疑点：部门数据（身份证号脱敏）与家庭申报的成员、财产、收入对照",
    ),
    (
        "POST",
        "/api/v1/compare/findings/{id}/take",
        "领取核查（version）：待核查 → 核查中",
    ),
    (
        "POST",
        "/api/v1/compare/findings/{id}/resolve",
        "核查结论（version、outcome=confirm 属实 / dismiss 不属实、result）；属实的死亡疑点停保并追回，其他列入复核",
    ),
    (
        "GET",
        "/api/v1/elderly/people",
        "本人区划内登记的老年人（region 街道或社区、living 居住情况、level 能力等级 0–4 或 none、status=left 已注销、page 翻页，每页 100 人）：证件号、电话脱敏，年龄，特困/低保关联，探访安排",
    ),
    (
        "POST",
        "/api/v1/elderly/people",
        "登记老年人（id_number、name、community 社区代码、living=family/alone/empty_nest/left_behind/bereaved、ability_level 0–4 与 assessed_on、phone、visit_every_days 留空按默认）；不满 60 周岁或已登记的拒绝",
    ),
    (
        "POST",
        "/api/v1/elderly/people/find",
        "按身份证号（盲索引）或姓名查找本辖区的老年人（{\"q\": …}，不放在地址里）",
    ),
    (
        "GET",
        "/api/v1/elderly/people/{id}",
        "一位老年人：登记信息（脱敏）、本月居家养老服务补贴（适用类别、月额、已用、剩余）、探访记录和订单",
    ),
    (
        "POST",
        "/api/v1/elderly/people/{id}",
        "更新能力评估、居住情况、探访间隔、联系电话（version 必填；ability_level、assessed_on、living、visit_every_days、phone、remove_phone，省略的不变，空的能力等级为未评估、空的间隔为默认）",
    ),
    (
        "POST",
        "/api/v1/elderly/people/{id}/leave",
        "注销登记（version、reason=death/moved、left_on）；尚未服务的订单一并取消",
    ),
    (
        "POST",
        "/api/v1/elderly/people/{id}/visits",
        "登记探访关爱（visited_on、way=home/phone、visitor、notes）",
    ),
    (
        "GET",
        "/api/v1/elderly/visits/overdue",
        "探访逾期名单（region 可选）：按街道、社区列出最近探访（或登记日）加间隔早于今天的老年人",
    ),
    (
        "GET",
        "/api/v1/homecare/orders",
        "本辖区的居家养老服务订单（month=2026-11、status 筛选，最新的在前，最多 500 笔）；金额为两位小数的元",
    ),
    (
        "POST",
        "/api/v1/homecare/orders",
        "下单（person_id、service_id、quantity、payment=allowance 补贴/self 自费、requested_by=self/family/worker、requester、note）；补贴支付超过本月剩余的拒绝并说明剩余额",
    ),
    (
        "GET",
        "/api/v1/homecare/orders/{id}",
        "一笔订单及其各步骤的时间和办理人",
    ),
    (
        "POST",
        "/api/v1/homecare/orders/{id}/dispatch",
        "派单（version、provider_id）：服务商须在用且服务区域包含老人所在社区",
    ),
    (
        "POST",
        "/api/v1/homecare/orders/{id}/serve",
        "登记服务（version、server_name 服务人员、served_at 留空为现在）；探访关爱订单同时记入探访记录",
    ),
    (
        "POST",
        "/api/v1/homecare/orders/{id}/rate",
        "评价（version、rating 1–5、comment、complaint；有投诉须写意见）",
    ),
    (
        "POST",
        "/api/v1/homecare/orders/{id}/cancel",
        "服务前取消（version、reason）；补贴退回当月",
    ),
    (
        "GET",
        "/api/v1/homecare/providers",
        "服务商及其服务区域（区划代码）",
    ),
    (
        "POST",
        "/api/v1/homecare/providers",
        "登记服务商（name、uscc、phone、areas 区划代码数组或逗号分隔）",
    ),
    (
        "POST",
        "/api/v1/homecare/providers/{id}",
        "修改服务商（version、phone、active=1/0、areas）",
    ),
    (
        "GET",
        "/api/v1/homecare/services",
        "服务目录（类别、名称、单位、单价）和现行及历次的政府购买服务补贴标准",
    ),
    (
        "POST",
        "/api/v1/homecare/services",
        "加入服务目录（kind=meal/bath/clean/emergency/medical/mobility/visit、name、unit、price 元）",
    ),
    (
        "POST",
        "/api/v1/homecare/services/{id}",
        "调整单价或停用（version、price、active）；已下的订单按原价",
    ),
    (
        "POST",
        "/api/v1/homecare/allowances",
        "设置某类补贴自某月起的月额（category=tekun/dibao/aged/disabled、effective_from=2027-01、monthly 元、threshold 高龄年龄线或失能等级线）",
    ),
    (
        "GET",
        "/api/v1/homecare/performance",
        "某月（month）各服务商的派单、服务、取消、平均派单和完成用时（分钟）、平均评分、投诉、金额和补贴，以及每日助餐人次",
    ),
    (
        "GET",
        "/api/v1/community/consultations",
        "本人区划内的社区协商（from、to、category 筛选，默认本年）：活动列表，各社区次数、参与人次和解决率",
    ),
    (
        "POST",
        "/api/v1/community/consultations",
        "记录社区协商（held_on、community、topic、category、participants、outcome）；同日同社区同议题为更新",
    ),
    (
        "POST",
        "/api/v1/community/consultations/{id}/delete",
        "撤回录错的协商记录（请求体 {}），记入审计",
    ),
    (
        "GET",
        "/api/v1/community/orgs",
        "本人区划内登记的社会组织名录、各状态数和连续两年未参加年检（拟撤销）的组织",
    ),
    (
        "POST",
        "/api/v1/community/orgs",
        "登记社会组织（uscc 按 GB 32100 校验、name、kind、region_code 登记机关、registered_on）",
    ),
    (
        "GET",
        "/api/v1/community/orgs/{id}",
        "一个社会组织：状态变更历史、年检、公益活动",
    ),
    (
        "POST",
        "/api/v1/community/orgs/{id}/status",
        "变更状态（version、status、since、reason）：正常与活动异常互转，撤销、注销为终态",
    ),
    (
        "POST",
        "/api/v1/community/orgs/{id}/inspections",
        "记录年检（year 工作年度、result、inspected_on）；同一年度再记为更正",
    ),
    (
        "POST",
        "/api/v1/community/orgs/{id}/activities",
        "记录公益活动（held_on、name、field、beneficiaries）；活动日期须在组织登记存续期内",
    ),
    (
        "GET",
        "/api/v1/community/illegal-orgs",
        "本人区划内发现的非法社会组织及取缔情况",
    ),
    (
        "POST",
        "/api/v1/community/illegal-orgs",
        "登记非法社会组织线索（name、region_code、found_on、description）",
    ),
    (
        "POST",
        "/api/v1/community/illegal-orgs/{id}/ban",
        "取缔（version、banned_on、handling）",
    ),
    (
        "GET",
        "/api/v1/community/lists",
        "本人区划适用的社区工作事项准入清单和社区证明事项清单（市级、区县级及辖区内发布的），含已移出的事项、移出日期和原因",
    ),
    (
        "POST",
        "/api/v1/community/lists",
        "列入清单（list=workitem/certificate、region 发布单位市或区县代码、name、basis 依据、added_on 列入日期）",
    ),
    (
        "POST",
        "/api/v1/community/lists/{id}/remove",
        "移出清单（version、removed_on 移出日期、reason 原因）；移出的事项保留记录",
    ),
    (
        "GET",
        "/api/v1/community/certificates",
        "本人区划内某季度（quarter=2026Q4，默认本季度）出具的社区证明，证件号脱敏",
    ),
    (
        "POST",
        "/api/v1/community/certificates",
        "出具社区证明（community、item 清单事项编号或名称、person_name、id_number、purpose、issued_on）；出具当天不在证明事项清单中的拒绝并说明原因",
    ),
    (
        "POST",
        "/api/v1/community/certificates/find",
        "按身份证号（id_number）查找本辖区为此人出具的社区证明",
    ),
    (
        "GET",
        "/api/v1/community/certificates/quarters",
        "截至某季度（quarter）的 8 个季度：出具证明份数、移出证明事项数和移出工作事项数",
    ),
    (
        "GET",
        "/api/v1/community/workers",
        "本人区划内的社区工作者登记簿和某日（on，默认今天）各社区在岗人数",
    ),
    (
        "POST",
        "/api/v1/community/workers",
        "登记社区工作者（name、community、post 岗位、started_on、ended_on 可不填）",
    ),
    (
        "POST",
        "/api/v1/community/workers/{id}/end",
        "登记离岗（version、ended_on 最后在岗日）",
    ),
    (
        "GET",
        "/api/v1/community/volunteers",
        "本人区划内的志愿者（page 分页）：累计服务时长、星级，以及按星级的人数",
    ),
    (
        "POST",
        "/api/v1/community/volunteers",
        "注册志愿者（id_number、name、community、phone、registered_on）",
    ),
    (
        "POST",
        "/api/v1/community/volunteers/find",
        "按身份证号或姓名（q）查找志愿者",
    ),
    (
        "GET",
        "/api/v1/community/volunteers/{id}",
        "一名志愿者：累计时长、星级、距下一星级的时长和全部服务记录",
    ),
    (
        "POST",
        "/api/v1/community/volunteers/{id}/services",
        "登记服务记录（served_on、hours 小时一位小数、activity、organiser）",
    ),
    (
        "GET",
        "/api/v1/community/social-workers",
        "本人区划内各区县按证书等级的社会工作者人数和登记簿",
    ),
    (
        "POST",
        "/api/v1/community/social-workers",
        "登记社会工作者（name、district、level=assistant/intermediate/senior、certified_on）",
    ),
    (
        "POST",
        "/api/v1/community/social-workers/{id}",
        "登记新证书（version、level、certified_on 不早于原证书）",
    ),
    (
        "GET",
        "/api/v1/relief",
        "流浪乞讨人员救助（quarter=2026Q4）：本季度救助人次、返乡、寻亲成功、滞留超过 10 天、巡查次数和护送入站人数，巡查记录和站内救助对象",
    ),
    (
        "POST",
        "/api/v1/relief/patrols",
        "记录街面巡查（patrolled_on、region_code、area、staff、people_met、brought_in、notes）",
    ),
    (
        "POST",
        "/api/v1/relief/cases",
        "登记入站（region_code、intake_on、name、id_number 可空、sex、group、notes）",
    ),
    (
        "GET",
        "/api/v1/relief/cases/{id}",
        "一个救助对象：身份（证件号脱敏）、类别、在站天数、服务、寻亲情况、结果",
    ),
    (
        "POST",
        "/api/v1/relief/cases/{id}/care",
        "更新服务和寻亲情况（version、services 逗号分隔、family_search、notes）",
    ),
    (
        "POST",
        "/api/v1/relief/cases/{id}/identity",
        "补录身份（version、name、id_number、group 可空）：寻亲查明身份后登记真实姓名和身份证号；已离站的或此人另有在站记录的拒绝",
    ),
    (
        "POST",
        "/api/v1/relief/cases/{id}/departure",
        "登记离站（version、left_on、outcome）；寻亲成功须先登记已找到亲属",
    ),
    (
        "GET",
        "/api/v1/affairs/cemeteries",
        "本人区划内的公墓名录：性质、状态、建成日期、建成时墓穴数和此后新增墓穴数，已建成公益性公墓数和墓穴总数",
    ),
    (
        "POST",
        "/api/v1/affairs/cemeteries",
        "登记或修改一处公墓（number、name、kind、region_code、status、completed_on、plots），与公墓名录台账同样的检查；已登记的编号即修改",
    ),
    (
        "POST",
        "/api/v1/affairs/cemeteries/additions",
        "登记一处公墓某日新增的墓穴（cemetery 公墓编号、added_on、plots），与墓穴变动台账同样的检查；同日已登记的以本次为准，改后墓穴数不能少于已安葬数",
    ),
    (
        "GET",
        "/api/v1/affairs/burials",
        "本人区划内的安葬记录（身份证号脱敏）：公墓、日期、安葬方式、是否生态安葬、遗体/骨灰，生态安葬数",
    ),
    (
        "POST",
        "/api/v1/affairs/burials",
        "登记安葬（cemetery 公墓编号，海葬不填而填 region_code；buried_on、name、id_number 可空、form、remains）；公墓须已建成未停用且当天有空余墓穴",
    ),
    (
        "GET",
        "/api/v1/affairs/funeral-violations",
        "本人区划内的殡葬违规案件（status=open|handled 可筛选）：编号、类型、地点、发现日期、处理结果和日期",
    ),
    (
        "POST",
        "/api/v1/affairs/funeral-violations",
        "登记违规案件（kind、place、region_code、found_on），编号 WG-<区县>-<年>-<序号>",
    ),
    (
        "POST",
        "/api/v1/affairs/funeral-violations/{id}/handle",
        "登记案件处理（handling、note、handled_on）：处理日期不早于发现日期、不晚于今天，只能处理一次",
    ),
    (
        "GET",
        "/api/v1/affairs/cremations",
        "本人区划内的火化记录（身份证号脱敏）：姓名、死亡日期、火化日期、区划",
    ),
    (
        "POST",
        "/api/v1/affairs/cremations",
        "登记火化记录（id_number、name、died_on、cremated_on、region_code）；数据比对据此认定本系统掌握的死亡",
    ),
    (
        "GET",
        "/api/v1/affairs/marriage/registrations",
        "本辖区登记机关一个季度（quarter=2026Q3，默认本季度）的婚姻登记：结婚、离婚、补领，身份证号脱敏，每条的合格/不合格及未通过的规则，合格率",
    ),
    (
        "POST",
        "/api/v1/affairs/marriage/registrations",
        "办理结婚或补领登记（kind=结婚/补领、man_name、man_id、woman_name、woman_id、office 登记机关、both_present=是、kinship 是否有禁止结婚的亲属关系=否）；不符合规则的拒绝并写明规则",
    ),
    (
        "GET",
        "/api/v1/affairs/marriage/counselling",
        "一个季度（quarter，默认本季度）本辖区登记机关的婚姻家庭辅导：日期、主题、人数及合计",
    ),
    (
        "POST",
        "/api/v1/affairs/marriage/counselling",
        "记录婚姻家庭辅导（office 登记机关、held_on 空为今天、topic、participants）",
    ),
    (
        "POST",
        "/api/v1/affairs/marriage/find",
        "按身份证号（id_number）查询一个人在本辖区的婚姻登记记录和婚姻状况变化",
    ),
    (
        "GET",
        "/api/v1/affairs/marriage/divorce-applications",
        "离婚申请：受理日期、冷静期、办理期限、状态（按今天计算是否已失效），以及本季度冷静期内撤回的件数",
    ),
    (
        "POST",
        "/api/v1/affairs/marriage/divorce-applications",
        "受理协议离婚申请（man_name、man_id、woman_name、woman_id、office）；二人须为本登记机关记录中的夫妻",
    ),
    (
        "POST",
        "/api/v1/affairs/marriage/divorce-applications/{id}/withdraw",
        "冷静期内任一方撤回离婚申请（party=男方/女方、version）",
    ),
    (
        "POST",
        "/api/v1/affairs/marriage/divorce-applications/{id}/complete",
        "办理离婚登记（version）：仅在受理后第 31 至 60 日；冷静期内拒绝，逾期申请失效",
    ),
    ("GET", "/api/v1/openapi.json", "本文档"),
];
