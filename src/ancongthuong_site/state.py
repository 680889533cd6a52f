"""One home for incremental state: what the last build made, from what, with which digests.

- `BuildRecord` sits in the output's marker: the fingerprint of every input and the window
  of time in which the output stays right. A build whose inputs match it stops before
  parsing anything.
- `PlanRecord` sits in `.cache/plan.pickle` (signed like every cache file): for each output
  page its digest, the content file it comes from and the articles whose cards it shows;
  for each content file its digest and for each article its card's digest; the digests of
  everything else a page can depend on (settings, the layout). A rebuild whose change
  stays inside some articles (a body, a title, a summary) plans only the pages that show
  them (see `replan.py`); any other change plans every page, as a clean build does.

Every record is an optimisation: losing one makes the next build plan everything.
"""

from __future__ import annotations

import dataclasses
import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .codeversion import CACHE_DIR, code_version
from .signed import atomic_write, load_sealed, seal

log = logging.getLogger(__name__)
PLAN_FILE = "plan.pickle"


@dataclass(frozen=True)
class BuildRecord:
    """What an output tree was built from (the marker's "inputs")."""

    fingerprint: str
    valid_from: float | None  # the output is right from this moment…
    valid_until: float | None  # …until this one (an article appears or expires)
    articles: int
    pages: int
    documents: int
    scheduled: tuple[float, ...] = ()  # articles still to appear
    files: int = 0  # how many files the tree holds (read back, never written)

    def valid_at(self, moment: float) -> bool:
        return (self.valid_from is None or moment >= self.valid_from) and (
            self.valid_until is None or moment < self.valid_until
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "articles": self.articles,
            "pages": self.pages,
            "documents": self.documents,
            "scheduled": list(self.scheduled),
        }

    @classmethod
    def from_json(cls, data: object, files: int = 0) -> BuildRecord | None:
        """The record, or None when the marker holds something else (an older format)."""
        if not isinstance(data, dict) or not isinstance(data.get("fingerprint"), str):
            return None
        try:
            return cls(
                data["fingerprint"],
                _moment(data.get("valid_from")),
                _moment(data.get("valid_until")),
                int(data.get("articles", 0)),
                int(data.get("pages", 0)),
                int(data.get("documents", 0)),
                tuple(float(t) for t in data.get("scheduled", ())),
                files,
            )
        except (TypeError, ValueError):
            return None


def _moment(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


class PageRecord(NamedTuple):
    """One output page: its digest, its content file ("" for none), its template ("" for a
    file written as it is), the cards it shows."""

    digest: str
    source: str
    template: str
    cards: tuple[str, ...]  # paths of the articles whose cards the page shows


@dataclass(frozen=True)
class EarlierUrls:
    """The URLs moved articles had (current file → earlier URLs, for redirect pages), with
    what the answer depends on besides the articles' own URLs: where the earlier versions
    were read from (`key`: git's HEAD, the record of published URLs) and the first moment
    a version still to come would count (`until`)."""

    key: tuple[str, ...]
    until: float | None
    old: dict[str, list[str]]

    def still(self, key: tuple[str, ...], moment: float) -> bool:
        return key == self.key and (self.until is None or moment < self.until)


@dataclass
class PlanRecord:
    """The planning of the last build, for the next to plan only what a change touches."""

    settings: str  # digest of everything but the content files (code, config, templates…)
    valid_from: float | None
    valid_until: float | None
    layout: str  # digest of the layout every page shows (menu, sidebar)
    sources: dict[str, str]  # content file → digest of its bytes
    cards: dict[str, str]  # article path → digest of its card
    pages: dict[str, PageRecord]  # output path → record
    files: dict[str, str]  # every output file → its manifest digest (pages, static, images)
    earlier: EarlierUrls | None = None  # the redirects' old URLs, for a change that moves none
    stamp: str = field(default_factory=code_version)

    def valid_at(self, moment: float) -> bool:
        return (self.valid_from is None or moment >= self.valid_from) and (
            self.valid_until is None or moment < self.valid_until
        )


def load_plan(root: Path) -> PlanRecord | None:
    try:
        found = load_sealed(root / CACHE_DIR / PLAN_FILE)
    except Exception as error:  # noqa: BLE001 - any damage means "plan everything"
        log.info("ignoring unreadable plan record: %s", error)
        return None
    if not isinstance(found, PlanRecord) or found.stamp != code_version():
        return None
    found.pages = {rel: PageRecord._make(page) for rel, page in found.pages.items()}
    return found


def save_plan(root: Path, record: PlanRecord) -> None:
    # Pages as plain tuples: a named tuple is pickled through a Python call each (13,000).
    plain = dataclasses.replace(record, pages={rel: (*page,) for rel, page in record.pages.items()})
    try:
        data = pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(root / CACHE_DIR / PLAN_FILE, seal(data))
    except OSError as error:
        log.info("plan record not written: %s", error)
