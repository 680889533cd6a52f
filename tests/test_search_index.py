"""The search index's contents, read back from a built site the way search.js reads it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import shutil

import numpy as np
import pytest

from ancongthuong_site import searchindex
from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.searchindex import (
    MemoryIndexState,
    SearchEntry,
    build_search_index,
    index_with_state,
    shard_name,
)
from ancongthuong_site.searchstate import PackedTexts
from ancongthuong_site.searchterms import (
    codes_of,
    encode_terms,
    form_code,
    number_codes,
    read_numbers,
)
from ancongthuong_site.searchtexts import DamagedText
from ancongthuong_site.searchtokens import syllables
from ancongthuong_site.vietnamese import fold
from conftest import article, built_index_files, read_index, read_terms_rows, write_tree


def test_every_field_is_indexed_with_positions_and_spellings(make_site) -> None:
    root = make_site(
        {
            "content/2024/02/hoi-nghi.md": article(
                title="Đảng ủy Sở tổ chức hội nghị",
                summary="Tóm tắt về xuất khẩu gạo.",
                tags=["năng lượng", "OCOP"],
                author="Trần Thị Mai",
                body="Đồng chí Nguyễn Văn An đang phát biểu.\n\n| Cột | Khác |\n|---|---|\n| dưa&nbsp;hấu | x |",
            ),
            "content/2024/03/khac.md": article(title="Tin đang ủy quyền", date="2024-03-01"),
            "content/2024/03/het-han.md": article(
                title="Tin hết hạn", date="2024-03-02", expires="2024-06-01", body="Chữ ẩn dật."
            ),
            "content/2024/03/nhap.md": article(
                title="Bản nháp", date="2024-03-03", draft=True, body="Chữ bí mật."
            ),
            "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\nChức năng nhiệm vụ của Sở.\n",
        }
    )
    build(root)
    meta, postings = read_index(built_index_files(root))
    article_url, other_url, page_url = "/2024/02/hoi-nghi/", "/2024/03/khac/", "/gioi-thieu/"
    # Pages come first, then articles oldest first; groups name type and category.
    assert meta["count"] == 3
    groups = [meta["groups"][ord(c) - 0x30] for c in meta["kinds"]]
    assert groups == [
        {"type": "page", "category": ""},
        {"type": "article", "category": "Tin hoạt động"},
        {"type": "article", "category": "Tin hoạt động"},
    ]
    assert meta["years"] == {"2024": [1, 2]}
    # The title comes first and is counted; the folded syllable holds both spellings.
    dang = postings["dang"]
    assert dang[article_url]["positions"][0] == 0 and dang[article_url]["title"] == 1
    assert dang[article_url]["forms"] == form_code("đảng") + form_code("đang")
    assert dang[other_url]["forms"] == form_code("đang") and dang[other_url]["title"] == 1
    assert postings["uy"][article_url]["forms"] == form_code("ủy")  # one spelling: one code
    # Summary, tags, author and body (table cells and entities too) are all there, and a
    # name's syllables stand one after another.
    for word in ("xuat", "khau", "nang", "luong", "ocop", "tran", "mai", "dua", "hau", "cot"):
        assert article_url in postings[word], word
        assert postings[word][article_url]["title"] == 0
    start = postings["nguyen"][article_url]["positions"][0]
    assert postings["van"][article_url]["positions"][0] == start + 1
    assert postings["an"][article_url]["positions"][0] == start + 2
    # Two fields never touch: "gạo" ends the summary, "năng" starts the first tag.
    assert (
        postings["nang"][article_url]["positions"][0] - postings["gao"][article_url]["positions"][0]
        == 2
    )
    assert page_url in postings["chuc"] and page_url in postings["gioi"]
    # Expired articles and drafts are not searchable.
    assert "dat" not in postings and "mat" not in postings


def test_documents_are_one_call_away() -> None:
    # A document register adds entries of type "document"; its number is split into
    # syllables, so "123/QĐ-SCT", "qd 123" and "quyết định 123" all reach it.
    terms = encode_terms(
        "Quyết định 123/QĐ-SCT về việc ban hành quy chế", ("Sở Công Thương tỉnh An Giang",)
    )
    entry = SearchEntry(
        "document", "/van-ban/123-qd-sct/", "Quyết định 123/QĐ-SCT", None, "", "Quyết định", terms
    )
    meta, postings = read_index(build_search_index([entry]))
    assert meta["groups"] == [{"type": "document", "category": "Quyết định"}]
    for syllable in ("quyet", "dinh", "123", "qd", "sct", "giang"):
        assert postings[syllable]["/van-ban/123-qd-sct/"]["title"] >= (syllable != "giang")


def test_a_title_edit_moves_only_the_title_syllables() -> None:
    # A longer or shorter title must not shift the body's positions: otherwise one title
    # edit rewrites the shard of every syllable of the article.
    def rows(title: str) -> dict[str, str]:
        names, lines = encode_terms(title, ["Sở Công Thương kiểm tra xăng dầu"]).split("\0")
        return dict(zip(names.split("\n"), lines.split("\n"), strict=True))

    short, long = rows("Kiểm tra"), rows("Kiểm tra an toàn hóa chất tháng 4 (cập nhật)")
    assert set(long) - set(short) == {"an", "toan", "hoa", "chat", "thang", "4", "cap", "nhat"}
    for syllable in ("so", "cong", "thuong", "xang", "dau"):
        assert short[syllable] == long[syllable]
    assert short["kiem"] == long["kiem"]  # the title's own positions stay where they were


def test_number_codes_follow_one_another_and_read_back() -> None:
    # Gaps and counts are written as codes with no separator: every number reads back,
    # whatever its size (one, two or many base-32 digits).
    values = [0, 1, 9, 31, 32, 33, 1023, 1024, 32767, 32768, 10**9, 5, 0]
    text = number_codes(values)
    assert read_numbers(text) == values
    assert len(number_codes([31])) == 1 and len(number_codes([32])) == 2
    assert '"' not in text and "\\" not in text and " " not in text
    # Made for an array at once, from a table: the same codes, past the table's end too.
    edges = [(1 << bits) + step for bits in (5, 10, 15) for step in (-1, 0, 1)]
    for many in ([*range(2000), *edges, (1 << 20) - 1], [*edges, 1 << 20, *values]):
        assert codes_of(np.array(many, np.int64)) == number_codes(many)
        assert read_numbers(codes_of(np.array(many, np.int64))) == many


def test_the_index_is_deterministic_and_entries_keep_their_numbers(make_site) -> None:
    root = make_site(
        {
            f"content/2024/0{m}/bai-{m}.md": article(
                title=f"Bài số {m}", date=f"2024-0{m}-10", body=f"Nội dung thứ {m} về thương mại."
            )
            for m in range(1, 6)
        }
    )
    build(root)
    first = built_index_files(root)
    (root / "_site").rename(root / "old")
    build(root)
    assert built_index_files(root) == first
    # A newer article is appended: every older entry keeps its number.
    write_tree(root, {"content/2024/09/moi.md": article(title="Bài mới", date="2024-09-01")})
    build(root)
    after = built_index_files(root)
    old_docs = json.loads(first["d/0.json"])["docs"]
    assert json.loads(after["d/0.json"])["docs"][: len(old_docs)] == old_docs


def test_a_whole_merge_in_a_child_process_equals_one_made_in_the_build(
    make_site, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    root = make_site(
        {
            f"content/2024/0{m}/bai-{m}.md": article(
                title=f"Bài số {m}", date=f"2024-0{m}-10", body=f"Đảng ủy họp lần thứ {m}."
            )
            for m in range(1, 6)
        }
    )
    made = {}
    taken = []  # what each child sent back (None: it failed)
    child_result = searchindex._child_result
    monkeypatch.setattr(
        searchindex, "_child_result", lambda *a: taken.append(child_result(*a)) or taken[-1]
    )
    for fork_from in (1, 10**9):  # a child process for every whole merge, then never
        monkeypatch.setattr(searchindex, "FORK_FROM", fork_from)
        shutil.rmtree(root / ".cache", ignore_errors=True)
        shutil.rmtree(root / "_site", ignore_errors=True)
        build(root)
        made[fork_from] = built_index_files(root)
        # The next build updates what the child kept, as it would what the build kept.
        write_tree(root, {"content/2024/09/moi.md": article(title="Bài mới", date="2024-09-01")})
        build(root)
        made[-fork_from] = built_index_files(root)
        (root / "content/2024/09/moi.md").unlink()
    assert len(taken) == 1 and taken[0] is not None  # one cold build, merged by its child
    assert made[1] == made[10**9] and made[-1] == made[-(10**9)]
    assert made[1] != made[-1]


def test_heavy_syllables_side_by_side_have_pair_postings() -> None:
    # "công thương" stands often enough in every entry for both syllables to be heavy: the
    # pair postings hold exactly the entries where the two stand side by side, in either
    # order, with each distinct pair of spellings found there, the title's first.
    sources = {
        "/a/": ("Sở Công Thương họp", ["công thương " * 9, "thương công"]),
        "/b/": ("Tin khác", ["Công thường và công thương " * 5, "công nghệ thương mại " * 4]),
        "/c/": ("Công nghệ", ["công nghệ " * 10 + "thương mại " * 10]),
    }
    entries = [
        SearchEntry(
            "article",
            url,
            title,
            dt.datetime(2024, 1, 1 + n, tzinfo=dt.UTC),
            "",
            "Tin",
            encode_terms(title, fields),
        )
        for n, (url, (title, fields)) in enumerate(sources.items())
    ]
    files = build_search_index(entries)
    meta, _ = read_index(files)
    assert {"cong", "thuong"} <= set(meta["pairs"]["syllables"])
    found = read_pairs(files, meta)
    for first, second in (("cong", "thuong"), ("thuong", "cong")):
        expected = {}
        for url, (title, fields) in sources.items():
            tokens = syllables(title) + [t for text in fields for t in ["|", *syllables(text)]]
            titled, elsewhere = set(), set()
            for i in range(len(tokens) - 1):
                if (fold(tokens[i]), fold(tokens[i + 1])) == (first, second):
                    spelt = form_code(tokens[i]) + form_code(tokens[i + 1])
                    (titled if i + 1 < len(syllables(title)) else elsewhere).add(spelt)
            if titled or elsewhere:
                expected[url] = (len(titled), "".join(sorted(titled) + sorted(elsewhere - titled)))
        assert found[f"{first} {second}"] == expected
    assert "/c/" not in found["cong thuong"]  # both syllables, never side by side
    assert found["cong thuong"]["/a/"][0] == 1  # "Công Thương" in the title, listed first


def test_the_merge_files_every_entry_s_rows_under_their_syllables() -> None:
    # Syllables of any length (the merge knows those of at most eight bytes by a number
    # they make, longer ones by name), spelt outside Vietnamese too, in more entries than
    # the merge files at once: each syllable's postings are exactly its rows in the
    # entries' terms.
    rng = random.Random(7)
    words = ["Đảng", "ủy", "a", "nghiêng", "abcdefgh", "abcdefghi", "chuyểnđổisố", "straße"]
    words += ["日本語", "日本", "ñandú", "12345678", "123456789", "Ðiện", "x1", "ǅemal"]
    texts = [
        (
            " ".join(rng.choices(words, k=rng.randrange(0, 5))),
            ("", " ".join(rng.choices(words, k=rng.randrange(0, 60)))),
        )
        for _ in range(300)
    ]
    entries = [
        SearchEntry(
            "article",
            f"/bai/{n}/",
            title,
            dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n),
            "",
            "Tin",
            encode_terms(title, fields),
        )
        for n, (title, fields) in enumerate(texts)
    ]
    _, postings = read_index(build_search_index(entries))
    expected: dict[str, dict[str, dict]] = {}
    for entry in entries:
        for syllable, row in read_terms_rows(entry.terms).items():  # type: ignore[arg-type]
            expected.setdefault(syllable, {})[entry.url] = row
    assert {"chuyendoiso", "abcdefghi", "日本語", "nandu", "dien"} <= set(expected)
    assert postings == expected


def read_pairs(files: dict[str, str], meta: dict) -> dict[str, dict[str, tuple[int, str]]]:
    """Every pair's postings: {"a b": {url: (pairs of spellings in the title, forms)}}."""
    urls = [
        doc["url"]
        for n in range(0, meta["count"], meta["chunk"])
        for doc in json.loads(files[f"d/{n // meta['chunk']}.json"])["docs"]
    ]
    found: dict[str, dict[str, tuple[int, str]]] = {}
    for first in meta["pairs"]["shards"]:
        for key, entry in json.loads(files[f"p/{shard_name(first)}.json"])["pairs"].items():
            number = 0
            rows = found.setdefault(key, {})
            for gap, title, forms in zip(entry["doc"], entry["title"], entry["form"], strict=True):
                number += gap
                rows[urls[number]] = (title, forms)
    return found


