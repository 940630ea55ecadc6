/* The map's points and clusters for the part of the map in view, loaded from
 * /api/v1/locations as the map moves. Popups are built from text nodes only.
 * HelpLocator.viewport(...) wires it to a Leaflet map and returns what the
 * search (locator.js) draws on: its layers and the helpers it shares. */
(function () {
  "use strict";

  window.HelpLocator = window.HelpLocator || {};

  window.HelpLocator.viewport = function (root, map, config, kit, filterParams, mapStatus) {
    var M = config.messages;
    var el = kit.el;
    var fmt = kit.fmt;
    var pageLink = kit.pageLink;
    var uniqueJoin = kit.uniqueJoin;
    var getJSON = kit.getJSON;
    var isAbort = kit.isAbort;
    var integer = kit.integer;

  var pointsLayer = map ? L.layerGroup().addTo(map) : null;
    var originLayer = map ? L.layerGroup().addTo(map) : null;
    var resultsLayer = map ? L.layerGroup().addTo(map) : null;
    var viewportTimer = null;
    var viewportAbort = null;
    // The API answers for at most a quarter of the planet at a time.
    var MAX_BOX_AREA = (360 * 180) / 4 - 1;
    var MAX_BOXES = 6;

    function wrapLon(lon) {
      return ((((lon + 180) % 360) + 360) % 360) - 180;
    }

    /* The visible area as API boxes (minlon,minlat,maxlon,maxlat): longitudes
     * wrapped into ±180 (a box may cross the antimeridian), and a view wider
     * than the API allows split into strips. Every edge is snapped outward to
     * a grid of 180 / 2^zoom degrees, as orgs/search/viewport.py snaps them,
     * so that visitors looking at neighbouring views send the same URLs and a
     * cache answers them all from one copy. The grid values are exact binary
     * fractions: no rounding, the server reads back the same numbers. */
    function viewportBoxes(bounds, zoom) {
      var grid = 180 / Math.pow(2, zoom);
      var south = Math.max(-90, Math.floor(bounds.getSouth() / grid) * grid);
      var north = Math.min(90, Math.ceil(bounds.getNorth() / grid) * grid);
      var west = Math.floor(bounds.getWest() / grid) * grid;
      var east = Math.ceil(bounds.getEast() / grid) * grid;
      if (east - west >= 360) {
        west = -180;
        east = 180;
      }
      var height = Math.max(north - south, 1e-6);
      var columns = Math.max(1, Math.round((east - west) / grid));
      var count = Math.min(MAX_BOXES, Math.max(1, Math.ceil(((east - west) * height) / MAX_BOX_AREA)));
      // Whole grid columns per strip, so that strip edges stay on the grid too.
      var perStrip = Math.ceil(columns / count);
      while (count < MAX_BOXES && perStrip * grid * height > MAX_BOX_AREA) {
        count += 1;
        perStrip = Math.ceil(columns / count);
      }
      var boxes = [];
      for (var start = 0; start < columns; start += perStrip) {
        var a = wrapLon(west + start * grid);
        var b = wrapLon(west + Math.min(columns, start + perStrip) * grid);
        if (b === -180) b = 180;
        if (a === b) continue;
        boxes.push([a, south, b, north]);
      }
      return boxes;
    }

    /* A position moved by whole turns of longitude to the world copy in view. */
    function nearView(lat, lon) {
      var centre = map.getCenter().lng;
      return L.latLng(lat, lon + 360 * Math.round((centre - lon) / 360));
    }

    // Tiles come from an outside server that may be blocked or down: the points
    // and the list do not depend on them, and the map says so.
    var tilesFailed = false;
    var mapStatusText = "";

    function setMapStatus(text) {
      mapStatusText = text;
      // No second full stop after a text that already ends in one ("…").
      var joined = text ? text + (/[.…!?]$/.test(text) ? " " : ". ") : "";
      if (mapStatus) mapStatus.textContent = tilesFailed ? joined + M.tilesFailed : text;
    }

    if (map) {
      map.eachLayer(function (layer) {
        if (layer instanceof L.TileLayer) {
          layer.once("tileerror", function () {
            tilesFailed = true;
            setMapStatus(mapStatusText);
            root.setAttribute("data-tiles-failed", "true");
          });
        }
      });
    }

    function scheduleViewport() {
      if (!map) return;
      window.clearTimeout(viewportTimer);
      viewportTimer = window.setTimeout(loadViewport, 200);
    }

    function loadViewport() {
      if (viewportAbort) viewportAbort.abort();
      var controller = new AbortController();
      viewportAbort = controller;
      var zoom = Math.max(0, Math.min(22, Math.round(map.getZoom())));
      var filters = filterParams();
      setMapStatus(M.mapLoading);
      var requests = viewportBoxes(map.getBounds(), zoom).map(function (box) {
        var params = new URLSearchParams(filters);
        params.set("in_bbox", box.join(","));
        params.set("zoom", String(zoom));
        return getJSON(config.api.locations + "?" + params.toString(), controller.signal);
      });
      Promise.all(requests).then(
        function (collections) {
          if (viewportAbort === controller) drawViewport(collections);
        },
        function (err) {
          if (!isAbort(err) && viewportAbort === controller) setMapStatus(M.mapError);
        }
      );
    }

    function drawViewport(collections) {
      pointsLayer.clearLayers();
      var seen = {};
      var points = 0;
      var clustered = 0;
      var clusters = 0;
      collections.forEach(function (collection) {
        (collection.features || []).forEach(function (feature) {
          var coords = feature.geometry.coordinates;
          var props = feature.properties || {};
          var latlng = nearView(coords[1], coords[0]);
          if (props.cluster) {
            clusters += 1;
            clustered += props.count;
            pointsLayer.addLayer(clusterMarker(latlng, props.count));
          } else if (!seen[props.location_id]) {
            seen[props.location_id] = true;
            points += 1;
            pointsLayer.addLayer(pointMarker(latlng, props));
          }
        });
      });
      root.setAttribute("data-points", String(points));
      root.setAttribute("data-clusters", String(clusters));
      setMapStatus(clusters ? fmt(M.mapClusters, { n: integer.format(points + clustered) }) : fmt(M.mapPoints, { n: integer.format(points) }));
    }

    function clusterMarker(latlng, count) {
      var size = count < 10 ? 32 : count < 100 ? 38 : count < 1000 ? 46 : 54;
      var title = fmt(M.clusterTitle, { n: integer.format(count) });
      var marker = L.marker(latlng, {
        icon: L.divIcon({ html: el("span", { text: integer.format(count) }), className: "hl-cluster", iconSize: [size, size] }),
        title: title,
        keyboard: true,
        riseOnHover: true,
      });
      marker.on("add", function () {
        var node = marker.getElement();
        if (node) {
          node.setAttribute("role", "button");
          node.setAttribute("aria-label", title);
        }
      });
      function zoomIn() {
        map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
      }
      marker.on("click", zoomIn);
      // A marker reached with Tab: Enter zooms in as a click does.
      marker.on("keypress", function (event) {
        if (event.originalEvent && event.originalEvent.key === "Enter") zoomIn();
      });
      return marker;
    }

    function pointMarker(latlng, props) {
      var exact = props.visibility === "exact";
      var marker = L.circleMarker(latlng, {
        radius: 7,
        weight: 2,
        color: exact ? "#1e3a8a" : "#92400e",
        fillColor: exact ? "#3b82f6" : "#fbbf24",
        fillOpacity: 0.9,
        dashArray: exact ? null : "3 3",
        className: exact ? "hl-point" : "hl-point hl-approximate",
      });
      marker.bindPopup(function () {
        return pointPopup(props);
      });
      return marker;
    }

    function protectionNote(visibility) {
      if (visibility === "exact") return null;
      return el("p", { class: "note", text: visibility === "city" ? M.cityOnly : M.approximate });
    }

    function pointPopup(props) {
      return el("div", { class: "hl-popup" }, [
        pageLink(config.organisationUrl, props.organisation, props.organisation_name, "hl-popup-title"),
        el("p", { text: uniqueJoin([props.name, props.city]) }),
        protectionNote(props.visibility),
      ]);
    }

    if (map) {
      map.on("moveend", scheduleViewport);
      map.whenReady(scheduleViewport);
    }

    return {
      schedule: scheduleViewport,
      nearView: nearView,
      protectionNote: protectionNote,
      originLayer: originLayer,
      resultsLayer: resultsLayer,
    };
  };
})();
