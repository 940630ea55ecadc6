/* The tools around the locator's list: the filters folded after a search
 * (their summary counts those on) with a reset button; on a phone a list /
 * map switch (the list first); "copy link" and "print the list".
 *
 * HelpLocator.tools(root, form, map, config, kit, link) returns what
 * locator.js calls; loaded before it. */
(function () {
  "use strict";

  window.HelpLocator = window.HelpLocator || {};

  window.HelpLocator.tools = function (root, form, map, config, kit, link) {
    var M = config.messages;
    var wide = window.matchMedia("(min-width: 48rem)");
    var filters = form.querySelector("details.filters");
    var count = form.querySelector("[data-filters-count]");
    var resetButton = document.getElementById("reset-filters");
    var listButton = document.getElementById("show-list");
    var mapButton = document.getElementById("show-map");
    var tools = document.getElementById("results-tools");
    var copyButton = document.getElementById("copy-link");
    var printButton = document.getElementById("print-list");
    var shareBox = document.getElementById("share-link");
    var copyStatus = document.getElementById("copy-status");
    var printLink = document.getElementById("print-link");
    var onShow = null;
    var toggle = root.querySelector(".view-toggle");
    var bringUp = null;

    /* On paper, the link as a person reads and types it (Углич, not %D0%A3…). */
    function readableLink() {
      try {
        return decodeURI(link());
      } catch (e) {
        return link();
      }
    }

    // --- filters ---------------------------------------------------------------------

    function activeFilters() {
      var n = 0;
      if (form.elements.category.value) n += 1;
      if (form.elements.target.value) n += 1;
      n += form.querySelectorAll('input[name="format"]:checked').length;
      if (form.elements.free.checked) n += 1;
      if (form.elements.open_now.checked) n += 1;
      return n;
    }

    function updateCount() {
      var n = activeFilters();
      if (count) count.textContent = n ? kit.fmt(M.filtersOn, { n: n }) : "";
      if (resetButton) resetButton.hidden = !n;
    }

    /* After a search she asked for: out of the way of the answer. */
    function fold() {
      if (filters) filters.open = false;
      updateCount();
    }

    function reset() {
      form.elements.category.value = "";
      form.elements.target.value = "";
      Array.prototype.forEach.call(form.querySelectorAll('input[type="checkbox"]'), function (box) {
        box.checked = false;
      });
      updateCount();
    }

    // --- list or map, on a phone -----------------------------------------------------

    function showView(view, asked) {
      root.setAttribute("data-view", view);
      if (listButton) listButton.setAttribute("aria-pressed", view === "list" ? "true" : "false");
      if (mapButton) mapButton.setAttribute("aria-pressed", view === "map" ? "true" : "false");
      // A map drawn while hidden has no size: measure it again now it shows.
      if (view === "map" && map) {
        map.invalidateSize();
        if (onShow) onShow();
      }
      // Asked for on a phone: the switch and what it shows come to the top.
      if (asked && !wide.matches && toggle && bringUp) bringUp(toggle);
    }

    if (listButton && mapButton) {
      listButton.addEventListener("click", function () {
        showView("list", true);
      });
      mapButton.addEventListener("click", function () {
        showView("map", true);
      });
    }
    showView("list");

    // --- copy link, print ------------------------------------------------------------

    /* The link is shown in a box as well as copied: a browser may refuse the
     * clipboard, and she may want to read what she sends. */
    function copyLink() {
      var url = link();
      shareBox.value = url;
      shareBox.hidden = false;
      shareBox.select();
      var done = function () {
        copyStatus.textContent = M.linkCopied;
      };
      var failed = function () {
        copyStatus.textContent = M.copyByHand;
      };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(done, failed);
      else failed();
    }

    function showTools() {
      if (tools) tools.hidden = false;
      if (printLink) printLink.textContent = readableLink();
      if (shareBox && !shareBox.hidden) shareBox.value = link();
    }

    if (copyButton) copyButton.addEventListener("click", copyLink);
    if (printButton) {
      printButton.addEventListener("click", function () {
        showTools();
        window.print();
      });
    }
    window.addEventListener("beforeprint", function () {
      if (printLink) printLink.textContent = readableLink();
    });

    updateCount();
    wide.addEventListener("change", function () {
      if (wide.matches && map) map.invalidateSize();
    });

    return {
      fold: fold,
      reset: reset,
      resetButton: resetButton,
      updateCount: updateCount,
      showView: showView,
      showTools: showTools,
      onMapShown: function (callback) {
        onShow = callback;
      },
      // How the page brings a part of it up below the sticky top (locator.js).
      setBringUp: function (callback) {
        bringUp = callback;
      },
    };
  };
})();