def test_a_rebuild_merges_only_the_changed_entries_and_matches_a_whole_merge(
    make_site, caplog
) -> None:  # type: ignore[no-untyped-def]
    body = "Sở Công Thương " * 10 + "kiểm tra thị trường."
    root = make_site(
        {
            f"content/2024/0{m}/bai-{m}.md": article(
                title=f"Công Thương tháng {m}", date=f"2024-0{m}-10", body=body
            )
            for m in range(1, 8)
        }
    )
    build(root)

    def rebuilt_like_a_clean_build(merged_again: bool) -> None:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="ancongthuong_site.searchupdate"):
            build(root)
        assert ("1 of" in caplog.text) == merged_again, caplog.text
        clean = root.parent / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        shutil.copytree(root / "content", clean / "content")
        for name in ("templates", "static", "site.yaml"):
            (shutil.copytree if name != "site.yaml" else shutil.copy)(root / name, clean / name)
        build(clean, BuildOptions(use_cache=False))
        assert built_index_files(root) == built_index_files(clean)

    meta, _ = read_index(built_index_files(root))
    assert {"cong", "thuong"} <= set(meta["pairs"]["syllables"])
    # A body edit that adds a pair ("thương công") and a new word; then one that takes
    # every heavy syllable out of an article; then a newer article.
    edited = root / "content/2024/04/bai-4.md"
    edited.write_text(
        article(title="Công Thương tháng 4", date="2024-04-10", body=body + " Thương công xyzzy."),
        "utf-8",
    )
    rebuilt_like_a_clean_build(merged_again=True)
    assert "xyzzy" in read_index(built_index_files(root))[1]
    assert "/2024/04/bai-4/" in read_pairs(built_index_files(root), meta)["thuong cong"]
    edited.write_text(article(title="Tháng 4", date="2024-04-10", body="Chỉ một dòng."), "utf-8")
    rebuilt_like_a_clean_build(merged_again=True)
    write_tree(
        root, {"content/2024/09/moi.md": article(title="Bài mới", date="2024-09-01", body=body)}
    )
    rebuilt_like_a_clean_build(merged_again=True)
    # A kept index that this key did not sign (planted, damaged) is never read.
    kept = root / ".cache" / "search-index.pickle"
    kept.write_bytes(kept.read_bytes()[:-1] + b"!")
    write_tree(root, {"content/2024/10/khac.md": article(title="Khác", date="2024-10-01")})
    rebuilt_like_a_clean_build(merged_again=False)
    # An older date moves every later entry: the whole index is merged again.
    edited.write_text(article(title="Tháng 4", date="2023-04-10", body="Chỉ một dòng."), "utf-8")
    rebuilt_like_a_clean_build(merged_again=False)


