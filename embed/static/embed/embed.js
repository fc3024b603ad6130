/* Agora comments on a publisher's page.  No dependencies, no build step.

     <div data-agora-story="https://news.example.org/2025/harbour-talks"></div>
     <script src="https://AGORA/embed.js" async></script>

   Every [data-agora-story] element gets an iframe with that story's discussion, served
   by the Agora that served this script.  The page in the iframe reports its height with
   postMessage and the iframe is resized to fit; messages from anywhere else are ignored.
   Optional: data-agora-title="…" (default: document.title).  Pages that add elements
   later call window.AgoraEmbed.mount(). */
(function () {
  "use strict";
  if (window.AgoraEmbed) { window.AgoraEmbed.mount(); return; }  // the snippet twice on one page

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll('script[src$="/embed.js"]');
    script = candidates[candidates.length - 1];
  }
  if (!script || !window.URL || !window.postMessage) return;
  var origin = new URL(script.src, window.location.href).origin;
  var MAX_TITLE = 300;
  var MAX_HEIGHT = 100000;
  var frames = [];

  function storyUrl(element) {
    var value = element.getAttribute("data-agora-story");
    if (!value) {
      var canonical = document.querySelector('link[rel="canonical"]');
      value = canonical ? canonical.href : window.location.href;
    }
    var url = new URL(value, window.location.href);
    url.hash = "";
    return url.href;
  }

  function mountOne(element) {
    var story;
    try { story = storyUrl(element); } catch (error) {
      if (window.console) window.console.warn("Agora: data-agora-story is not a URL", element);
      return;
    }
    var title = (element.getAttribute("data-agora-title") || document.title || "").slice(0, MAX_TITLE);
    var iframe = document.createElement("iframe");
    iframe.src = origin + "/embed/thread/?url=" + encodeURIComponent(story) + "&title=" + encodeURIComponent(title);
    iframe.title = "Comments";
    iframe.setAttribute("loading", "lazy");
    iframe.style.cssText = "display:block;width:100%;height:24rem;border:0;margin:0;padding:0;";
    element.appendChild(iframe);
    frames.push(iframe);
  }

  function mount() {
    var elements = document.querySelectorAll("[data-agora-story]");
    for (var i = 0; i < elements.length; i++) {
      if (elements[i].hasAttribute("data-agora-mounted")) continue;
      elements[i].setAttribute("data-agora-mounted", "");
      mountOne(elements[i]);
    }
  }

  function finite(value) { return typeof value === "number" && isFinite(value); }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    for (var i = 0; i < frames.length; i++) {
      var iframe = frames[i];
      if (iframe.contentWindow !== event.source) continue;
      if (data.type === "agora:height" && finite(data.height)) {
        iframe.style.height = Math.min(Math.max(Math.ceil(data.height), 0), MAX_HEIGHT) + "px";
      } else if (data.type === "agora:scroll" && finite(data.top)) {
        // Bring a comment the reader just posted (or opened) into view, within the iframe's box.
        var box = iframe.getBoundingClientRect();
        var top = box.top + window.pageYOffset + Math.min(Math.max(data.top, 0), box.height);
        window.scrollTo(0, Math.max(0, top - 16));
      }
      return;
    }
  });

  window.AgoraEmbed = { mount: mount };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
