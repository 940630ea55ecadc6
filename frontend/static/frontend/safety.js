/* Quick exit, the compact top on a phone, and small page helpers shared by
 * every page.
 *
 * Quick exit (the button, or the Escape key anywhere): the page is hidden at
 * once and replaced by a neutral site with location.replace(), which takes
 * the place of this page in the browser's history instead of adding to it.
 * One Back press must not return to the site either, so every entry the site
 * made in this tab is counted (its number in the tab's run of this site's
 * pages is kept in history.state, the current number in sessionStorage):
 * quick exit first goes back to the first of them, and that page replaces
 * itself with the neutral site, so the whole run is behind one entry that
 * is not ours. Limits (docs/safety.md): pages of this site from an earlier
 * visit in the same tab, before another site, stay in the history; the
 * entries after the first one stay reachable with Forward; the browser's
 * history list (Ctrl+H) still names the pages, which only a private window
 * avoids. Inside the embed widget the whole framing page is replaced when the
 * browser allows it, the frame otherwise. */
(function () {
  "use strict";

  var INDEX_KEY = "hl-entry";
  var EXIT_KEY = "hl-exit";

  function exitUrl() {
    return (document.body && document.body.getAttribute("data-quick-exit-url")) || "about:blank";
  }

  function storage() {
    try {
      return window.sessionStorage;
    } catch (err) {
      return null; /* storage refused (a sandboxed frame): a plain replace still works */
    }
  }

  function stateIndex(state) {
    return state && typeof state === "object" && typeof state[INDEX_KEY] === "number" ? state[INDEX_KEY] : 0;
  }

  function withIndex(state, index) {
    if (state !== null && typeof state !== "object") return state; /* not ours to extend */
    var copy = {};
    Object.keys(state || {}).forEach(function (key) {
      copy[key] = state[key];
    });
    copy[INDEX_KEY] = index;
    return copy;
  }

  var store = storage();
  var framed = window.top !== window.self;
  var originalPush = history.pushState;
  var originalReplace = history.replaceState;

  function current() {
    return store ? Number(store.getItem(INDEX_KEY)) || 0 : 0;
  }

  function setCurrent(index) {
    if (store) store.setItem(INDEX_KEY, String(index));
  }

  /* This entry's number: kept in its state when it has one (Back, Forward,
   * Reload), else the next after the page we came from (or the same page,
   * a new fragment), or 1 when we came from another site. */
  function numberThisEntry(samePage) {
    var index = stateIndex(history.state);
    if (!index) {
      // No referrer (a typed address, a bookmark) after pages of the site in
      // this tab counts as one more of ours: going back one entry too many
      // lands on another site, one too few would leave a page of ours.
      var fromHere = samePage || (document.referrer === "" && current() > 0);
      try {
        fromHere = fromHere || (document.referrer !== "" && new URL(document.referrer).origin === location.origin);
      } catch (err) {
        /* an unreadable referrer: another site */
      }
      index = fromHere ? current() + 1 : 1;
      originalReplace.call(history, withIndex(history.state, index), "");
    }
    setCurrent(index);
    return index;
  }

  if (!framed) {
    // Entries the site's scripts add (the search in the address's fragment)
    // are numbered too; a replaced entry keeps its number.
    history.pushState = function (state, title, url) {
      var index = current() + 1;
      originalPush.call(history, withIndex(state, index), title, url);
      setCurrent(index);
    };
    history.replaceState = function (state, title, url) {
      originalReplace.call(history, withIndex(state, stateIndex(history.state) || current()), title, url);
    };
  }

  function finishExit() {
    if (!store || !store.getItem(EXIT_KEY)) return false;
    var url = store.getItem(EXIT_KEY);
    store.removeItem(EXIT_KEY);
    store.removeItem(INDEX_KEY);
    document.documentElement.style.visibility = "hidden";
    document.title = "";
    window.location.replace(url);
    return true;
  }

  function quickExit() {
    var url = exitUrl();
    document.documentElement.style.visibility = "hidden";
    document.title = "";
    if (framed) {
      try {
        window.top.location.replace(url);
      } catch (err) {
        /* a cross-origin parent may refuse: replace the frame below */
      }
      window.location.replace(url);
      return;
    }
    var back = Math.min(stateIndex(history.state) || current(), history.length) - 1;
    if (back > 0 && store) {
      // The first page of the run replaces itself (finishExit, on its pageshow
      // or popstate); if the browser does not go back, this page is replaced.
      store.setItem(EXIT_KEY, url);
      history.go(-back);
      window.setTimeout(finishExit, 1500);
      return;
    }
    if (store) store.removeItem(INDEX_KEY);
    window.location.replace(url);
  }

  if (!framed) {
    if (!finishExit()) numberThisEntry(false);
    // A page restored from the back-forward cache, or a same-page entry
    // (the fragment) reached with Back, runs no script from the start.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && !finishExit()) numberThisEntry(false);
    });
    window.addEventListener("popstate", function () {
      if (!finishExit()) numberThisEntry(true);
    });
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

  // --- the sticky top on a phone ----------------------------------------------------

  /* Scrolled down on a phone, the top (header and crisis lines) shrinks to a
   * line of brand and quick exit and a line of numbers (site.css,
   * .top-compact). It shrinks once the page has scrolled past its full height
   * and grows back only near the top, so the change in height it causes
   * cannot flip it back and forth. The locator sets the class itself before
   * it moves the page to the results, and then sends a scroll event. */
  var wide = window.matchMedia("(min-width: 48rem)");
  var topBar = document.querySelector(".top");
  function setCompactTop(on) {
    if (document.body.classList.contains("top-compact") !== on) document.body.classList.toggle("top-compact", on);
  }
  function onScroll() {
    if (!topBar || wide.matches) {
      setCompactTop(false);
      return;
    }
    var y = window.pageYOffset;
    if (document.body.classList.contains("top-compact")) {
      if (y < 8) setCompactTop(false);
    } else if (y > topBar.offsetHeight) {
      setCompactTop(true);
    }
  }
  window.addEventListener("scroll", onScroll, { passive: true });
  onScroll();

  // --- the embed widget's height, for the page that frames it -----------------------

  /* The postMessage height protocol (docs/api.md): framed, the widget tells
   * its parent its content's height, {type: "help-locator:height", height:
   * <CSS px>}, on load and whenever it changes; the snippet's script sets the
   * frame to it. The height tells the host page nothing it could not see in
   * its own frame; "*" because the widget does not know the host's origin. */
  if (framed && document.body.classList.contains("page-embed") && window.parent) {
    var lastHeight = 0;
    var postHeight = function () {
      var height = Math.ceil(document.documentElement.scrollHeight);
      if (Math.abs(height - lastHeight) < 2) return;
      lastHeight = height;
      window.parent.postMessage({ type: "help-locator:height", height: height }, "*");
    };
    if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
    window.addEventListener("load", postHeight);
    postHeight();
  }

  // --- Leaflet's controls in the page's language ----------------------------------------

  /* Leaflet writes "Zoom in" and "Zoom out" in English; the page carries the
   * translations (base.html), set here on every map of the page. */
  var zoomIn = document.body.getAttribute("data-zoom-in");
  var zoomOut = document.body.getAttribute("data-zoom-out");
  function translateZoom() {
    [
      [".leaflet-control-zoom-in", zoomIn],
      [".leaflet-control-zoom-out", zoomOut],
    ].forEach(function (pair) {
      if (!pair[1]) return;
      Array.prototype.forEach.call(document.querySelectorAll(pair[0]), function (button) {
        button.title = pair[1];
        button.setAttribute("aria-label", pair[1]);
      });
    });
  }
  translateZoom();
  window.addEventListener("load", translateZoom);

  // The language links reload this page in the chosen language: the search in
  // the address's fragment goes with the link (a redirect keeps the fragment
  // of the address it came from, and a fragment never reaches the server).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var link = target && target.closest(".lang-links a");
    if (link && location.hash) link.hash = location.hash;
  });

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
