// Tìm kiếm toàn văn: fetches only the index shards of the query's syllables (see
// src/ancongthuong_site/searchindex.py for the files), ranks, pages through every result.
// fold(), syllables() and formCode() are ports of vietnamese.fold and searchterms: the
// browser tests check that both sides agree.
(function () {
  "use strict";
  var PER_PAGE = 10;
  var TOKEN = /[\p{L}\p{N}][\p{L}\p{N}\u0300-\u036f]*/gu;
  var CODES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
  var TYPE_NAMES = { article: "Bài viết", document: "Văn bản", page: "Trang" };

  function fold(text) {
    return text.normalize("NFD").toLowerCase().replace(/[\u0300-\u036f]/g, "")
      .replace(/[đðɖ]/g, "d");
  }

  function syllables(text) {
    return text.normalize("NFC").toLowerCase().replace(/[ðɖ]/g, "đ").match(TOKEN) || [];
  }

  function formCode(form) {
    var value = 0x811c9dc5;
    for (var char of form) {
      value = Math.imul(value ^ char.codePointAt(0), 0x01000193) >>> 0;
    }
    return CODES[value & 63] + CODES[(value >>> 6) & 63];
  }

  function shardName(first) {
    if (/^[a-z0-9]{1,40}$/.test(first)) return first;
    var hex = "";
    new TextEncoder().encode(first).forEach(function (byte) {
      hex += (byte < 16 ? "0" : "") + byte.toString(16);
    });
    return "x" + hex.slice(0, 60);
  }

  window.ancongthuongSearch = { fold: fold, syllables: syllables, formCode: formCode };

  var script = document.currentScript;
  var base = script && script.getAttribute("data-index");
  var form = document.querySelector("form.search-page");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var pager = document.getElementById("search-pager");
  if (!base || !form || !input || !list) return;
  var selects = {
    loai: document.getElementById("search-type"),
    "chuyen-muc": document.getElementById("search-category"),
    nam: document.getElementById("search-year"),
  };

  var cache = {};
  function getJSON(url) {
    if (!cache[url]) {
      cache[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
    }
    return cache[url];
  }

  var metaPromise = getJSON(base + "meta.json");
  // Where each syllable's shard is, written into the page by the build: the shards are
  // asked for while the page is still being laid out, not after meta.json (needed only
  // for the filters) has arrived.
  var lookup = document.getElementById("search-lookup");
  var lookupPromise = lookup ? Promise.resolve(JSON.parse(lookup.textContent)) : metaPromise;

  // The file holding `key`: the last of `firsts` (sorted) that is <= key, in `folder`.
  function shardOf(firsts, folder, key) {
    var low = 0, high = firsts.length - 1;
    if (!firsts.length || key < firsts[0]) return null;
    while (low < high) {
      var middle = (low + high + 1) >> 1;
      if (firsts[middle] <= key) low = middle; else high = middle - 1;
    }
    return base + folder + shardName(firsts[low]) + ".json";
  }

  // The numbers of a text of codes (searchterms.number_code): base 32, most significant
  // digit first, the last digit of each number from FINAL, the others from CONTINUED.
  var FINAL = "0123456789abcdefghijklmnopqrstuv", CONTINUED = "ABCDEFGHIJKLMNOPQRSTUVWXYZ@$&*+-";
  var DIGIT = new Int8Array(128);
  for (var d = 0; d < 32; d++) {
    DIGIT[FINAL.charCodeAt(d)] = d;
    DIGIT[CONTINUED.charCodeAt(d)] = 32 + d;
  }
  function numbers(text) {
    var out = [], value = 0;
    for (var i = 0; i < text.length; i++) {
      var digit = DIGIT[text.charCodeAt(i)];
      if (digit >= 32) { value = value * 32 + digit - 32; continue; }
      out.push(value * 32 + digit);
      value = 0;
    }
    return out;
  }

  // Postings of one syllable: its entry numbers (ascending), and per entry the title
  // count, the positions' codes and the forms; the positions are read only for the
  // entries that hold every syllable (see row). No object per entry: a common syllable
  // is held by thousands.
  function postings(entry) {
    var gaps = numbers(entry.doc), docs = new Int32Array(gaps.length), doc = 0;
    for (var i = 0; i < gaps.length; i++) { doc += gaps[i]; docs[i] = doc; }
    return { docs: docs, titles: numbers(entry.title), places: entry.pos.split(" "),
      forms: entry.form.split(" ") };
  }

  function row(list, i) {
    var positions = numbers(list.places[i]), at = 0;
    for (var j = 0; j < positions.length; j++) { at += positions[j]; positions[j] = at; }
    return { title: list.titles[i], forms: list.forms[i], positions: positions };
  }

  // Every entry holding all syllables, scored: phrase, exact spelling, in the title.
  function match(words, found) {
    var lists = words.map(function (word) { return found[word.folded]; });
    var rarest = lists.reduce(function (a, b) { return a.docs.length <= b.docs.length ? a : b; });
    var hits = [], at = lists.map(function () { return 0; });
    for (var r = 0; r < rarest.docs.length; r++) {
      var doc = rarest.docs[r], held = true;
      // Entry numbers ascend in every list: each list's walk only moves on.
      for (var i = 0; i < lists.length && held; i++) {
        var docs = lists[i].docs, n = at[i];
        while (n < docs.length && docs[n] < doc) n++;
        at[i] = n;
        held = n < docs.length && docs[n] === doc;
      }
      if (!held) continue;
      var rows = lists.map(function (list, i) { return row(list, at[i]); });
      var best = { phrase: 0, exact: 0, title: 0 };
      var spots = rows.map(function (one) { return one.positions; }), first = spots[0];
      var next = rows.map(function () { return 0; });  // per syllable: where its walk stands
      for (var k = 0; k < first.length; k++) {
        var start = first[k], whole = true;
        next[0] = k;
        // Positions ascend: each syllable's walk only moves on (no set, no search).
        for (var w = 1; w < rows.length && whole; w++) {
          var spot = spots[w];
          while (next[w] < spot.length && spot[next[w]] < start + w) next[w]++;
          whole = next[w] < spot.length && spot[next[w]] === start + w;
        }
        if (!whole) continue;
        var exact = 1;
        for (var v = 0; v < rows.length; v++) {
          var forms = rows[v].forms;  // two characters: every hit is spelt alike
          var code = forms.length === 2 ? forms : forms.substr(next[v] * 2, 2);
          if (words[v].accented && code !== words[v].code) exact = 0;
        }
        var title = k < rows[0].title ? 1 : 0;
        if (exact > best.exact || (exact === best.exact && title > best.title) || !best.phrase) {
          best = { phrase: 1, exact: exact, title: title, start: start };
        }
      }
      if (!best.phrase) best.title = rows.every(function (one) { return one.title > 0; }) ? 1 : 0;
      best.doc = doc;
      hits.push(best);
    }
    var phrases = hits.filter(function (hit) { return hit.phrase; });
    var chosen = phrases.length || words.length === 1 ? phrases : hits;
    return { hits: ranked(chosen), loose: !phrases.length && hits.length > 0 };
  }

  function ranked(hits) {
    return hits.sort(function (a, b) {
      return b.exact - a.exact || b.title - a.title || b.doc - a.doc;
    });
  }

  // Two heavy syllables side by side: every entry where they stand so, from the pair's
  // postings (no positions needed). Each entry lists the pairs of spellings found there,
  // four characters each, the first `title` of them seen in the title.
  function matchPair(words, entry) {
    var hits = [], doc = 0;
    for (var i = 0; i < entry.doc.length; i++) {
      doc += entry.doc[i];
      var forms = entry.form[i], best = { phrase: 1, exact: -1, title: 0, doc: doc };
      for (var k = 0; k < forms.length; k += 4) {
        var exact = (!words[0].accented || forms.substr(k, 2) === words[0].code) &&
          (!words[1].accented || forms.substr(k + 2, 2) === words[1].code) ? 1 : 0;
        var title = k / 4 < entry.title[i] ? 1 : 0;
        if (exact > best.exact || (exact === best.exact && title > best.title)) {
          best.exact = exact;
          best.title = title;
        }
      }
      hits.push(best);
    }
    return { hits: ranked(hits), loose: false };
  }

  function readState() {
    var params = new URLSearchParams(window.location.search);
    return {
      q: params.get("q") || "",
      loai: params.get("loai") || "",
      "chuyen-muc": params.get("chuyen-muc") || "",
      nam: params.get("nam") || "",
      trang: Math.max(1, parseInt(params.get("trang") || "1", 10) || 1),
    };
  }

  function stateUrl(state) {
    var params = new URLSearchParams();
    ["q", "loai", "chuyen-muc", "nam"].forEach(function (key) {
      if (state[key]) params.set(key, state[key]);
    });
    if (state.trang > 1) params.set("trang", String(state.trang));
    return window.location.pathname + "?" + params.toString();
  }

  function fillFilters(meta, state) {
    var categories = [];
    meta.groups.forEach(function (group) {
      if (group.category && categories.indexOf(group.category) < 0) categories.push(group.category);
    });
    categories.sort(new Intl.Collator("vi").compare);  // one collator, not one per comparison
    var years = Object.keys(meta.years).sort().reverse();
    [[selects["chuyen-muc"], categories], [selects.nam, years]].forEach(function (pair) {
      var select = pair[0];
      if (!select || select.options.length > 1) return;
      pair[1].forEach(function (value) {
        var option = document.createElement("option");
        option.value = option.textContent = value;
        select.appendChild(option);
      });
    });
    Object.keys(selects).forEach(function (key) {
      if (selects[key]) selects[key].value = state[key];
    });
    var box = form.querySelector(".search-filters");
    if (box) box.hidden = false;
  }

  function filtered(state) {
    return Boolean(state.loai || state["chuyen-muc"] || state.nam);
  }

  function keep(meta, state) {
    var range = state.nam && meta.years[state.nam];
    return function (hit) {
      var code = meta.kinds.charCodeAt(hit.doc);
      var group = meta.groups[code < 0x100 ? code - 0x30 : code - 0x100];
      if (state.loai && group.type !== state.loai) return false;
      if (state["chuyen-muc"] && group.category !== state["chuyen-muc"]) return false;
      if (state.nam && !(range && hit.doc >= range[0] && hit.doc <= range[1])) return false;
      return true;
    };
  }

  // The ranked hits of a query: {words, hits, loose}, with every hit of the index; two
  // heavy syllables are looked up in the pair postings when `usePairs`.
  function find(meta, query, usePairs) {
    var words = syllables(query).slice(0, 12).map(function (word) {
      var folded = fold(word);
      return { folded: folded, accented: folded !== word, code: formCode(word), text: word };
    });
    if (!words.length) return Promise.resolve({ words: words, hits: [], loose: false });
    var heavy = (meta.pairs && meta.pairs.syllables) || [];
    if (usePairs && words.length === 2 && heavy.indexOf(words[0].folded) >= 0 &&
        heavy.indexOf(words[1].folded) >= 0) {
      var key = words[0].folded + " " + words[1].folded;
      var file = shardOf(meta.pairs.shards, "p/", key);
      return (file ? getJSON(file) : Promise.resolve({ pairs: {} })).then(function (shard) {
        var entry = shard.pairs[key];
        // Not there: the two never stand side by side; look for entries holding both.
        var result = entry ? matchPair(words, entry) : null;
        if (!result) return findBySyllables(meta, words);
        result.words = words;
        return result;
      });
    }
    return findBySyllables(meta, words);
  }

  function findBySyllables(meta, words) {
    var needed = {};
    words.forEach(function (word) { needed[word.folded] = shardOf(meta.shards, "s/", word.folded); });
    var names = Object.keys(needed);
    return Promise.all(names.map(function (name) {
      return needed[name] ? getJSON(needed[name]) : Promise.resolve({ syllables: {} });
    })).then(function (shards) {
      var found = {};
      names.forEach(function (name, i) {
        var entry = shards[i].syllables[name];
        found[name] = entry ? postings(entry) : postings({ doc: "", title: "", pos: "", form: "" });
      });
      var result = match(words, found);
      result.words = words;
      return result;
    });
  }

  // For the browser tests: every hit of a query, ranked, with its url; `pairs` false
  // reads every syllable's positions even where pair postings exist.
  window.ancongthuongSearch.all = function (query, pairs) {
    return lookupPromise.then(function (meta) {
      return find(meta, query, pairs !== false).then(function (result) {
        var numbers = {};
        result.hits.forEach(function (hit) { numbers[Math.floor(hit.doc / meta.chunk)] = true; });
        var keys = Object.keys(numbers);
        return Promise.all(keys.map(function (n) { return getJSON(base + "d/" + n + ".json"); }))
          .then(function (loaded) {
            var docs = {};
            keys.forEach(function (n, i) { docs[n] = loaded[i].docs; });
            return result.hits.map(function (hit) {
              var doc = docs[Math.floor(hit.doc / meta.chunk)][hit.doc % meta.chunk];
              return { url: doc.url, exact: hit.exact, title: hit.title, phrase: hit.phrase };
            });
          });
      });
    });
  };

  var run = 0;
  function search(state, moveFocus) {
    var mine = ++run;
    input.value = state.q;
    list.textContent = "";
    pager.hidden = true;
    var filled = metaPromise.then(function (meta) {
      if (mine === run) fillFilters(meta, state);
      return meta;
    });
    filled.catch(function () { /* told below, if the results need it */ });
    return lookupPromise.then(function (places) {
      var found = syllables(state.q).length ? find(places, state.q, true) : null;
      if (!found) {
        status.textContent = state.q.trim() ? "Từ khóa không có chữ hay số nào để tìm." : "";
        return filled;
      }
      status.textContent = "Đang tìm…";
      return found.then(function (result) {
        if (mine !== run) return;
        if (!filtered(state)) {
          return show(places, state, result.words, result.hits, result.loose, mine, moveFocus);
        }
        return filled.then(function (meta) {  // filters read each entry's type, category, year
          if (mine !== run) return;
          var hits = result.hits.filter(keep(meta, state));
          return show(places, state, result.words, hits, result.loose, mine, moveFocus);
        });
      });
    }).catch(function () {
      if (mine === run) status.textContent = "Không tải được chỉ mục tìm kiếm. Vui lòng thử lại sau.";
    });
  }

  function show(meta, state, words, hits, loose, mine, moveFocus) {
    var pages = Math.max(1, Math.ceil(hits.length / PER_PAGE));
    var page = Math.min(state.trang, pages);
    var shown = hits.slice((page - 1) * PER_PAGE, page * PER_PAGE);
    var chunks = {};
    shown.forEach(function (hit) { chunks[Math.floor(hit.doc / meta.chunk)] = true; });
    var numbers = Object.keys(chunks);
    return Promise.all(numbers.map(function (n) { return getJSON(base + "d/" + n + ".json"); }))
      .then(function (loaded) {
        if (mine !== run) return;
        var docs = {};
        numbers.forEach(function (n, i) { docs[n] = loaded[i].docs; });
        var quoted = "“" + state.q.trim() + "”";
        if (!hits.length) {
          status.textContent = "Không tìm thấy kết quả nào cho " + quoted + ".";
        } else {
          status.textContent = "Tìm thấy " + hits.length.toLocaleString("vi-VN") + " kết quả cho " +
            quoted + (loose ? " (không trang nào có nguyên cụm từ; đây là các trang có đủ các từ)" : "") +
            (pages > 1 ? ", trang " + page + "/" + pages : "") + ".";
        }
        shown.forEach(function (hit) {
          var doc = docs[Math.floor(hit.doc / meta.chunk)][hit.doc % meta.chunk];
          list.appendChild(item(doc, words, hit));
        });
        list.start = (page - 1) * PER_PAGE + 1;
        renderPager(state, page, pages);
        if (moveFocus) list.focus();
      });
  }

  function item(doc, words, hit) {
    var li = document.createElement("li");
    li.className = "search-result";
    var heading = document.createElement("h2");
    var link = document.createElement("a");
    link.href = doc.url;
    highlight(link, doc.title, words, !hit.phrase);
    heading.appendChild(link);
    li.appendChild(heading);
    var meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = [doc.date, doc.category, TYPE_NAMES[doc.type] || ""]
      .filter(Boolean).join(" · ");
    li.appendChild(meta);
    var snippet = document.createElement("p");
    snippet.className = "snippet";
    li.appendChild(snippet);
    fillSnippet(snippet, doc.url, words, hit);
    return li;
  }

  // The tokens of a text with their places (the text itself is not lowercased first:
  // that could move the places of some letters).
  function tokensOf(text) {
    var re = new RegExp(TOKEN.source, "gu"), found = [], m;
    while ((m = re.exec(text)) !== null) {
      found.push({ at: m.index, end: m.index + m[0].length, folded: fold(m[0]) });
    }
    return found;
  }

  // Where the query's syllables stand together, in order: [first token, last token] pairs.
  function phrases(tokens, words) {
    var found = [];
    for (var i = 0; i + words.length <= tokens.length; i++) {
      var all = true;
      for (var w = 0; w < words.length && all; w++) all = tokens[i + w].folded === words[w].folded;
      if (all) { found.push([i, i + words.length - 1]); i += words.length - 1; }
    }
    return found;
  }

  // Appends `text` to `parent`, the query marked: the whole phrase, or each of its
  // syllables when the result holds them apart (`loose`).
  function highlight(parent, text, words, loose) {
    var tokens = tokensOf(text), spans = [];
    if (loose) {
      var wanted = new Set(words.map(function (word) { return word.folded; }));
      tokens.forEach(function (t, i) { if (wanted.has(t.folded)) spans.push([i, i]); });
    } else {
      spans = phrases(tokens, words);
    }
    var last = 0;
    spans.forEach(function (span) {
      var from = tokens[span[0]].at, to = tokens[span[1]].end;
      parent.appendChild(document.createTextNode(text.slice(last, from)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(from, to);
      parent.appendChild(mark);
      last = to;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // The snippet comes from the page itself (fetched only for the results shown): the
  // passage around the first place where the query's syllables stand in order.
  function fillSnippet(target, url, words, hit) {
    fetch(url).then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var body = page.querySelector("article .body") || page.querySelector("main");
        var text = body ? body.textContent.replace(/\s+/g, " ").trim() : "";
        var tokens = tokensOf(text);
        if (!tokens.length) return;
        var found = hit.phrase ? phrases(tokens, words) : [];
        if (!found.length) {
          tokens.some(function (t, i) {
            return t.folded === words[0].folded && found.push([i, i]);
          });
        }
        var at = found.length ? found[0][0] : 0;
        var from = Math.max(0, at - 12), to = Math.min(tokens.length, at + 24);
        var end = to < tokens.length ? tokens[to].at : text.length;
        highlight(target, (from > 0 ? "… " : "") + text.slice(tokens[from].at, end).trim() +
          (to < tokens.length ? " …" : ""), words, !hit.phrase);
      }).catch(function () { /* no snippet: the title and date are enough */ });
  }

  function renderPager(state, page, pages) {
    pager.textContent = "";
    if (pages <= 1) return;
    var listEl = document.createElement("ul");
    function add(label, number, current) {
      var li = document.createElement("li");
      if (current) {
        var span = document.createElement("span");
        span.setAttribute("aria-current", "page");
        span.textContent = label;
        li.appendChild(span);
      } else {
        var link = document.createElement("a");
        link.href = stateUrl(Object.assign({}, state, { trang: number }));
        link.textContent = label;
        if (label !== String(number)) link.setAttribute("aria-label", label + ", trang " + number);
        link.addEventListener("click", function (event) {
          event.preventDefault();
          go(Object.assign({}, state, { trang: number }), true);
        });
        li.appendChild(link);
      }
      listEl.appendChild(li);
    }
    if (page > 1) add("‹ Trước", page - 1, false);
    var numbers = [1, page - 2, page - 1, page, page + 1, page + 2, pages].filter(function (n, i, all) {
      return n >= 1 && n <= pages && all.indexOf(n) === i;
    }).sort(function (a, b) { return a - b; });
    numbers.forEach(function (n, i) {
      if (i > 0 && n - numbers[i - 1] > 1) {
        var gap = document.createElement("li");
        gap.textContent = "…";
        listEl.appendChild(gap);
      }
      add(String(n), n, n === page);
    });
    if (page < pages) add("Sau ›", page + 1, false);
    pager.appendChild(listEl);
    pager.hidden = false;
  }

  function go(state, moveFocus) {
    history.pushState(null, "", stateUrl(state));
    search(state, moveFocus);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var state = { q: input.value, trang: 1 };
    Object.keys(selects).forEach(function (key) { state[key] = selects[key] ? selects[key].value : ""; });
    go(state, false);
  });
  Object.keys(selects).forEach(function (key) {
    if (!selects[key]) return;
    selects[key].addEventListener("change", function () {
      var state = readState();
      state.q = input.value;
      state[key] = selects[key].value;
      state.trang = 1;
      go(state, false);
    });
  });
  window.addEventListener("popstate", function () { search(readState(), false); });
  search(readState(), false);
})();
