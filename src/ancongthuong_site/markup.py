"""Markdown → safe HTML: one configured Python-Markdown instance and the nh3 allow-list."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from urllib.parse import quote, unquote

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .files import FORBIDDEN
from .urls import Urls
from .vietnamese import make_slug, nfc

MAX_BODY_BYTES = 1024 * 1024
# Python-Markdown is quadratic on runs of unclosed "[" (Python-Markdown/markdown #798).
MAX_OPEN_BRACKETS = 1000
MAX_BRACKET_DEPTH = 50  # nested brackets are quadratic too, even when balanced
# Python-Markdown rebuilds a paragraph's whole text after every inline match (link,
# emphasis, entity), so one paragraph of n marks costs n × its length: a 1 MiB paragraph
# made only of links took half a minute. Each paragraph gets a budget of marks instead.
MAX_INLINE_MARKS = 2000
SUMMARY_CHARS = 300
_BRACKETS = re.compile(r"[\[\]]")
_INLINE_MARKS = re.compile(r"[\[*_`<&\\]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match.group() == "[" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


_TAGS = (set(nh3.ALLOWED_TAGS) | {"iframe"}) - {"center", "strike", "tt", "acronym"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    **{f"h{n}": {"id"} for n in range(1, 7)},
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"style", "align", "colspan", "rowspan", "scope"},
    "td": {"style", "align", "colspan", "rowspan"},
    "iframe": {"src", "width", "height", "title", "allowfullscreen"},
    "code": {"class"},
    "figure": {"class"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


class BodyTooComplex(ValueError):
    """The body cannot be published: over the size or complexity budget (E107/E140), or it
    would put a forbidden character into the page (E122). `line` counts from the body's
    first line (0)."""

    def __init__(self, code: str, message: str, hint: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint or "chia bài thành nhiều bài nhỏ hoặc sửa định dạng"
        self.line = line


@dataclass(frozen=True)
class MarkupSettings:
    """Everything besides the text that changes the HTML (part of the parse-cache key)."""

    base_url: str
    allow_raw_html: bool
    page_ids: frozenset[str] = frozenset()  # ids the templates use: no heading may take one

    def key(self) -> str:
        return f"{self.base_url}|{int(self.allow_raw_html)}|{','.join(sorted(self.page_ids))}"


class _FigureProcessor(Treeprocessor):
    """An image alone in its paragraph becomes a figure with its caption (title, else alt).

    An empty src means the photo is not available: only the caption is shown, never a
    broken image. Also finds the first text paragraph, the default summary: its text is
    read only after the whole document is converted (see `Renderer.render`), because
    until then it holds Markdown's placeholders for entities, escapes and raw HTML.
    """

    def run(self, root: etree.Element) -> None:
        self.md.first_paragraph = None  # type: ignore[attr-defined]
        # Every image and link as written, for the image pipeline and file-size hints.
        self.md.found_images = [  # type: ignore[attr-defined]
            (img.get("src", ""), bool(img.get("alt") or img.get("title")))
            for img in root.iter("img")
            if img.get("src")
        ]
        self.md.found_links = [a.get("href", "") for a in root.iter("a") if a.get("href")]  # type: ignore[attr-defined]
        for element in list(root.iter("p")):
            children = list(element)
            only_image = (
                len(children) == 1
                and children[0].tag == "img"
                and not (element.text or "").strip()
                and not (children[0].tail or "").strip()
            )
            if only_image:
                image = children[0]
                caption = image.get("title") or image.get("alt") or ""
                element.tag = "figure"
                element.text = None
                if not image.get("src"):
                    element.remove(image)
                else:
                    image.tail = None
                if caption:
                    figcaption = etree.SubElement(element, "figcaption")
                    figcaption.text = caption
            elif (
                self.md.first_paragraph is None  # type: ignore[attr-defined]
                and "".join(element.itertext()).strip()
            ):
                self.md.first_paragraph = element  # type: ignore[attr-defined]


# An article links a document of the register by its number: [Quyết định 12](van-ban:12/QĐ-SCT).
# The body is parsed (and cached) without knowing the register, so the link is kept as a
# marker and replaced by the document's URL when the page is rendered.
DOCUMENT_SCHEME = "van-ban:"
_DOCUMENT_MARKER = "#van-ban="
_MARKER_HREF = re.compile(r'href="#van-ban=([^"]*)"')


class _DocumentLinkProcessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        refs: list[str] = []
        for link in root.iter("a"):
            href = link.get("href") or ""
            if href.startswith(DOCUMENT_SCHEME):
                number = " ".join(nfc(unquote(href[len(DOCUMENT_SCHEME) :])).split())
                if number not in refs:
                    refs.append(number)
                link.set("href", _DOCUMENT_MARKER + quote(number, safe=""))
        self.md.document_refs = tuple(refs)  # type: ignore[attr-defined]


def resolve_document_links(body_html: str, links: dict[str, str]) -> str:
    """Put each document's URL where the body links it by number (`links`: number → URL)."""
    if _DOCUMENT_MARKER not in body_html:
        return body_html
    return _MARKER_HREF.sub(
        lambda m: 'href="' + links.get(unquote(m.group(1)), "#") + '"', body_html
    )


class _PortalExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown API)
        md.treeprocessors.register(_FigureProcessor(md), "portal_figures", 5)
        md.treeprocessors.register(_DocumentLinkProcessor(md), "portal_documents", 4)


