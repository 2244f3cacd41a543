#!/usr/bin/env python3
"""Generates a region file and an assistance roster (one row per member) for the import
benchmark. Deterministic: the same arguments give the same files. ID numbers are valid
GB 11643 numbers on the demo prefix 3699 (not assigned in GB/T 2260, so no real person)."""
import argparse
import datetime
import random

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
HEADER = "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因,银行账号"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英"


def id_number(address, birth, seq):
    first17 = f"{address}{birth:%Y%m%d}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return first17 + CHECK[total % 11]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--regions", default="bench/data/regions.csv")
    ap.add_argument("--out", default="bench/data/roster.csv")
    ap.add_argument("--seed", type=int, default=7)
    # For the payroll benchmark: one-person households, every one in force, each 本人
    # with a bank account (the same data otherwise).
    ap.add_argument("--single", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    communities = []
    with open(a.regions, "w", encoding="utf-8") as f:
        f.write("code,name,urban_rural\n369900,示范市,\n")
        for d in range(2, 7):
            district = f"3699{d:02d}"
            f.write(f"{district},第{d}区,\n")
            for s in range(1, 7):
                street = f"{district}{s:03d}"
                f.write(f"{street},第{d}区第{s}街道,\n")
                for c in range(1, 11):
                    code = f"{street}{c:03d}"
                    f.write(f"{code},第{c}社区,{'城镇' if d < 5 else '农村'}\n")
                    communities.append(code)
    start = datetime.date(1930, 1, 1)
    written = 0
    household = 0
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        while written < a.members:
            household += 1
            size = 1 if a.single else min(rng.choice([1, 2, 3, 3, 4, 5]), a.members - written)
            community = communities[household % len(communities)]
            active = a.single or rng.random() < 0.85
            # Exited households were approved before their exit on 2026-06-30.
            span = 1000 if active else 900
            approved = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(span))
            amount = rng.randrange(300, 3000)
            reason = "" if active else rng.choice(["收入超标", "死亡", "迁出", "主动退出"])
            for k in range(size):
                n = written + k
                birth = start + datetime.timedelta(days=n // 1000)
                relation = ["本人", "配偶", "子女", "子女", "父母"][k]
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                status = "在保" if active else "停保"
                exited = "" if active else "2026-06-30"
                f.write(
                    f"B{household:08d},低保,{name},{id_number('369902', birth, n % 1000)},{relation},是,"
                    f"{community},{amount if k == 0 else ''},{approved},{status},{exited},{reason},"
                    f"{f'62220{household:014d}' if k == 0 and a.single else ''}\n"
                )
            written += size
    print(f"{a.out}: {written} members in {household} households")


if __name__ == "__main__":
    main()
