/* Agora moderation queue: keyboard shortcuts and in-place actions.  An enhancement only:
   without it every button is a plain form that posts and comes back to the queue. */
(function () {
  "use strict";

  var root = document.querySelector("[data-moderation-queue]");
  if (!root) return;
  var list = root.querySelector("[data-queue-list]");
  var announcer = root.querySelector("[data-queue-announce]");
  var help = root.querySelector("[data-shortcuts-help]");
  var bulkForm = document.getElementById("bulk-form");
  var current = 0;

  var shortcuts = root.querySelector("[data-shortcuts]");
  if (shortcuts) shortcuts.hidden = false;

  function items() {
    return list ? Array.prototype.slice.call(list.querySelectorAll("[data-queue-item]")) : [];
  }

  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  function mark(index) {
    var all = items();
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (item, i) { item.classList.toggle("is-current", i === current); });
    return all[current];
  }

  function select(index) {
    var item = mark(index);
    if (!item) return;
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function currentItem() {
    return items()[current] || null;
  }

  function itemFor(element) {
    return element.closest("[data-queue-item]");
  }

  function emptied() {
    var empty = root.querySelector("[data-queue-empty]");
    if (empty) empty.hidden = false;
    if (bulkForm) bulkForm.hidden = true;
    var heading = root.querySelector("h1");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  function leave(item) {
    var index = items().indexOf(item);
    item.closest("li").remove();
    if (items().length) select(index);
    else emptied();
  }

  // The tabs' counters, read again after each decision (this moderator's, or another's heard on the
  // event stream below).  Without the script they are as fresh as the page.
  var sizesUrl = root.getAttribute("data-queue-sizes-url");
  function refreshCounts() {
    if (!sizesUrl) return;
    fetch(sizesUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (sizes) {
        if (!sizes) return;
        Object.keys(sizes).forEach(function (name) {
          var count = root.querySelector('[data-queue-count="' + name + '"]');
          if (count && count.firstChild) count.firstChild.nodeValue = String(sizes[name]);
        });
      })
      .catch(function () { /* the counters stay as they were; the next decision tries again */ });
  }

  // Send an item's form in the background; take the item away when it has left this queue.
  function send(form) {
    var item = itemFor(form);
    if (item.hasAttribute("data-busy")) return;
    item.setAttribute("data-busy", "");
    var slot = item && item.querySelector("[data-item-message]");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.getAttribute("action"), {  // form.action is the input named "action"
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" }
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        item.removeAttribute("data-busy");
        buttons.forEach(function (b) { b.disabled = false; });
        announce(answer.message);
        if (answer.ok) refreshCounts();
        if (answer.ok && answer.gone) { leave(item); return; }
        if (slot) slot.textContent = answer.message;
        if (answer.ok) afterKeep(form);
        item.focus();
      })
      .catch(function () {
        item.removeAttribute("data-busy");
        buttons.forEach(function (b) { b.disabled = false; });
        if (slot) slot.textContent = "That did not go through: check your connection and try again.";
      });
  }

  // An action that leaves the item in the queue (feature, warn, suspend, ban): update it in place.
  function afterKeep(form) {
    var details = form.closest("details");
    if (details) details.open = false;
    if (form.getAttribute("data-action") === "feature") {
      var action = form.querySelector('input[name="action"]');
      var featured = action.value === "feature";
      action.value = featured ? "unfeature" : "feature";
      form.querySelector("button").textContent = featured ? "Unfeature" : "Feature";
    }
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-action")) return;
    event.preventDefault();
    send(form);
  });

  function submitIn(item, name) {
    var form = item.querySelector('form[data-action="' + name + '"]');
    if (form) form.requestSubmit();
  }

  function openPanel(item, selector) {
    var details = item.querySelector(selector);
    if (!details) return;
    details.open = true;
    var field = details.querySelector("select, input:not([type=hidden])");
    if (field) field.focus();
  }

  // In a reason list, Enter sends the form (a select does not do that by itself); Esc goes back.
  root.addEventListener("keydown", function (event) {
    var field = event.target;
    if (field.tagName === "SELECT" && event.key === "Enter") {
      event.preventDefault();
      if (field.hasAttribute("data-bulk-reason")) {
        bulkForm.requestSubmit(bulkForm.querySelector('[data-bulk="reject"]'));
      } else if (field.form) {
        field.form.requestSubmit();
      }
    }
    if (event.key === "Escape" && field.closest("details")) {
      field.closest("details").open = false;
      var item = itemFor(field);
      if (item) item.focus();
    }
  });

  var keys = {
    j: function () { select(current + 1); },
    k: function () { select(current - 1); },
    a: function (item) { submitIn(item, "approve"); },
    r: function (item) { openPanel(item, "[data-reject]"); },
    f: function (item) { submitIn(item, "feature"); },
    u: function (item) { openPanel(item, "[data-author-actions]"); },
    x: function (item) {
      var box = item.querySelector("[data-select]");
      box.checked = !box.checked;
      announce(box.checked ? "Selected." : "Not selected.");
    },
    o: function (item) {
      var link = item.querySelector("[data-open]");
      if (link) window.location.href = link.href;
    },
    A: function () {
      var button = bulkForm && bulkForm.querySelector('[data-bulk="approve"]');
      if (button) bulkForm.requestSubmit(button);
    },
    R: function () {
      var reason = bulkForm && bulkForm.querySelector("[data-bulk-reason]");
      if (reason) reason.focus();
    },
    "?": function () { if (help) help.showModal(); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    // Only inside the list (WCAG 2.1.4: single-key shortcuts only where the component has focus).
    if (!list || !list.contains(target)) return;
    if (target.closest("input, select, textarea, [contenteditable]")) return;
    var action = keys[event.key];
    if (!action) return;
    var item = currentItem();
    if (!item) return;
    event.preventDefault();
    action(item);
  });

  document.addEventListener("focusin", function (event) {
    var item = event.target.closest && event.target.closest("[data-queue-item]");
    if (!item) return;
    var index = items().indexOf(item);
    if (index !== -1) mark(index);
  });

  if (items().length) select(0);

  // Live updates: the queue's fragment (_queue_updates.html) polls every 15 s; the event stream
  // makes it look at once when an item may have arrived or left (it stops once it has news), and
  // brings the tabs' counters up to date.
  var eventsUrl = root.getAttribute("data-queue-events-url");
  if (eventsUrl && window.EventSource) {
    var source = new EventSource(eventsUrl);
    var pending = null;
    source.addEventListener("queue", function () {
      if (pending) return;  // one look for a burst of changes
      pending = window.setTimeout(function () {
        pending = null;
        refreshCounts();
        if (root.querySelector(".queue-updates[hx-get]")) {
          document.body.dispatchEvent(new CustomEvent("queue-changed"));
        }
      }, 500);
    });
  }
})();
