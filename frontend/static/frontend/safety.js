/* Quick exit and small page helpers shared by every page.
 *
 * Quick exit (the button, or the Escape key anywhere): the page is hidden at
 * once and replaced by a neutral site with location.replace(), which takes
 * the place of this page in the browser's history instead of adding to it,
 * so Back does not return here. Inside the embed widget the whole framing
 * page is replaced when the browser allows it, the frame otherwise. */
(function () {
  "use strict";

  function exitUrl() {
    return document.body.getAttribute("data-quick-exit-url") || "about:blank";
  }

  function quickExit() {
    var url = exitUrl();
    document.documentElement.style.visibility = "hidden";
    document.title = "";
    if (window.top !== window.self) {
      try {
        window.top.location.replace(url);
      } catch (err) {
        /* a cross-origin parent may refuse: replace the frame below */
      }
    }
    window.location.replace(url);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("[data-quick-exit]")) {
      event.preventDefault();
      quickExit();
    }
  });

  // Capture phase, so that no other handler (the map's own Escape for its
  // popups) can swallow the key first. The one exception: Escape in an open
  // list of suggestions closes that list, as people expect.
  window.addEventListener(
    "keydown",
    function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") return;
      var target = event.target;
      if (target instanceof Element && target.getAttribute("aria-expanded") === "true") return;
      quickExit();
    },
    true
  );

  // "Copy the code" buttons: data-copy names the text box to copy from.
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var button = target && target.closest("[data-copy]");
    if (!button) return;
    var box = document.getElementById(button.getAttribute("data-copy"));
    if (!box) return;
    var done = function () {
      button.textContent = button.getAttribute("data-copied") || button.textContent;
    };
    box.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(done, function () {
        if (document.execCommand("copy")) done();
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  });
})();