def test_random_edits_update_the_kept_index_exactly_as_a_whole_merge(caplog) -> None:  # type: ignore[no-untyped-def]
    # Entries gain, lose and change words (in the middle of a syllable's entries, at its
    # ends, alone in it), newer entries come: each update of the index kept in memory (as
    # serve keeps it) is byte for byte the whole merge of the same entries.
    rng = random.Random(14)
    words = [
        "Đảng",
        "ủy",
        "đang",
        "xuất",
        "khẩu",
        "giá",
        "xăng",
        "dầu",
        "hội",
        "nghị",
        "gạo",
        "OCOP",
        "2024",
        "Ðiện",
    ]
    words += [f"tu{n}" for n in range(30)]

    def text() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randrange(0, 40)))

    def entry(number: int) -> SearchEntry:
        body = "Công Thương " * rng.randrange(8, 11) + text()
        return SearchEntry(
            "article",
            f"/bai/{number}/",
            f"Bài {number}",
            dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=number),
            "",
            "Tin",
            encode_terms(text() or "Tin", [body, text()]),
        )

    entries = [entry(n) for n in range(40)]
    state = MemoryIndexState()
    with caplog.at_level(logging.DEBUG, logger="ancongthuong_site.searchupdate"):
        for step in range(14):
            files = index_with_state(entries, state)
            kept = {name: file.data().decode() for name, file in files.items()}
            assert kept == build_search_index(entries), step
            for n in rng.sample(range(len(entries)), rng.randrange(1, 3)):
                entries[n] = entry(n)
            if step % 4 == 3:
                entries.append(entry(len(entries)))
            if step == 9:  # kept texts lost: the next index is merged whole, and right
                state.texts.start_over()
    assert caplog.text.count("entries merged again") >= 9  # updated, not merged whole


def test_the_kept_texts_survive_another_build_writing_beside_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Two builds sharing a cache: each reads back exactly what it put, whatever the other
    # appended or started over meanwhile; a text not as recorded is refused, never used.
    mine, other = PackedTexts(tmp_path / "p"), PackedTexts(tmp_path / "p")
    first = mine.put(b"first text")
    theirs = other.put(b"theirs")
    second = mine.put(b"second")
    assert (mine.get(first), mine.get(second), other.get(theirs)) == (
        b"first text",
        b"second",
        b"theirs",
    )
    other.start_over()
    other.put(b"a new pack")
    assert mine.get(second) == b"second"  # the file it wrote, still open
    with pytest.raises(DamagedText):
        PackedTexts(tmp_path / "p").get(second)  # the new pack does not hold it
