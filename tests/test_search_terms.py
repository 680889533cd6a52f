"""A document's search terms, as `searchterms` writes them with numpy for a chunk of files,
against the format read word by word in plain Python."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ancongthuong_site.searchterms import (
    FIELDS_START,
    encode_many,
    encode_terms,
    form_code,
    read_numbers,
)
from ancongthuong_site.searchtokens import syllables
from ancongthuong_site.vietnamese import fold

# Syllables, look-alikes, NFD and marks with no precomposed form, words longer than the
# numpy cut's keys, letters outside Vietnamese, and any character of the first plane (a
# character beyond it, such as an emoji, sends a chunk the slow way: tested apart).
WORDS = [
    *("Đảng", "đang", "ủy", "uỷ", "ĐẢNG", "Ðảng", "hoà", "hòa", "xuất", "khẩu", "2024", "a"),
    *("nghiêng", "Nguye\u0302\u0303n", "q\u0301", "\u0301an", "chuyểnđổisố", "straße", "x_y"),
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
    if not terms:
        return {}
    names, rows = terms.split("\0")
    found = {}
    for name, row in zip(names.split("\n"), rows.split("\n"), strict=True):
        title, places, forms = row.split("\t")
        gaps = read_numbers(places)
        positions = [sum(gaps[: i + 1]) for i in range(len(gaps))]
        codes = [forms[i : i + 2] for i in range(0, len(forms), 2)]
        found[name] = (
            read_numbers(title)[0],
            positions,
            codes * len(gaps) if len(codes) == 1 else codes,
        )
    assert list(found) == sorted(found)  # syllables in order
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
