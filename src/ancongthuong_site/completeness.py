"""What the law asks a Department's portal to show, and whether this portal shows it yet.

One table serves `new-portal-pages` (the stubs it writes), the pages (the contact page shows
the identity fields) and `check` (the completeness report). The references name the rule
each item comes from, so editors and auditors can look it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import SiteConfig
from .errors import Problem
from .index import SiteIndex
from .models import PageMeta

DECREE_224 = "Nghị định 224/2026/NĐ-CP, Điều 9 khoản 1"
CIRCULAR_32 = "Thông tư 32/2017/TT-BTTTT"
CONTACT_SLUG = "lien-he"  # shows the identity fields of site.yaml and the feedback form
LEADERS_SLUG = "lanh-dao-so"
ENGLISH_CONTACT_SLUG = "contact"
ENGLISH_LEADERS_SLUG = "leaders"


@dataclass(frozen=True)
class Section:
    slug: str  # content/pages/<slug>.md, published at /<slug>/
    title: str
    reference: str
    needs: str  # what makes it complete: "text", "leaders", "image", "links"
    instructions: str  # for the editor, written into the stub as comments


SECTIONS = (
    Section(
        "gioi-thieu",
        "Giới thiệu",
        f"{DECREE_224} điểm b",
        "text",
        "Giới thiệu chung về Sở (vài đoạn ngắn) và liên kết tới các trang con.",
    ),
    Section(
        "chuc-nang-nhiem-vu",
        "Chức năng, nhiệm vụ, quyền hạn",
        f"{DECREE_224} điểm b",
        "text",
        "Chép nguyên văn chức năng, nhiệm vụ, quyền hạn của Sở và các phòng, đơn vị "
        "từ quyết định quy định chức năng, nhiệm vụ còn hiệu lực (ghi số, ngày của quyết định).",
    ),
    Section(
        "co-cau-to-chuc",
        "Cơ cấu tổ chức",
        f"{DECREE_224} điểm b",
        "image",
        "Ghi image: đường dẫn ảnh sơ đồ tổ chức (đặt tệp trong static/images/), "
        "image_caption: chú thích, và liệt kê các phòng, đơn vị trực thuộc trong phần thân.",
    ),
    Section(
        "lanh-dao-so",
        "Lãnh đạo Sở",
        f"{DECREE_224} điểm b",
        "leaders",
        "Mỗi lãnh đạo một mục trong leaders: họ tên, chức vụ, nhiệm vụ được phân công, "
        "điện thoại, thư điện tử, ảnh và tiểu sử tóm tắt. Mục còn để trống tên không hiển thị.",
    ),
    Section(
        "lich-su",
        "Lịch sử hình thành và phát triển",
        f"{DECREE_224} điểm b",
        "text",
        "Tóm tắt quá trình hình thành, kể cả việc hợp nhất tỉnh từ 01/07/2025.",
    ),
    Section(
        "thu-tuc-hanh-chinh",
        "Thủ tục hành chính",
        f"{DECREE_224} điểm a",
        "links",
        "Mỗi thủ tục (hoặc nhóm thủ tục) một mục trong links: tên và địa chỉ trang của thủ tục "
        "trên Cổng Dịch vụ công.",
    ),
    Section(
        "tiep-can-thong-tin",
        "Tiếp cận thông tin",
        "Luật Tiếp cận thông tin 2016, Điều 19; Nghị định 13/2018/NĐ-CP, Điều 11",
        "text",
        "Đầu mối cung cấp thông tin, cách gửi yêu cầu, mẫu phiếu yêu cầu (tệp đính kèm) "
        "và danh mục thông tin phải công khai.",
    ),
    Section(
        "cong-khai-ngan-sach",
        "Công khai ngân sách",
        "Thông tư 61/2017/TT-BTC",
        "text",
        "Các báo cáo công khai dự toán, tình hình thực hiện và quyết toán ngân sách, "
        "kèm tệp Excel/Word, theo thời hạn của Thông tư 61/2017/TT-BTC.",
    ),
    Section(
        "lien-he",
        "Liên hệ",
        f"{CIRCULAR_32}; Luật Tiếp cận thông tin 2016, Điều 19",
        "text",
        "Trang này tự hiện địa chỉ, điện thoại, thư điện tử trong footer: của site.yaml; "
        "phần thân ghi thêm giờ làm việc, đầu mối của từng phòng nếu có.",
    ),
)

# English pages (content/pages/en/<slug>.md → /en/<slug>/), each paired with its Vietnamese page.
ENGLISH_SECTIONS = (
    Section(
        "introduction",
        "Introduction",
        "gioi-thieu",
        "text",
        "An English version of the Giới thiệu page.",
    ),
    Section(
        "functions",
        "Functions and duties",
        "chuc-nang-nhiem-vu",
        "text",
        "An English version of the Chức năng, nhiệm vụ page.",
    ),
    Section(
        ENGLISH_LEADERS_SLUG,
        "Leadership",
        LEADERS_SLUG,
        "leaders",
        "The same people as on Lãnh đạo Sở, with their positions and duties in English.",
    ),
    Section(
        ENGLISH_CONTACT_SLUG,
        "Contact",
        CONTACT_SLUG,
        "text",
        "The address, phone and email of site.yaml's footer are shown automatically; add "
        "office hours here if wanted.",
    ),
)
"""For these, `reference` holds the slug of the Vietnamese page they translate."""

IDENTITY = (
    ("logo", "Biểu trưng (logo) ở đầu trang", CIRCULAR_32),
    ("owner", "Tên cơ quan chủ quản (footer.owner)", CIRCULAR_32),
    ("address", "Địa chỉ (footer.address)", CIRCULAR_32),
    ("phone", "Điện thoại (footer.phone)", CIRCULAR_32),
    ("email", "Thư điện tử (footer.email)", CIRCULAR_32),
    ("responsible", "Người chịu trách nhiệm chính (footer.responsible)", CIRCULAR_32),
    ("license", "Giấy phép (footer.license)", CIRCULAR_32),
    (
        "feedback_url",
        "Đánh giá mức độ hài lòng (integrations.feedback_url)",
        "Nghị định 224/2026/NĐ-CP, Điều 10 khoản 3",
    ),
    (
        "measurement_script",
        "Mã đo lường cổng (integrations.measurement_script)",
        "Nghị định 224/2026/NĐ-CP, Điều 12",
    ),
)


@dataclass(frozen=True)
class Item:
    present: bool
    label: str
    reference: str
    where: str  # the file an editor opens to fix it
    hint: str


def portal_report(config: SiteConfig, index: SiteIndex) -> list[Item]:
    """Every required item, present or not, in a stable order."""
    pages = {
        page.meta.slug: page
        for page in index.pages
        if not page.meta.draft and not page.path.startswith("pages/en/")
    }
    items = []
    for section in SECTIONS:
        page = pages.get(section.slug)
        where = f"content/pages/{section.slug}.md"
        present = page is not None and _complete(section.needs, page.meta, page.parsed.summary)
        hint = "chạy: ancongthuong-site new-portal-pages" if page is None else section.instructions
        items.append(
            Item(
                present, f"Trang {section.title} (/{section.slug}/)", section.reference, where, hint
            )
        )
    footer = dict(config.footer)
    values = {
        **footer,
        "logo": config.logo,
        "feedback_url": config.integrations.feedback_url or config.integrations.feedback_embed,
        "measurement_script": config.integrations.measurement_script,
    }
    for key, label, reference in IDENTITY:
        items.append(
            Item(
                bool(values.get(key)),
                label,
                reference,
                "site.yaml",
                "ghi thông tin chính thức của Sở vào site.yaml",
            )
        )
    return items


def _complete(needs: str, meta: PageMeta, summary: str) -> bool:
    if needs == "leaders":
        return bool(meta.leaders)
    if needs == "links":
        return bool(meta.links) or bool(summary)
    if needs == "image":
        return bool(meta.image)
    return bool(summary)


def report_text(items: list[Item]) -> str:
    """Every required item, present or missing, with the rule it comes from."""
    lines = [
        f"\nMức độ đầy đủ của cổng: {sum(i.present for i in items)}/{len(items)} mục bắt buộc."
    ]
    lines += [f"  [{'có' if i.present else 'thiếu'}] {i.label} — {i.reference}" for i in items]
    return "\n".join(lines)


def missing_problems(items: list[Item]) -> list[Problem]:
    """One E190 per missing item, at the file an editor opens to fix it."""
    return [
        Problem(
            item.where, 0, "E190", f"cổng còn thiếu: {item.label} ({item.reference})", item.hint
        )
        for item in items
        if not item.present
    ]
