#!/usr/bin/env python3
"""Generates the assistance roster for the load test (bench/load.sh): HOUSEHOLDS households of
one to four members, spread over the communities listed in --communities (one code a line,
the demo city's, queried from its database), so that the street and city accounts of the demo
see them. Deterministic: the same arguments give the same file.

The row format and the names are those of gen_roster.py. The ID numbers use the address code
361100 (province 36, so they parse; not one the demo data or gen_roster.py uses, so no person
of the roster is already in a demo case), births from 1930-01-01 on, a thousand a day."""
import argparse
import datetime
import random

from gen_roster import GIVEN, HEADER, SURNAMES, id_number


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, required=True)
    ap.add_argument("--communities", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    with open(a.communities, encoding="utf-8") as f:
        communities = [line.strip() for line in f if line.strip()]
    if not communities:
        raise SystemExit("no communities in " + a.communities)
    rng = random.Random(a.seed)
    start = datetime.date(1930, 1, 1)
    written = 0
    relations = ["本人", "配偶", "子女", "父母"]
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for household in range(1, a.households + 1):
            size = rng.choice([1, 2, 2, 3, 3, 4])
            community = communities[household % len(communities)]
            # Most households in force (the workbench and reports see cases); exited ones
            # were approved before their exit on 2026-06-30.
            active = rng.random() < 0.85
            approved = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(1000 if active else 900))
            amount = rng.randrange(300, 3000)
            reason = "" if active else rng.choice(["收入超标", "死亡", "迁出", "主动退出"])
            status = "在保" if active else "停保"
            exited = "" if active else "2026-06-30"
            rows = []
            for k in range(size):
                n = written + k
                birth = start + datetime.timedelta(days=n // 1000)
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                rows.append(
                    f"L{household:08d},低保,{name},{id_number('361100', birth, n % 1000)},{relations[k]},是,"
                    f"{community},{amount if k == 0 else ''},{approved},{status},{exited},{reason},\n"
                )
            f.write("".join(rows))
            written += size
    print(f"{a.out}: {written} members in {a.households} households")


if __name__ == "__main__":
    main()
