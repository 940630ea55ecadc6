/* The map's background: vector tiles from this site (/basemap/…, orgs/basemap/)
 * drawn by protomaps-leaflet, in a calm style of our own. The layers follow
 * the Protomaps basemap schema (earth, water, boundaries, roads, places), so
 * the built Natural Earth archive and an operator's OpenStreetMap extract are
 * drawn by the same rules.
 *
 * The configuration comes from this script tag's data-basemap attribute
 * (orgs/basemap/client.py); HelpLocatorBasemap.addTo(map) adds the layer
 * beneath everything else (it lives in Leaflet's tile pane, markers and
 * clusters stay on top). */
(function () {
  "use strict";

  var script = document.currentScript;
  var config = null;
  try {
    config = script && script.getAttribute("data-basemap") ? JSON.parse(script.getAttribute("data-basemap")) : null;
  } catch (e) {
    config = null;
  }

  // Contrast (WCAG 2 ratios): label text #1f2933, with a white halo, is 12.9:1
  // on land #f2efe9 and 10.5:1 on water #c9dde8 (AA asks 4.5:1 for text);
  // borders #7b6f8a are 4.1:1 on land and 3.3:1 on water (AA asks 3:1 for
  // graphics). Markers and clusters (locator-map.js) sit above all of it.
  var WATER = "#c9dde8";
  var LAND = "#f2efe9";
  var BORDER = "#7b6f8a";
  var ROAD = "#ffffff";
  var LABEL = "#1f2933";
  var HALO = "#ffffff";

  function labelProps(lang) {
    if (lang === "en") return ["name:en", "name"];
    // No Ukrainian names in the gazetteer yet: Cyrillic (Russian) before Latin.
    if (lang === "uk") return ["name:uk", "name:ru", "name"];
    return ["name:ru", "name"];
  }

  function population(feature) {
    var p = feature.props.population;
    return typeof p === "number" ? p : 0;
  }

  function fontSize(z, feature) {
    var p = population(feature);
    var size = p >= 1000000 ? 15 : p >= 300000 ? 14 : p >= 100000 ? 13 : 12;
    return z >= 9 ? size + 1 : size;
  }

  function layer(P, options) {
    var lang = options.lang || "ru";
    var paintRules = [
      // A hairline of the same colour hides the seams between the pieces of a big polygon.
      { dataLayer: "earth", symbolizer: new P.PolygonSymbolizer({ fill: LAND, stroke: LAND, width: 0.5 }) },
      { dataLayer: "water", symbolizer: new P.PolygonSymbolizer({ fill: WATER }) },
      {
        dataLayer: "roads",
        minzoom: 7,
        filter: function (z, f) {
          return f.props.kind === "highway" || f.props.kind === "major_road";
        },
        symbolizer: new P.LineSymbolizer({ color: ROAD, width: 1.5 })
      },
      {
        dataLayer: "boundaries",
        filter: function (z, f) {
          return f.props.kind === "country" || Number(f.props.kind_detail) <= 2;
        },
        symbolizer: new P.LineSymbolizer({ color: BORDER, width: 1.2 })
      },
      {
        dataLayer: "boundaries",
        minzoom: 5,
        filter: function (z, f) {
          return f.props.kind === "region";
        },
        symbolizer: new P.LineSymbolizer({ color: BORDER, width: 0.6, dash: [3, 3] })
      }
    ];
    var labelRules = [
      {
        dataLayer: "places",
        filter: function (z, f) {
          return f.props.kind === "locality";
        },
        // Bigger towns claim their place first when labels would overlap.
        sort: function (a, b) {
          return (b.population || 0) - (a.population || 0);
        },
        symbolizer: new P.CenteredTextSymbolizer({
          labelProps: labelProps(lang),
          fill: LABEL,
          stroke: HALO,
          width: 3,
          fontFamily: "sans-serif",
          fontWeight: function (z, f) {
            return population(f) >= 300000 ? 600 : 400;
          },
          fontSize: fontSize
        })
      }
    ];
    return P.leafletLayer({
      url: options.tiles,
      maxDataZoom: options.maxDataZoom,
      paintRules: paintRules,
      labelRules: labelRules,
      backgroundColor: WATER,
      attribution: options.attribution || "",
      lang: lang
    });
  }

  window.HelpLocatorBasemap = {
    config: config,
    /* Adds the basemap to a Leaflet map; false when there is none to add. */
    addTo: function (map, options) {
      var opts = options || config;
      if (!map || !opts || !window.protomapsL) return false;
      var base = layer(window.protomapsL, opts);
      base.addTo(map);
      base.bringToBack();
      if (map.getContainer) map.getContainer().setAttribute("data-basemap", "vector");
      return true;
    }
  };
})();
