/* Small helpers of the locator's scripts: DOM nodes built from text only, the
 * interface's number and distance formats, links to this site's pages, and
 * JSON from the public API. Loaded before locator-map.js and locator.js, which
 * take them from HelpLocator.kit(config). */
(function () {
  "use strict";

  window.HelpLocator = window.HelpLocator || {};

  window.HelpLocator.kit = function (config) {
    var M = config.messages;
    var integer = new Intl.NumberFormat(config.lang, { maximumFractionDigits: 0 });
    var oneDecimal = new Intl.NumberFormat(config.lang, { maximumFractionDigits: 1 });


    /* An element with text content and attributes; children are nodes or strings
     * (strings become text nodes). */
    function el(tag, attrs, children) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = String(value);
        else node.setAttribute(key, String(value));
      });
      (children || []).forEach(function (child) {
        if (child === null || child === undefined || child === "") return;
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      });
      return node;
    }

    function fmt(template, values) {
      return String(template).replace(/\{(\w+)\}/g, function (whole, key) {
        return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
      });
    }

    function urlFor(template, slug) {
      return template.replace("__slug__", encodeURIComponent(slug));
    }

    /* A link to one of this site's pages. Inside the embed widget it opens a new
     * tab: the pages other than the widget refuse to be framed. */
    function pageLink(template, slug, text, className) {
      var blank = config.linkTarget === "_blank";
      return el("a", {
        class: className || null,
        href: urlFor(template, slug),
        target: blank ? "_blank" : null,
        rel: blank ? "noopener" : null,
        text: text || "",
      });
    }

    function webUrl(url) {
      return /^https?:\/\//i.test(url || "") ? url : null;
    }

    function telUrl(phone) {
      return "tel:" + String(phone).replace(/[^0-9+]/g, "");
    }

    function distanceText(metres, visibility) {
      var text;
      if (metres < 1000) text = fmt(M.metres, { n: integer.format(metres) });
      else if (metres < 10000) text = fmt(M.kilometres, { n: oneDecimal.format(metres / 1000) });
      else text = fmt(M.kilometres, { n: integer.format(metres / 1000) });
      return visibility === "exact" ? text : fmt(M.about, { d: text });
    }

    function placeName(place) {
      if (!place) return "";
      return config.lang === "en" ? place.name : place.name_ru || place.name;
    }

    function uniqueJoin(parts) {
      var seen = {};
      return parts
        .filter(function (p) {
          if (!p || seen[p]) return false;
          seen[p] = true;
          return true;
        })
        .join(", ");
    }

    function getJSON(url, signal) {
      return fetch(url, { signal: signal, headers: { Accept: "application/json" }, credentials: "same-origin" }).then(
        function (response) {
          return response.json().then(
            function (body) {
              if (!response.ok) throw { status: response.status, body: body };
              return body;
            },
            function () {
              throw { status: response.status, body: null };
            }
          );
        }
      );
    }

    function isAbort(err) {
      return err && err.name === "AbortError";
    }

    return {
      el: el,
      fmt: fmt,
      urlFor: urlFor,
      pageLink: pageLink,
      webUrl: webUrl,
      telUrl: telUrl,
      distanceText: distanceText,
      placeName: placeName,
      uniqueJoin: uniqueJoin,
      getJSON: getJSON,
      isAbort: isAbort,
      integer: integer,
    };
  };
})();
