// Small comforts for readers; every page is complete without this script.
// The date bar, the text-size buttons (remembered on this device) and the print button.
(function () {
  "use strict";
  var days = ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
  var english = document.documentElement.lang === "en";
  var bar = document.getElementById("date-bar");
  if (bar) {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var day = pad(now.getDate()) + "/" + pad(now.getMonth() + 1) + "/" + now.getFullYear();
    bar.textContent = english ? now.toDateString() : days[now.getDay()] + ", " + day;
    bar.hidden = false;
  }
  var sizes = [90, 100, 112, 125, 140];
  var key = "co-chu";
  function apply(step) {
    document.documentElement.style.fontSize = sizes[step] + "%";
  }
  var saved = 1;
  try { saved = parseInt(localStorage.getItem(key) || "1", 10); } catch (e) { saved = 1; }
  if (!(saved >= 0 && saved < sizes.length)) saved = 1;
  if (saved !== 1) apply(saved);
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button") : null;
    if (!button) return;
    if (button.hasAttribute("data-print")) { window.print(); return; }
    var change = button.getAttribute("data-text-size");
    if (change === null) return;
    saved = change === "0" ? 1 : Math.max(0, Math.min(sizes.length - 1, saved + parseInt(change, 10)));
    apply(saved);
    try { localStorage.setItem(key, String(saved)); } catch (e) { /* private mode: not remembered */ }
  });
  var tools = document.querySelectorAll(".tools");
  for (var i = 0; i < tools.length; i++) tools[i].hidden = false;
})();
