// The header's bell: its unread count, kept live over Server-Sent Events (the link works without it).
(function () {
  "use strict";
  var bell = document.querySelector("[data-bell-stream]");
  if (!bell || !window.EventSource) return;
  var count = bell.querySelector("[data-bell-count]");
  var label = bell.querySelector("[data-bell-label]");
  var source = new EventSource(bell.getAttribute("data-bell-stream"));
  source.addEventListener("unread", function (event) {
    var unread = JSON.parse(event.data).count;
    count.textContent = unread;
    count.hidden = unread === 0;
    label.textContent = unread ? " unread" : "";
    bell.setAttribute("data-unread", unread);
  });
})();
