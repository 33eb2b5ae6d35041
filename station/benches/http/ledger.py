#!/usr/bin/env python3
"""Writes a benchmark ledger: N boxes, 100 per shelf, on shelves of 1号库房 (50 racks x 2
sides x 20 sections x 5 shelves = 10,000 shelves for 1,000,000 boxes), in shelf order.

    station/benches/http/ledger.py 1000000 /tmp/benchdata/ledger1m.csv
"""
import sys

rows = int(sys.argv[1])
out = sys.argv[2]
with open(out, "w", encoding="utf-8") as f:
    f.write("档案号,题名,客户名称,类别,年度,保管期限,位置\n")
    n = 0
    for rack in range(1, 51):
        for side in "AB":
            for section in range(1, 21):
                for shelf in range(1, 6):
                    path = f"1号库房/{rack:02d}列/{side}面/{section}节/{shelf}层"
                    for _ in range(100):
                        if n == rows:
                            sys.exit(0)
                        n += 1
                        year = 2000 + n % 25
                        f.write(f"{year}鸿借字第{n:07d}号,借款合同{n},客户{n % 50000}有限公司,借款,{year},永久,{path}\n")
