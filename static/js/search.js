// Tìm kiếm không dấu: the index holds each article's title and summary folded
// (lowercase, no tone marks, đ → d), so "dang uy" finds "Đảng ủy".
(function () {
  "use strict";
  var script = document.currentScript;
  var indexUrl = script && script.getAttribute("data-index");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!indexUrl || !input || !list) return;

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }

  var params = new URLSearchParams(window.location.search);
  var query = params.get("q") || "";
  input.value = query;
  if (!query.trim()) return;
  status.textContent = "Đang tìm…";

  fetch(indexUrl).then(function (response) { return response.json(); }).then(function (docs) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    var hits = docs.filter(function (doc) {
      return words.every(function (word) { return doc[3].indexOf(word) !== -1; });
    });
    status.textContent = "Tìm thấy " + hits.length + " kết quả cho “" + query + "”.";
    hits.slice(0, 100).forEach(function (doc) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = doc[0];
      link.textContent = doc[1];
      var date = document.createElement("span");
      date.className = "meta";
      date.textContent = " — " + doc[2];
      item.appendChild(link);
      item.appendChild(date);
      list.appendChild(item);
    });
  }).catch(function () {
    status.textContent = "Không tải được chỉ mục tìm kiếm.";
  });
})();
