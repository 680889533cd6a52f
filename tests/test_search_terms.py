"""A document's search terms, as `searchterms` writes them with numpy for a chunk of files,
against the format read word by word in plain Python."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ancongthuong_site.searchterms import (
    FIELDS_START,
    Numbered,
    encode_many,
    encode_terms,
    form_code,
)
from ancongthuong_site.searchtokens import Cutter, syllables
from ancongthuong_site.vietnamese import fold
from conftest import read_terms_rows

# Syllables, look-alikes, NFD and marks with no precomposed form, words longer than the
# numpy cut's keys, letters outside Vietnamese, and any character of the first plane (a
# character beyond it, such as an emoji, sends a chunk the slow way: tested apart).
WORDS = [
    *("Đảng", "đang", "ủy", "uỷ", "ĐẢNG", "Ðảng", "hoà", "hòa", "xuất", "khẩu", "2024", "a"),
    *("nghiêng", "Nguye\u0302\u0303n", "q\u0301", "\u0301an", "chuyểnđổisố", "straße", "x_y"),
    *("congnghe", "congnghệ1", "\u0301\u0300", "x\u0301\u0300y"),  # 8 and 9 characters
    "a\u036fb\u0300",
]
text = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=6),
    ),
    max_size=40,
).map(" ".join)
document = st.tuples(text, st.lists(text, max_size=4).map(tuple))


def read_terms(terms: str) -> dict[str, tuple[int, list[int], list[str]]]:
    """syllable → (hits in the title, positions, spelling code of each hit)."""
    found = {}
    for name, row in read_terms_rows(terms).items():
        codes = [row["forms"][i : i + 2] for i in range(0, len(row["forms"]), 2)]
        hits = len(row["positions"])
        found[name] = (row["title"], row["positions"], codes * hits if len(codes) == 1 else codes)
    return found


def expected(title: str, fields: tuple[str, ...]) -> dict[str, tuple[int, list[int], list[str]]]:
    """The same, counted word by word from the texts."""
    placed = list(enumerate(syllables(title)))
    at = max(FIELDS_START, len(placed) + 1)
    for field in fields:
        words = syllables(field)
        placed += [(at + i, word) for i, word in enumerate(words)]
        at += len(words) + 1
    found: dict[str, tuple[int, list[int], list[str]]] = {}
    title_length = len(syllables(title))
    for position, word in placed:
        hits, positions, codes = found.get(fold(word), (0, [], []))
        found[fold(word)] = (
            hits + (position < title_length),
            [*positions, position],
            [*codes, form_code(word)],
        )
    return dict(sorted(found.items()))


@settings(max_examples=150, deadline=None)
@given(st.lists(document, max_size=70))
def test_a_chunk_of_files_gets_each_file_s_own_terms(documents) -> None:  # type: ignore[no-untyped-def]
    # More than one numpy batch (64 files), empty files and long ones among them.
    together = encode_many(documents)
    assert together == [encode_terms(title, fields) for title, fields in documents]
    for (title, fields), terms in zip(documents, together, strict=True):
        assert read_terms(terms) == expected(title, fields)


def test_a_chunk_with_characters_beyond_the_first_plane_is_cut_alike() -> None:
    documents = [("Tin 😀 vui", ("Đảng ủy 𝐀𝐁 hoà",)), ("Đảng ủy", ("hòa",))]
    for (title, fields), terms in zip(documents, encode_many(documents), strict=True):
        assert read_terms(terms) == expected(title, fields)


def test_positions_far_into_a_long_text_are_written_whole() -> None:
    body = " ".join(["một"] * 70_000 + ["cuối"])
    found = read_terms(encode_terms("Tiêu đề", ("", body)))
    assert found["cuoi"][1] == [FIELDS_START + 1 + 70_000]
    assert found["mot"][1][-1] == FIELDS_START + 1 + 69_999


@settings(max_examples=60, deadline=None)
@given(st.lists(text, max_size=20), st.lists(text, max_size=20))
def test_tokens_whose_keys_share_a_slot_are_told_apart(first, second) -> None:  # type: ignore[no-untyped-def]
    # Two slots: nearly every key finds its slot taken by another and is looked up apart,
    # across two chunks (the second reads what the first remembered).
    numbered: Numbered = Numbered(lambda token: len(numbered))
    cutter = Cutter(numbered, slot_bits=1)
    for texts in (first, second):
        numbers, counts = cutter.cut(texts)
        spelling = {number: token for token, number in numbered.items()}
        assert [spelling[n] for n in numbers.tolist()] == [
            word for one in texts for word in syllables(one)
        ]
        assert counts.tolist() == [len(syllables(one)) for one in texts]
