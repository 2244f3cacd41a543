#!/usr/bin/env python3
"""Generates the data-comparison benchmark: a region file, an assistance roster of PEOPLE
members (everyone in force) and the eight departments' files with ROWS rows in all.

Most external rows are other people of the same city: valid ID numbers on the same address
codes and birth years, so many share a birth date and address with someone in assistance
(namesakes included). Planted among them, with the truth written to truth.json:
- exact hits: people in assistance under their real ID, with values that break a rule;
  where the file has a free-text column it carries a marker `PLANT-E-<n>`;
- near misses (in the payroll file, marker `PLANT-F-<n>` as the employer): a person in
  assistance whose ID was mistyped (one digit of the sequence changed, or two adjacent
  digits swapped; the check character then fails) and whose name is written the same, with
  a character of the same reading, or with one character wrong;
- noise: mistyped IDs of people not in assistance, and garbage IDs.
Deterministic for the same arguments. ID numbers use the prefix 3699, not assigned in
GB/T 2260, so they belong to no real person."""
import argparse
import datetime
import json
import os
import random

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
# Given-name characters with a character of the same reading (for the near misses).
HOMOPHONES = {
    "伟": "玮", "明": "铭", "华": "桦", "丽": "莉", "静": "婧", "杰": "洁", "芳": "方",
    "磊": "垒", "勇": "永", "涛": "韬", "平": "萍", "刚": "钢", "霞": "侠", "兰": "岚",
    "英": "瑛", "红": "宏", "建": "健", "文": "雯",
}
GIVEN = "伟明华丽静杰芳磊勇涛平刚霞兰英红建文秀娟军强敏燕艳玲桂荣志德海鹏辉春梅林云飞宇浩晨雪琴慧佳婷嘉俊凯"
DISTRICTS = [f"3699{d:02d}" for d in range(2, 7)]
OTHER_ADDRESSES = ["369911", "369912", "369921", "369922", "369931"]
SOURCES = {
    # source: (header, share of the rows)
    "death": ("身份证号,姓名,死亡日期", 0.05),
    "hukou": ("身份证号,姓名,户籍地区划代码", 0.30),
    "vehicle": ("身份证号,姓名,号牌号码,车辆类型,车辆价值", 0.15),
    "property": ("身份证号,姓名,不动产单元号,用途,建筑面积", 0.20),
    "business": ("身份证号,姓名,统一社会信用代码,角色,注册资本,状态", 0.08),
    "payroll": ("身份证号,姓名,单位名称", 0.04),
    "social-insurance": ("身份证号,姓名,月缴费基数,月养老金", 0.15),
    "deposit": ("身份证号,姓名,余额", 0.03),
}
ROSTER_HEADER = "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因,银行账号"
START = datetime.date(1930, 1, 1)
SPAN = (datetime.date(2012, 12, 31) - START).days


def check(first17):
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def id_number(address, day, seq):
    first17 = f"{address}{(START + datetime.timedelta(days=day)):%Y%m%d}{seq:03d}"
    return first17 + check(first17)


def valid(id18):
    return id18[:17].isdigit() and check(id18[:17]) == id18[17]


def name(rng):
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.8 else "")
    return rng.choice(SURNAMES) + given


def mistype(rng, id18):
    """One digit of the sequence changed, or two adjacent differing digits swapped; the
    check character then always fails (GB 11643 catches both)."""
    while True:
        s = list(id18)
        if rng.random() < 0.5:
            i = rng.randrange(14, 16)
            if s[i] == s[i + 1]:
                continue
            s[i], s[i + 1] = s[i + 1], s[i]
        else:
            i = rng.randrange(14, 17)
            s[i] = rng.choice([d for d in "0123456789" if d != s[i]])
        out = "".join(s)
        if not valid(out):
            return out