class Renderer:
    """Reused per process: Python-Markdown is reset per document (toc state included)."""

    def __init__(self, settings: MarkupSettings) -> None:
        self.settings = settings
        self.urls = Urls(settings.base_url)
        self.document_refs: tuple[str, ...] = ()
        self.images: list[tuple[str, bool]] = []  # (src, has alt text) of the last render
        self.links: list[str] = []  # hrefs of the last render
        self.md = markdown.Markdown(
            extensions=["tables", "toc", "sane_lists", "fenced_code", _PortalExtension()],
            extension_configs={
                "toc": {"slugify": lambda value, sep: heading_id(value, settings.page_ids)}
            },
            output_format="html",
        )
        if not settings.allow_raw_html:
            # Raw HTML in a body is shown as text unless the site opts in.
            self.md.preprocessors.deregister("html_block")
            self.md.inlinePatterns.deregister("html")

    def render(self, text: str) -> tuple[str, str]:
        """Return (sanitised HTML, first paragraph as plain text)."""
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_BODY_BYTES:
            raise BodyTooComplex("E107", f"thân bài quá lớn ({size} byte, tối đa {MAX_BODY_BYTES})")
        if text.count("[") - text.count("]") > MAX_OPEN_BRACKETS:
            raise BodyTooComplex("E140", "quá nhiều dấu [ chưa đóng")
        if text.count("[") > MAX_BRACKET_DEPTH and _bracket_depth(text) > MAX_BRACKET_DEPTH:
            raise BodyTooComplex("E140", f"dấu [ ] lồng nhau quá {MAX_BRACKET_DEPTH} cấp")
        if len(_INLINE_MARKS.findall(text)) > MAX_INLINE_MARKS:
            _check_paragraph_marks(text)
        self.md.reset()
        # Markdown skips the tree processors for a blank body: forget the last document's.
        self.md.first_paragraph = None  # type: ignore[attr-defined]
        try:
            html = self.md.convert(text)
        except RecursionError:
            raise BodyTooComplex(
                "E140", "nội dung lồng nhau quá sâu (danh sách, trích dẫn)"
            ) from None
        body = self.sanitize(html)
        bad = FORBIDDEN.search(body)
        if bad:  # a character reference (&#x1;) the raw-text check cannot see
            raise BodyTooComplex(
                "E122",
                f"ký tự điều khiển U+{ord(bad.group()):04X} không được phép",
                "xóa mã ký tự này (dạng &#x…;) khỏi bài",
                _reference_line(text, bad.group()),
            )
        # Read by the caller after each render: documents linked by number in this body.
        self.document_refs = getattr(self.md, "document_refs", ())
        self.images = getattr(self.md, "found_images", [])
        self.links = getattr(self.md, "found_links", [])
        return body, self._first_paragraph_text()

    def _first_paragraph_text(self) -> str:
        """The first paragraph as plain text, with every placeholder restored."""
        element = getattr(self.md, "first_paragraph", None)
        if element is None:
            return ""
        tail, element.tail = element.tail, None
        try:
            fragment = self.md.serializer(element)
        finally:
            element.tail = tail
        for postprocessor in self.md.postprocessors:
            fragment = postprocessor.run(fragment)
        return html.unescape(nh3.clean(fragment, tags=set())).strip()

    def sanitize(self, html: str) -> str:
        return nh3.clean(
            html,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes=_URL_SCHEMES,
            attribute_filter=self._filter_attribute,
            filter_style_properties={"text-align"},
            link_rel=None,
            strip_comments=True,
        )

    def _filter_attribute(self, tag: str, attribute: str, value: str) -> str | None:
        if attribute in ("href", "src"):
            if tag == "iframe" and not value.startswith("https://"):
                return None
            return self.urls.rebase(value)
        return value


def heading_id(text: str, page_ids: frozenset[str] = frozenset()) -> str:
    """A heading's id; never one the templates give to the page (the skip link's target
    "noi-dung", the search form), or a link to it would land on the heading."""
    slug = make_slug(text) or "muc"
    while slug in page_ids:
        slug += "-muc"
    return slug


def _check_paragraph_marks(text: str) -> None:
    offset = 0
    for block in _BLANK_LINE.split(text):
        marks = len(_INLINE_MARKS.findall(block))
        if marks > MAX_INLINE_MARKS:
            raise BodyTooComplex(
                "E140",
                f"một đoạn văn có quá nhiều liên kết hay định dạng ({marks} dấu [ * _ ` < & \\, "
                f"tối đa {MAX_INLINE_MARKS})",
                "chia đoạn văn thành nhiều đoạn hoặc một danh sách",
                text.count("\n", 0, text.find(block, offset)),
            )
        offset += len(block)


def _reference_line(text: str, char: str) -> int:
    """The line of the reference that decodes to `char`, counted from the line that closes
    the front matter (where the body text starts), or 0 if no reference does."""
    for match in _CHARACTER_REFERENCE.finditer(text):
        hex_digits, decimal = match.groups()
        try:
            value = int(hex_digits, 16) if hex_digits else int(decimal)
        except ValueError:
            continue
        if value == ord(char):
            return text.count("\n", 0, match.start())
    return 0


def summarize(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Cut plain text at a word boundary within `limit` characters, adding an ellipsis."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–-")
    return cut + "…"
