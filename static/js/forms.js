/* Forms enhanced by htmx.  A form marked data-swap-refusals (the comment box) is answered, when the
   server refuses it (a 4xx: empty, too long, a nudge, slow mode), with itself again, holding the
   message: swap that in place instead of treating it as an error.  (A listener here rather than an
   hx-on attribute: the Content-Security-Policy runs no inline code.) */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-swap-refusals")) return;
    if (event.detail.xhr.status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
