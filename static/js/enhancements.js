/* Agora: small enhancements of server-rendered pages.  Each is optional: without the script the
   page says the same things (a full date and zone, a length limit the server enforces). */
(function () {
  "use strict";

  // --- "3 minutes ago" ---------------------------------------------------------------------------
  // <time datetime="…" data-relative> carries the full date and zone (what a cached copy of the page
  // can still truthfully say); here it reads relative to now, and stays so.  Older than a week: the
  // date as the server wrote it.

  var UNITS = [
    ["minute", 60, 45 * 60],
    ["hour", 3600, 22 * 3600],
    ["day", 86400, 7 * 86400]
  ];
  var relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" })
    : null;

  function describe(secondsAgo) {
    if (secondsAgo < 45) return "just now";  // and clocks a little ahead of ours
    for (var i = 0; i < UNITS.length; i++) {
      var unit = UNITS[i];
      if (secondsAgo < unit[2]) return relative.format(-Math.max(1, Math.round(secondsAgo / unit[1])), unit[0]);
    }
    return null;
  }

  function relativeTimes(root) {
    if (!relative) return;
    root.querySelectorAll("time[data-relative]").forEach(function (time) {
      var when = Date.parse(time.getAttribute("datetime"));
      if (isNaN(when)) return;
      if (!time.hasAttribute("data-absolute")) time.setAttribute("data-absolute", time.textContent);
      time.textContent = describe((Date.now() - when) / 1000) || time.getAttribute("data-absolute");
    });
  }

  // --- The comment box's character counter -----------------------------------------------------
  // Under every textarea with a maxlength: "120 of 5,000 characters", tied to the box by
  // aria-describedby (read when it takes focus).  Screen readers hear it only as the limit nears
  // (a polite live region, at a tenth left, 100 left and the limit), never at every key.

  var counted = new WeakSet();
  var serial = 0;

  function stage(left, limit) {
    if (left < 0) return 4;
    if (left === 0) return 3;
    if (left <= Math.min(100, limit / 10)) return 2;
    return left <= limit / 10 ? 1 : 0;
  }

  function phrase(left, limit) {
    if (left < 0) return (-left).toLocaleString() + " characters over the limit of " + limit.toLocaleString();
    if (left === 0) return "You have reached the limit of " + limit.toLocaleString() + " characters";
    return left.toLocaleString() + " character" + (left === 1 ? "" : "s") + " left";
  }

  function addCounter(box) {
    var limit = parseInt(box.getAttribute("maxlength"), 10);
    if (counted.has(box) || !(limit > 0)) return;
    counted.add(box);
    var shown = document.createElement("p");
    shown.className = "char-count";
    shown.id = (box.id || "textarea") + "-count-" + (++serial);
    var spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", shown);
    shown.insertAdjacentElement("afterend", spoken);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", (described ? described + " " : "") + shown.id);

    var said = null;
    function update() {
      var used = Array.from(box.value).length;  // characters, as the server counts them
      var left = limit - used;
      var now = stage(left, limit);
      shown.textContent = now === 0
        ? used.toLocaleString() + " of " + limit.toLocaleString() + " characters"
        : phrase(left, limit);
      shown.classList.toggle("char-count--near", now > 0 && now < 4);
      shown.classList.toggle("char-count--over", now === 4);
      if (said !== null && now !== said && now > 0) spoken.textContent = phrase(left, limit) + ".";
      said = now;
    }
    box.addEventListener("input", update);
    update();
  }

  function countBoxes(root) {
    root.querySelectorAll("textarea[maxlength]").forEach(addCounter);
  }

  // --- The current page's link, in view in a bar that scrolls sideways (sections, queue tabs) -------

  function showCurrentLinks() {
    document.querySelectorAll(".site-nav ul, .queue-tabs ul").forEach(function (bar) {
      var current = bar.querySelector('[aria-current="page"]');
      if (!current || bar.scrollWidth <= bar.clientWidth) return;
      var item = current.closest("li").getBoundingClientRect(), shown = bar.getBoundingClientRect();
      // Centred, by scrollLeft alone: the page itself never moves.
      bar.scrollLeft += item.left - shown.left - (bar.clientWidth - item.width) / 2;
    });
  }

  function enhance(root) {
    if (!root.querySelectorAll) return;
    relativeTimes(root);
    countBoxes(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    showCurrentLinks();
    window.setInterval(function () { relativeTimes(document); }, 30000);
  });
  // Fragments htmx brings in (replies, reply forms, more comments, a compose box after posting).
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
