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

  // Vietnamese alphabetical order, letters then tones then case: a port of vietnamese.vi_key
  // (Intl.Collator("vi") would do, but loading it costs a fresh page about 8 ms while its
  // first results are being made).
  var ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz";
  var TONES = { "\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5 };
  var COMBINED = { "a\u0306": "ă", "a\u0302": "â", "e\u0302": "ê", "o\u0302": "ô", "o\u031b": "ơ",
    "u\u031b": "ư" };
  function viKey(text) {
    var primary = [], tones = [], upper = [], last = "";
    for (var char of text.normalize("NFD")) {
      if (/[\u0300-\u036f]/.test(char)) {
        if (primary.length && TONES[char]) {
          tones[tones.length - 1] = TONES[char];
        } else if (primary.length && COMBINED[last + char]) {
          last = COMBINED[last + char];
          primary[primary.length - 1] = ALPHABET.indexOf(last) + 20;
        }
        continue;
      }
      var low = char.toLowerCase(), letter = ALPHABET.indexOf(low);
      last = low;
      primary.push(letter >= 0 ? letter + 20 : /^[0-9]$/.test(low) ? Number(low) + 1 :
        /^\s$/.test(char) ? 0 : 1000 + low.codePointAt(0));
      tones.push(0);
      upper.push(char !== low ? 1 : 0);
    }
    return [primary, tones, upper];
  }

  function viCompare(a, b) {
    var left = viKey(a), right = viKey(b);
    for (var part = 0; part < 3; part++) {
      var x = left[part], y = right[part];
      for (var i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
      if (x.length !== y.length) return x.length - y.length;
    }
    return 0;
  }

  // A count as Vietnamese pages write it ("3.236"), without loading a locale's number format.
  function count(number) {
    return String(number).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  window.ancongthuongSearch = { fold: fold, syllables: syllables, formCode: formCode, viCompare: viCompare };

  // The page runs this script in its head, before its body is parsed and laid out: the
  // first search asks at once for the files its results need, and the page's elements are
  // reached once they exist (`ready`).
  var script = document.currentScript;
  var base = script && script.getAttribute("data-index");
  if (!base) return;
  var form, input, status, list, pager, selects;

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

  // What each entry is and which years there are, for the filters (the page preloads it;
  // the results never wait for it).
  function readMeta() {
    return getJSON(base + "meta.json");
  }
  // Where each syllable's shard is, written into the page by the build (before this
  // script): the shards are asked for before the page is laid out.
  var lookup = document.getElementById("search-lookup");
  var lookupPromise = lookup ? Promise.resolve(JSON.parse(lookup.textContent)) : readMeta();

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
  // digit first, the last digit of each number from FINAL, the others from CONTINUED. A
  // text may hold groups separated by spaces: `decode` reads one, from `from`, into `out`
  // (each number added to the one before it when `running`: gaps become places) and says
  // how many it read. Plain loops over character codes, nothing made per number: a page's
  // first search runs before the engine has optimised any of this.
  var FINAL = "0123456789abcdefghijklmnopqrstuv", CONTINUED = "ABCDEFGHIJKLMNOPQRSTUVWXYZ@$&*+-";
  var DIGIT = new Int8Array(128);
  for (var d = 0; d < 32; d++) {
    DIGIT[FINAL.charCodeAt(d)] = d;
    DIGIT[CONTINUED.charCodeAt(d)] = 32 + d;
  }
  function decode(text, from, out, running) {
    var count = 0, value = 0, total = 0;
    for (var i = from; i < text.length; i++) {
      var char = text.charCodeAt(i);
      if (char === 32) break;
      var digit = DIGIT[char];
      if (digit >= 32) { value = value * 32 + digit - 32; continue; }
      value = value * 32 + digit;
      total = running ? total + value : value;
      out[count++] = total;
      value = 0;
    }
    return count;
  }

  // Postings of one syllable: its entry numbers (ascending) and per entry the title count;
  // positions and forms stay in their texts (one group per entry) and are read only for
  // the entries that hold every syllable, by a cursor that only moves on (`seek`). No
  // object per entry: a common syllable is held by thousands.
  function postings(entry) {
    var docs = new Int32Array(entry.doc.length), titles = new Int32Array(entry.title.length);
    var count = decode(entry.doc, 0, docs, true);
    decode(entry.title, 0, titles, false);
    return { docs: docs.subarray(0, count), titles: titles, pos: entry.pos, form: entry.form,
      entry: 0, posAt: 0, formAt: 0, spots: new Int32Array(64), size: 0, formSize: 0 };
  }

  // Moves a list's cursor on to its entry `n`: `spots` (the first `size`) are then that
  // entry's positions, its forms `formSize` characters from `formAt`.
  function seek(list, n) {
    while (list.entry < n) {
      list.posAt = list.pos.indexOf(" ", list.posAt) + 1;
      list.formAt = list.form.indexOf(" ", list.formAt) + 1;
      list.entry++;
    }
    var end = list.pos.indexOf(" ", list.posAt);
    if (end < 0) end = list.pos.length;
    if (end - list.posAt > list.spots.length) list.spots = new Int32Array(end - list.posAt);
    list.size = decode(list.pos, list.posAt, list.spots, true);
    end = list.form.indexOf(" ", list.formAt);
    list.formSize = (end < 0 ? list.form.length : end) - list.formAt;
  }

  // Whether hit `k` of a list's current entry is spelt as `word` was typed (any spelling
  // when it was typed without marks).
  function spelt(list, k, word) {
    if (!word.accented) return true;
    var at = list.formAt + (list.formSize === 2 ? 0 : k * 2);  // two: every hit alike
    return list.form.charCodeAt(at) === word.first && list.form.charCodeAt(at + 1) === word.second;
  }

  // Every entry holding all syllables, scored: phrase, exact spelling, in the title.
  function match(words, found) {
    var lists = words.map(function (word) { return found[word.folded]; });
    if (lists.length === 1) return matchOne(words[0], lists[0]);
    var rarest = lists.reduce(function (a, b) { return a.docs.length <= b.docs.length ? a : b; });
    var hits = [], phrases = 0, first = lists[0];
    var at = new Int32Array(lists.length), next = new Int32Array(lists.length);
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
      for (i = 0; i < lists.length; i++) seek(lists[i], at[i]);
      var phrase = 0, exact = 0, title = 0;
      next.fill(0);  // per syllable: where its walk stands
      for (var k = 0; k < first.size; k++) {
        var start = first.spots[k], whole = true;
        next[0] = k;
        // Positions ascend: each syllable's walk only moves on (no set, no search).
        for (var w = 1; w < lists.length && whole; w++) {
          var list = lists[w];
          while (next[w] < list.size && list.spots[next[w]] < start + w) next[w]++;
          whole = next[w] < list.size && list.spots[next[w]] === start + w;
        }
        if (!whole) continue;
        var same = 1;
        for (var v = 0; v < lists.length && same; v++) same = spelt(lists[v], next[v], words[v]) ? 1 : 0;
        var inTitle = k < first.titles[at[0]] ? 1 : 0;
        if (!phrase || same > exact || (same === exact && inTitle > title)) {
          phrase = 1;
          exact = same;
          title = inTitle;
        }
        // The title's places come first: once an exact phrase stands in it, or past it,
        // no later place ranks the entry higher.
        if (exact && (title || !inTitle)) break;
      }
      if (!phrase) {
        title = 1;
        for (i = 0; i < lists.length; i++) if (!lists[i].titles[at[i]]) title = 0;
      }
      phrases += phrase;
      hits.push({ phrase: phrase, exact: exact, title: title, doc: doc });
    }
    var chosen = phrases ? hits.filter(function (hit) { return hit.phrase; }) : hits;
    return { hits: ranked(chosen), loose: !phrases && hits.length > 0 };
  }

  // One syllable: every entry holding it is a hit, found without reading a position: only
  // which of its hits are spelt as typed, and which stand in the title (the first ones).
  function matchOne(word, list) {
    var hits = [];
    for (var n = 0; n < list.docs.length; n++) {
      if (n) list.formAt = list.form.indexOf(" ", list.formAt) + 1;
      var end = list.form.indexOf(" ", list.formAt);
      list.formSize = (end < 0 ? list.form.length : end) - list.formAt;
      var inTitle = list.titles[n], exact = 0, title = 0;
      var count = list.formSize > 2 ? list.formSize / 2 : 1;  // two: every hit alike
      for (var k = 0; k < count && !exact; k++) {
        if (spelt(list, k, word)) {
          exact = 1;
          title = k < inTitle || (count === 1 && inTitle > 0) ? 1 : 0;
        }
      }
      if (!exact) title = inTitle > 0 ? 1 : 0;
      hits.push({ phrase: 1, exact: exact, title: title, doc: list.docs[n] });
    }
    return { hits: ranked(hits), loose: false };
  }

  // Hits in ascending entry order, ranked: exact spelling first, then in the title, then
  // the newest (the highest number). Four buckets: no comparison sort.
  function ranked(hits) {
    var buckets = [[], [], [], []];
    for (var i = hits.length - 1; i >= 0; i--) {
      buckets[(hits[i].exact > 0 ? 0 : 2) + (hits[i].title > 0 ? 0 : 1)].push(hits[i]);
    }
    return buckets[0].concat(buckets[1], buckets[2], buckets[3]);
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
        var exact = (!words[0].accented || (forms.charCodeAt(k) === words[0].first &&
          forms.charCodeAt(k + 1) === words[0].second)) && (!words[1].accented ||
          (forms.charCodeAt(k + 2) === words[1].first && forms.charCodeAt(k + 3) === words[1].second)) ? 1 : 0;
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
    categories.sort(viCompare);
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
      var code = formCode(word);
      return { folded: folded, accented: folded !== word, code: code, text: word,
        first: code.charCodeAt(0), second: code.charCodeAt(1) };
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
      askTitled(meta, words.map(function (word) { return found[word.folded]; }));
      var result = match(words, found);
      result.words = words;
      return result;
    });
  }

  // The entries most likely shown first: those holding every syllable in their title, the
  // newest first (ranking puts them ahead). Their d/ chunks are asked for before the
  // positions are matched, and arrive meanwhile.
  function askTitled(meta, lists) {
    var rarest = lists.reduce(function (a, b) { return a.docs.length <= b.docs.length ? a : b; });
    for (var r = rarest.docs.length - 1, asked = 0; r >= 0 && asked < PER_PAGE; r--) {
      var doc = rarest.docs[r], titled = rarest.titles[r] > 0;
      for (var i = 0; i < lists.length && titled; i++) {
        var n = indexOf(lists[i].docs, doc);
        titled = n >= 0 && lists[i].titles[n] > 0;
      }
      if (!titled) continue;
      asked++;
      getJSON(base + "d/" + Math.floor(doc / meta.chunk) + ".json").catch(function () {
        /* asked for again if shown */
      });
    }
  }

  // Where `value` stands in the ascending `values`, or -1.
  function indexOf(values, value) {
    var low = 0, high = values.length - 1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (values[middle] === value) return middle;
      if (values[middle] < value) low = middle + 1; else high = middle - 1;
    }
    return -1;
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

  // The entries of the newest `chunk` entries: asked for with the shards, since ranking
  // puts the newest first among equals (most first pages are among them).
  function newest(places) {
    if (!places.count) return;
    var last = Math.floor((places.count - 1) / places.chunk);
    for (var n = Math.floor(Math.max(0, places.count - places.chunk) / places.chunk); n <= last; n++) {
      getJSON(base + "d/" + n + ".json").catch(function () { /* asked for again if needed */ });
    }
  }

  // What a state shows: the ranked hits (filtered), the page of them asked for, and the
  // entries of that page; null when the query has no syllable. Needs no element of the page.
  function results(places, state) {
    if (!syllables(state.q).length) return Promise.resolve(null);
    var found = find(places, state.q, true);
    newest(places);
    return found.then(function (result) {
      if (!filtered(state)) return result;
      return readMeta().then(function (data) {  // filters read each entry's type, category, year
        return { words: result.words, loose: result.loose, hits: result.hits.filter(keep(data, state)) };
      });
    }).then(function (result) {
      var pages = Math.max(1, Math.ceil(result.hits.length / PER_PAGE));
      var page = Math.min(state.trang, pages);
      var shown = result.hits.slice((page - 1) * PER_PAGE, page * PER_PAGE);
      var chunks = {};
      shown.forEach(function (hit) { chunks[Math.floor(hit.doc / places.chunk)] = true; });
      var numbers = Object.keys(chunks);
      return Promise.all(numbers.map(function (n) { return getJSON(base + "d/" + n + ".json"); }))
        .then(function (loaded) {
          var docs = {};
          numbers.forEach(function (n, i) { docs[n] = loaded[i].docs; });
          result.page = page;
          result.pages = pages;
          result.shown = shown.map(function (hit) {
            return { hit: hit, doc: docs[Math.floor(hit.doc / places.chunk)][hit.doc % places.chunk] };
          });
          return result;
        });
    });
  }

  var run = 0;
  function search(state, moveFocus) {
    var mine = ++run;
    var found = lookupPromise.then(function (places) { return results(places, state); });
    found.catch(function () { /* told below */ });
    return ready.then(function (usable) {
      if (!usable || mine !== run) return;
      input.value = state.q;
      list.textContent = "";
      pager.hidden = true;
      // Filled with the results, in the same frame (one layout, and filters shown after the
      // results would push them down); when meta.json comes later, as soon as it comes.
      var filled = Promise.all([readMeta(), found.catch(function () { /* told below */ })])
        .then(function (both) {
          if (mine === run) fillFilters(both[0], state);
        });
      filled.catch(function () { /* told below, if the results need it */ });
      if (syllables(state.q).length) status.textContent = "Đang tìm…";
      return found.then(function (result) {
        if (mine !== run) return;
        if (!result) {
          status.textContent = state.q.trim() ? "Từ khóa không có chữ hay số nào để tìm." : "";
          return filled;
        }
        show(state, result, moveFocus);
      }).catch(function () {
        if (mine === run) status.textContent = "Không tải được chỉ mục tìm kiếm. Vui lòng thử lại sau.";
      });
    });
  }

  function show(state, result, moveFocus) {
    var hits = result.hits, page = result.page, pages = result.pages;
    var quoted = "“" + state.q.trim() + "”";
    if (!hits.length) {
      status.textContent = "Không tìm thấy kết quả nào cho " + quoted + ".";
    } else {
      status.textContent = "Tìm thấy " + count(hits.length) + " kết quả cho " +
        quoted + (result.loose ? " (không trang nào có nguyên cụm từ; đây là các trang có đủ các từ)" : "") +
        (pages > 1 ? ", trang " + page + "/" + pages : "") + ".";
    }
    var snippets = result.shown.map(function (one) {
      var li = item(one.doc, result.words, one.hit);
      list.appendChild(li);
      return { target: li.querySelector(".snippet"), url: one.doc.url, hit: one.hit };
    });
    list.start = (page - 1) * PER_PAGE + 1;
    renderPager(state, page, pages);
    if (moveFocus) list.focus();
    // The snippets (ten pages fetched and parsed) are asked for once the results are drawn.
    requestAnimationFrame(function () {
      setTimeout(function () {
        snippets.forEach(function (one) { fillSnippet(one.target, one.url, result.words, one.hit); });
      }, 0);
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

  // The parts of a result's page a snippet can come from, in order: the body first (it
  // says most), then what search also reads there: the summary, a document's fields
  // (its number, issuer, signer), the author and the tags.
  var SNIPPET_PARTS = ["article .body", "article .lede", "article .document-fields",
    "article .author", "article .tags"];

  // A part's text; a document's fields as "name: value" rows (their elements hold no
  // space between them).
  function partText(node) {
    var rows = node.tagName === "DL" ? node.querySelectorAll("div") : [];
    var text = rows.length ? Array.prototype.map.call(rows, function (row) {
      return Array.prototype.map.call(row.children, function (cell) {
        return cell.textContent;
      }).join(": ");
    }).join(" · ") : node.textContent;
    return text.replace(/\s+/g, " ").trim();
  }

  // The passage of `text` around the first place where the query's syllables stand in
  // order (or its first syllable, for a result holding them apart); null if none does,
  // unless `always` (then the text's start).
  function passage(text, words, phrase, always) {
    var tokens = tokensOf(text);
    if (!tokens.length) return null;
    var found = phrase ? phrases(tokens, words) : [];
    if (!found.length) {
      tokens.some(function (t, i) {
        return t.folded === words[0].folded && found.push([i, i]);
      });
    }
    if (!found.length && !always) return null;
    var at = found.length ? found[0][0] : 0;
    var from = Math.max(0, at - 12), to = Math.min(tokens.length, at + 24);
    var end = to < tokens.length ? tokens[to].at : text.length;
    return (from > 0 ? "… " : "") + text.slice(tokens[from].at, end).trim() +
      (to < tokens.length ? " …" : "");
  }

  // The snippet comes from the page itself (fetched only for the results shown): from the
  // first part holding the query, or the start of the body when only the title does.
  function fillSnippet(target, url, words, hit) {
    fetch(url).then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var texts = SNIPPET_PARTS.map(function (selector) {
          var node = page.querySelector(selector);
          return node ? partText(node) : "";
        }).filter(Boolean);
        if (!texts.length) {
          var main = page.querySelector("main");
          if (main) texts.push(partText(main));
        }
        var shown = null;
        texts.some(function (text) { return (shown = passage(text, words, hit.phrase, false)); });
        if (!shown && texts.length) shown = passage(texts[0], words, hit.phrase, true);
        if (shown) highlight(target, shown, words, !hit.phrase);
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

  // The page's elements once it is parsed ("interactive": before the deferred scripts and
  // DOMContentLoaded, which can wait behind the page's first layout).
  var ready = new Promise(function (resolve) {
    if (document.readyState !== "loading") resolve();
    else document.addEventListener("readystatechange", resolve, { once: true });
  }).then(function () {
    form = document.querySelector("form.search-page");
    input = document.getElementById("q");
    status = document.getElementById("search-status");
    list = document.getElementById("search-results");
    pager = document.getElementById("search-pager");
    if (!form || !input || !status || !list || !pager) return false;
    selects = {
      loai: document.getElementById("search-type"),
      "chuyen-muc": document.getElementById("search-category"),
      nam: document.getElementById("search-year"),
    };
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
    return true;
  });
  search(readState(), false);
})();
