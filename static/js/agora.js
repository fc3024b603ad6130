/* Agora: live discussion updates.  Everything here is an enhancement: without it the
   page still reads, posts, replies and reacts through plain links and forms. */
(function () {
  "use strict";

  function liveDiscussion(section) {
    var url = section.getAttribute("data-events-url");
    if (!url || !window.EventSource) return;
    var notice = section.querySelector(".live-notice");
    var button = notice && notice.querySelector("[data-live-button]");
    var waiting = 0;
    var source = new EventSource(url + "?after=" + encodeURIComponent(section.getAttribute("data-newest") || "0"));

    function announce(count) {
      waiting += count;
      if (!button || waiting <= 0) return;
      button.textContent = waiting === 1 ? "1 new comment" : waiting + " new comments";
      notice.hidden = false;
    }

    source.addEventListener("comment", function (event) {
      var id = JSON.parse(event.data).id;
      // The reader's own, just posted, is already on the page (beside the box, or in place).
      if (document.getElementById("posted-c" + id) || document.getElementById("c" + id)) return;
      announce(1);
    });
    source.addEventListener("missed", function (event) { announce(JSON.parse(event.data).count); });
    source.addEventListener("reaction", function (event) {
      var data = JSON.parse(event.data);
      document.querySelectorAll('[data-reaction-count="' + data.id + '"] .reaction__count').forEach(function (el) {
        el.textContent = data.count;
      });
    });

    if (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        source.close();
        refresh(section);
      });
    }
  }

  // Replace the discussion with a fresh copy, without moving the rest of the page.
  function refresh(section) {
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(section.id);
        if (!fresh) { window.location.reload(); return; }
        section.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        var heading = fresh.querySelector("h2");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
        liveDiscussion(fresh);
      });
  }

  // "Cancel" in a reply box opened in place: close it, and give the focus back to its Reply link.
  // (Without JavaScript the reply box is a page of its own, and Cancel a link back.)
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-cancel-reply]");
    var slot = cancel && cancel.closest(".reply-slot");
    if (!slot) return;
    event.preventDefault();
    slot.innerHTML = "";
    var opener = document.querySelector('[aria-controls="' + slot.id + '"]');
    if (opener) opener.focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-events-url]").forEach(liveDiscussion);
  });
})();
