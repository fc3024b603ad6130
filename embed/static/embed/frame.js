/* Agora inside a publisher's iframe (see embed.js on the publisher's side):
   - report the page's height to the publisher's page, whenever it changes (htmx swaps,
     replies opening, images loading), so the iframe can fit it;
   - after arriving at #c123 or #discussion, ask that page to scroll it into view;
   - open links that leave the embed (profiles, the site itself) in a new tab: only
     /embed/ pages can be shown in the iframe. */
(function () {
  "use strict";
  var parent = window.parent !== window ? window.parent : null;
  var lastHeight = -1;

  // The height goes to whichever page frames us: only allowed publishers can (CSP
  // frame-ancestors), and it is a number of pixels.
  function tell(message) { if (parent) parent.postMessage(message, "*"); }

  function reportHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    tell({ type: "agora:height", height: height });
  }

  function reportTarget() {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(decodeURIComponent(id));
    if (!target) return;
    tell({ type: "agora:scroll", top: Math.floor(target.getBoundingClientRect().top + window.pageYOffset) });
  }

  function leavesEmbed(link) {
    return link.origin !== window.location.origin || link.pathname.indexOf("/embed/") !== 0;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link.hasAttribute("target") || !leavesEmbed(link)) return;
    link.setAttribute("target", "_blank");
    link.setAttribute("rel", "noopener");
  });

  if (window.ResizeObserver) {
    new window.ResizeObserver(reportHeight).observe(document.documentElement);
  }
  document.addEventListener("htmx:afterSettle", reportHeight);
  window.addEventListener("resize", reportHeight);
  window.addEventListener("load", function () {
    reportHeight();
    reportTarget();
  });
  reportHeight();
})();
