"""Generate a documents register for the benchmark: N documents, one attachment each.

Usage:  python bench/make_documents.py --n 5000 --out DIR [--seed 1]

Writes DIR/content/van-ban/<year>/<slug>.md and DIR/static/files/van-ban/<year>/<slug>.pdf
(or .docx, one in five), copies the repository's site.yaml, templates/ and static/ into DIR,
and adds a few articles that link documents by number. Deterministic for a seed. Every
document is invented: numbers, abstracts and names are placeholders, for measuring only.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TYPES = [
    ("Quyết định", "QĐ"),
    ("Kế hoạch", "KH"),
    ("Công văn", "CV"),
    ("Thông báo", "TB"),
    ("Báo cáo", "BC"),
    ("Hướng dẫn", "HD"),
    ("Chỉ thị", "CT"),
    ("Dự thảo", "DT"),
]
ISSUERS = [
    ("Sở Công Thương", "SCT"),
    ("Ủy ban nhân dân tỉnh", "UBND"),
    ("Phòng Quản lý thương mại", "QLTM"),
]
FIELDS = [
    "Công nghiệp",
    "Thương mại",
    "Năng lượng",
    "Xúc tiến thương mại",
    "Khuyến công",
    "An toàn thực phẩm",
    "Quản lý thị trường",
    "Tổ chức bộ máy",
]
WORDS = [
    "về",
    "việc",
    "triển",
    "khai",
    "kế",
    "hoạch",
    "phát",
    "triển",
    "thương",
    "mại",
    "điện",
    "tử",
    "năm",
    "hướng",
    "dẫn",
    "thực",
    "hiện",
    "quy",
    "chế",
    "quản",
    "lý",
    "cụm",
    "công",
    "nghiệp",
    "tăng",
    "cường",
    "kiểm",
    "tra",
    "an",
    "toàn",
    "điện",
    "chương",
    "trình",
    "khuyến",
    "công",
    "địa",
    "phương",
    "giai",
    "đoạn",
    "báo",
    "cáo",
    "kết",
    "quả",
    "thực",
    "hiện",
    "nhiệm",
    "vụ",
]
PDF_SIZE = 4096  # bytes of each generated attachment (a header and filler)


def make(n: int, out: Path, seed: int) -> None:
    rng = random.Random(seed)
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, out / name, dirs_exist_ok=True)
    shutil.copy(REPO / "site.yaml", out / "site.yaml")
    numbers: list[str] = []
    for i in range(n):
        kind, short = TYPES[i % len(TYPES)]
        issuer, code = ISSUERS[rng.randrange(len(ISSUERS))]
        year = 2015 + i * 11 // n
        day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        number = f"{i + 1}/{short}-{code}"
        slug = f"{i + 1}-{short.lower().replace('đ', 'd')}-{code.lower()}"
        ext = "docx" if i % 5 == 4 else "pdf"
        attachment = f"/files/van-ban/{year}/{slug}.{ext}"
        fields = rng.sample(FIELDS, rng.randint(1, 2))
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize()
        front = {
            "title": title,
            "number": number,
            "type": kind,
            "issuer": issuer,
            "issued": day,
            "signer": "Người ký thử nghiệm",
            "fields": fields,
            "files": [attachment],
        }
        if numbers and i % 10 == 0:
            front["replaces"] = [numbers[rng.randrange(len(numbers))]]
        if kind == "Dự thảo":
            front["comment_until"] = f"{year}-12-31"
            front["comment_contact"] = "gopy@example.org"
        lines = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items())]
        text = "\n".join([*lines, "---", "", f"{title}.", ""])
        path = out / "content" / "van-ban" / str(year) / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        head = b"%PDF-1.4\n" if ext == "pdf" else b"PK\x03\x04"
        file = out / "static" / attachment.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(head + bytes(rng.getrandbits(8) for _ in range(64)).ljust(PDF_SIZE, b" "))
        numbers.append(number)
    for j in range(min(50, n)):
        number = numbers[rng.randrange(len(numbers))]
        path = out / "content" / "2025" / "01" / f"tin-{j + 1}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'---\ntitle: "Tin số {j + 1} về văn bản"\ndate: "2025-01-{j % 28 + 1:02d}"\n'
            f'category: "Tin hoạt động"\n---\n\nThực hiện [văn bản {number}](van-ban:{number}).\n',
            encoding="utf-8",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    make(args.n, args.out, args.seed)


if __name__ == "__main__":
    main()