def variant(rng, person_name, kind):
    """The name as the other department wrote it."""
    if kind == "same":
        return person_name
    chars = list(person_name)
    if kind == "reading":
        spots = [i for i in range(1, len(chars)) if chars[i] in HOMOPHONES]
        if spots:
            i = rng.choice(spots)
            chars[i] = HOMOPHONES[chars[i]]
            return "".join(chars)
        return person_name
    # A typo: a given-name character replaced by another that does not sound the same.
    i = rng.randrange(1, len(chars))
    chars[i] = rng.choice([c for c in "聪颖琪瑶睿博轩涵" if c != chars[i]])
    return "".join(chars)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--exact", type=int, default=20_000)
    ap.add_argument("--fuzzy", type=int, default=2_000)
    ap.add_argument("--noise", type=int, default=50_000)
    ap.add_argument("--out", default="bench/data/compare")
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)

    communities = []
    with open(f"{a.out}/regions.csv", "w", encoding="utf-8") as f:
        f.write("code,name,urban_rural\n369900,示范市,\n")
        for d in DISTRICTS:
            f.write(f"{d},第{d[-2:]}区,\n")
            for s in range(1, 7):
                street = f"{d}{s:03d}"
                f.write(f"{street},{d[-2:]}区第{s}街道,\n")
                for c in range(1, 11):
                    code = f"{street}{c:03d}"
                    f.write(f"{code},第{c}社区,{'城镇' if d < '369905' else '农村'}\n")
                    communities.append(code)

    # People in assistance: their ID's address is their district's.
    people = []  # (id, name, household number)
    taken = set()
    household = 0
    with open(f"{a.out}/roster.csv", "w", encoding="utf-8") as f:
        f.write(ROSTER_HEADER + "\n")
        while len(people) < a.people:
            household += 1
            community = communities[household % len(communities)]
            size = min(rng.choice([1, 2, 2, 3, 3, 4]), a.people - len(people))
            approved = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(900))
            amount = rng.randrange(300, 3000)
            for k in range(size):
                while True:
                    pid = id_number(community[:6], rng.randrange(SPAN), rng.randrange(1000))
                    if pid not in taken:
                        break
                taken.add(pid)
                pname = name(rng)
                people.append((pid, pname, f"C{household:08d}"))
                relation = ["本人", "配偶", "子女", "父母"][k]
                f.write(
                    f"C{household:08d},低保,{pname},{pid},{relation},是,{community},"
                    f"{amount if k == 0 else ''},{approved},在保,,,\n"
                )

    # The planted rows, placed at random positions of their files.
    truth = {"exact": {}, "fuzzy": [], "noise": a.noise}
    planted = {s: [] for s in SOURCES}
    for n in range(a.exact):
        source = list(SOURCES)[n % len(SOURCES)]
        pid, pname, _ = rng.choice(people)
        mark = f"PLANT-E-{n}"
        fields = {
            "death": [pid, pname, "2026-09-30"],
            "hukou": [pid, pname, "360102001001"],
            "vehicle": [pid, pname, mark, "小型汽车", "50000"],
            "property": [pid, pname, mark, "商业", "45.5"],
            "business": [pid, pname, mark, "股东", "500000", "存续"],
            "payroll": [pid, pname, mark],
            "social-insurance": [pid, pname, "9000", ""],
            "deposit": [pid, pname, "999999"],
        }[source]
        planted[source].append(fields)
        truth["exact"].setdefault(source, []).append(mark if mark in fields else pid)
    for n in range(a.fuzzy):
        pid, pname, number = rng.choice(people)
        kind = ["same", "reading", "typo"][n % 3]
        mark = f"PLANT-F-{n}"
        planted["payroll"].append([mistype(rng, pid), variant(rng, pname, kind), mark])
        truth["fuzzy"].append({"mark": mark, "name_kind": kind, "household": number})
    with open(f"{a.out}/truth.json", "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False)

    # Everyone else: other people of the city and of neighbouring places.
    addresses = DISTRICTS * 4 + OTHER_ADDRESSES
    noise_left = a.noise
    for source, (header, share) in SOURCES.items():
        count = int(a.rows * share)
        extra = planted[source]
        # Where each planted row goes.
        slots = sorted(rng.sample(range(count), min(len(extra), count)))
        slot_i = 0
        with open(f"{a.out}/{source}.csv", "w", encoding="utf-8") as f:
            f.write(header + "\n")
            noise_here = noise_left // (len(SOURCES) - list(SOURCES).index(source))
            noise_left -= noise_here
            for i in range(count):
                if slot_i < len(slots) and slots[slot_i] == i:
                    f.write(",".join(extra[slot_i]) + "\n")
                    slot_i += 1
                    continue
                while True:
                    oid = id_number(rng.choice(addresses), rng.randrange(SPAN), rng.randrange(1000))
                    if oid not in taken:
                        break
                if noise_here > 0 and rng.random() < 2 * noise_here / max(count - i, 1):
                    noise_here -= 1
                    oid = mistype(rng, oid) if rng.random() < 0.95 else "3699XX" + oid[6:]
                oname = name(rng)
                row = {
                    "death": [oid, oname, "2026-08-01"],
                    "hukou": [oid, oname, f"{oid[:6]}001001"],
                    "vehicle": [oid, oname, f"赣A{i % 100000:05d}", rng.choice(["小型汽车", "摩托车", "大型汽车"]), str(rng.randrange(5000, 300000))],
                    "property": [oid, oname, f"U{i}", rng.choice(["住宅", "住宅", "商业", "办公"]), f"{rng.randrange(30, 200)}.5"],
                    "business": [oid, oname, f"91369900{i:010d}", rng.choice(["法定代表人", "股东", "个体工商户经营者"]), str(rng.randrange(10000, 5000000)), rng.choice(["存续", "注销"])],
                    "payroll": [oid, oname, "示范市某单位"],
                    "social-insurance": [oid, oname, str(rng.randrange(2000, 20000)), ""],
                    "deposit": [oid, oname, str(rng.randrange(0, 500000))],
                }[source]
                f.write(",".join(row) + "\n")
    print(f"{a.out}: {len(people)} people in {household} households; {a.rows} external rows; "
          f"{a.exact} exact hits, {a.fuzzy} near misses, {a.noise} noise rows planted")


if __name__ == "__main__":
    main()
