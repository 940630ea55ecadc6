/* The search as a shareable address: the town and the filters live in the
 * URL fragment (#q=Углич&category=legal-aid&free=1). Browsers never send a
 * fragment to the server, so Back, Reload and a copied link restore the list
 * while nothing of the search reaches a server log. Coordinates never go in:
 * "use my location" writes the nearest town instead (locator.js).
 *
 * HelpLocator.state(form) reads and writes the form's fields; loaded before
 * locator.js. */
(function () {
  "use strict";

  window.HelpLocator = window.HelpLocator || {};

  // The fields kept in the fragment, in this order (a short, readable link).
  var SINGLE = ["category", "target"];
  var FLAGS = ["free", "open_now"];

  window.HelpLocator.state = function (form) {
    /* An old link (/?place=Псков&category=…) was a query the page ignored:
     * turn it into a fragment, once, and drop the query from the address
     * (the server has seen it already; the history will not keep it). */
    function adoptQuery() {
      var query = new URLSearchParams(window.location.search);
      if (!query.has("place") && !query.has("q")) return;
      var state = new URLSearchParams();
      var q = (query.get("place") || query.get("q") || "").trim();
      if (q) state.set("q", q);
      SINGLE.forEach(function (key) {
        if (query.get(key)) state.set(key, query.get(key));
      });
      query.getAll("format").forEach(function (value) {
        state.append("format", value);
      });
      FLAGS.forEach(function (key) {
        if (query.get(key) === "true" || query.get(key) === "1") state.set(key, "1");
      });
      window.history.replaceState(window.history.state, "", window.location.pathname + "#" + state.toString());
    }

    function read() {
      var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
      return {
        q: (params.get("q") || "").trim().slice(0, 100),
        category: params.get("category") || "",
        target: params.get("target") || "",
        format: params.getAll("format"),
        free: params.get("free") === "1",
        open_now: params.get("open_now") === "1",
      };
    }

    /* Put a state read from the address into the form. A value the form
     * does not offer (an edited link) is left out rather than refused. */
    function apply(state) {
      SINGLE.forEach(function (key) {
        var select = form.elements[key];
        var offered = Array.prototype.some.call(select.options, function (option) {
          return option.value === state[key];
        });
        select.value = offered ? state[key] : "";
      });
      Array.prototype.forEach.call(form.querySelectorAll('input[name="format"]'), function (box) {
        box.checked = state.format.indexOf(box.value) >= 0;
      });
      FLAGS.forEach(function (key) {
        form.elements[key].checked = state[key];
      });
    }

    /* The fragment for a town (a name, never coordinates) and the form's filters. */
    function fragment(q) {
      var params = new URLSearchParams();
      if (q) params.set("q", q);
      SINGLE.forEach(function (key) {
        if (form.elements[key].value) params.set(key, form.elements[key].value);
      });
      Array.prototype.forEach.call(form.querySelectorAll('input[name="format"]:checked'), function (box) {
        params.append("format", box.value);
      });
      FLAGS.forEach(function (key) {
        if (form.elements[key].checked) params.set(key, "1");
      });
      return params.toString();
    }

    /* Replace, not push: the history keeps one entry for the page, so Back
     * leaves the site in one step (what quick exit and a shared device need). */
    function write(q) {
      var hash = fragment(q);
      var url = window.location.pathname + (hash ? "#" + hash : "");
      if (url !== window.location.pathname + window.location.hash) window.history.replaceState(window.history.state, "", url);
    }

    function link() {
      return window.location.href;
    }

    return { adoptQuery: adoptQuery, read: read, apply: apply, write: write, link: link };
  };
})();
