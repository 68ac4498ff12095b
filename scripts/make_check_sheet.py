#!/usr/bin/env python3
"""Make a realistic household check sheet (排查表) for tests, benchmarks and demos.

Seeded, so the same arguments always give the same sheet: by default the
seed's town — 14 villages, 701 registered households — with about 30 failing
items (两不愁三保障 + 饮水安全), each with a 备注 saying what is wrong.

    python scripts/make_check_sheet.py OUT.xlsx [--seed 2020] [--households 701]
        [--villages 14] [--failing 30] [--mixed]

--mixed writes what real sheets look like: header cells with spaces, an extra
column, a title row, and some villages answering 是/否 or ✓/✗ instead of 达标/不达标.
Prints a JSON line with the figures (households, villages, failing, failing_households).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from openpyxl import Workbook

HEADER = ("村", "户编号", "户主姓名", "家庭收入", "基本生活", "义务教育", "基本医疗", "住房安全", "饮水安全", "备注")
ITEMS = HEADER[3:9]
VILLAGES = ("东风村", "红旗村", "前进村", "和平村", "新民村", "石桥村", "柳河村", "王庄村", "李家洼村",
            "张家寨村", "马坊村", "北沟村", "南坪村", "西岭村", "上营村", "下营村")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "建国春花秀英桂兰玉珍明华志强海燕德福金凤长林永胜红梅文学淑芬国庆树林桂芳宝山凤英振华"
NOTES = {
    "家庭收入": ("受疫情影响外出务工推迟，预计年人均纯收入低于标准", "主要劳动力患病，今年收入不稳定"),
    "基本生活": ("独居老人冬季衣被不足", "肉蛋奶不能保证日常食用"),
    "义务教育": ("子女在外地就读，义务教育补助未发放到位", "适龄儿童辍学在家，未劝返"),
    "基本医疗": ("新增人口未及时代缴城乡居民医疗保险", "慢性病卡未办理"),
    "住房安全": ("房屋墙体开裂，疑似危房，未做安全鉴定", "危房改造已竣工未入住"),
    "饮水安全": ("饮用露天塘水，未通自来水", "旱季供水不足，取水距离远"),
}
STYLES = (("达标", "不达标"), ("是", "否"), ("✓", "✗"))


def make_check_sheet(path: str | Path, *, seed: int = 2020, households: int = 701, villages: int = 14,
                     failing: int = 30, mixed: bool = False) -> dict:
    rng = random.Random(seed)
    names = VILLAGES[:villages] if villages <= len(VILLAGES) else \
        VILLAGES + tuple(f"第{i}村" for i in range(len(VILLAGES) + 1, villages + 1))
    # Spread the households over the villages: every village gets some, sizes vary.
    weights = [rng.uniform(0.6, 1.4) for _ in names]
    counts = [max(1, int(households * w / sum(weights))) for w in weights]
    counts[-1] += households - sum(counts)
    rows = []
    for v, (village, count) in enumerate(zip(names, counts), start=1):
        for seq in range(1, count + 1):
            head = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
            rows.append([village, f"1306210{v:02d}{seq:03d}", head])
    fail_cells = set()
    while len(fail_cells) < min(failing, len(rows) * len(ITEMS)):
        fail_cells.add((rng.randrange(len(rows)), rng.choice(ITEMS)))
    style_of = {village: (rng.choice(STYLES) if mixed else STYLES[0]) for village in names}
    for index, row in enumerate(rows):
        ok, bad = style_of[row[0]]
        notes = []
        for item in ITEMS:
            if (index, item) in fail_cells:
                row.append(bad)
                notes.append(rng.choice(NOTES[item]))
            else:
                row.append(ok)
        row.append("；".join(notes) or None)

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "排查表"
    header = list(HEADER)
    if mixed:
        sheet.append(["某某镇脱贫攻坚专项集中行动入户排查表"])
        header = [f" {name} " if i % 2 else f"{name}\u3000" for i, name in enumerate(header)]
        header.insert(3, "家庭人口")
    sheet.append(header)
    for row in rows:
        if mixed:
            row = row[:3] + [rng.randint(1, 7)] + row[3:]
        sheet.append(row)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    workbook.save(tmp)
    tmp.replace(path)
    return {"households": len(rows), "villages": len(names), "failing": len(fail_cells),
            "failing_households": len({i for i, _ in fail_cells})}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成模拟的入户排查表（.xlsx），供测试与演示使用")
    parser.add_argument("output", help="输出的 .xlsx 文件")
    parser.add_argument("--seed", type=int, default=2020, help="随机种子（相同参数生成相同的表）")
    parser.add_argument("--households", type=int, default=701, help="户数（默认 701）")
    parser.add_argument("--villages", type=int, default=14, help="村数（默认 14）")
    parser.add_argument("--failing", type=int, default=30, help="不达标项数（默认 30）")
    parser.add_argument("--mixed", action="store_true", help="表头带空格、有标题行和多余列、部分村用 是/否 或 ✓/✗")
    args = parser.parse_args(argv)
    stats = make_check_sheet(args.output, seed=args.seed, households=args.households,
                             villages=args.villages, failing=args.failing, mixed=args.mixed)
    print(json.dumps(stats, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
