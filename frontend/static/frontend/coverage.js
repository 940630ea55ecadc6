// The coverage page's map: every town as a circle, its area proportional to
// the population and its colour the distance band. The town rows come from
// GET /api/v1/coverage/towns with the page's filters; popups are built from
// DOM text nodes (town names are data, never markup).
(function () {
  "use strict";

  var wrap = document.querySelector("[data-coverage-map]");
  var configEl = document.getElementById("coverage-config");
  if (!wrap || !configEl) return;
  var config = JSON.parse(configEl.textContent);
  var status = document.getElementById("coverage-map-status");

  document.querySelectorAll(".coverage-legend .swatch").forEach(function (el) {
    el.style.backgroundColor = el.getAttribute("data-colour");
  });

  function setStatus(text) {
    if (status) status.textContent = text;
  }

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function whenMap(callback) {
    var map = window[wrap.getAttribute("data-coverage-map")];
    if (map) return callback(map);
    window.setTimeout(function () { whenMap(callback); }, 50);
  }

  function pageUrl(page) {
    var params = new URLSearchParams(config.params);
    params.set("page", String(page));
    params.set("page_size", "5000");
    return config.towns + "?" + params.toString();
  }

  function popup(town) {
    var distance = town.distance_km === null ? config.messages.none : town.distance_km.toLocaleString() + " km";
    var box = document.createElement("div");
    box.appendChild(document.createTextNode(fmt(config.messages.popup, {
      name: town.name_ru || town.name,
      population: town.population.toLocaleString(),
      distance: distance
    })));
    if (town.remote) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(config.messages.remote));
    }
    return box;
  }

  whenMap(function (map) {
    var renderer = window.L.canvas({ padding: 0.5 });
    var layer = window.L.layerGroup().addTo(map);
    var drawn = 0;
    setStatus(config.messages.loading);

    function draw(towns) {
      // Largest first in the answer; drawn in reverse so small towns stay clickable on top.
      for (var i = towns.length - 1; i >= 0; i--) {
        var t = towns[i];
        var radius = Math.min(24, Math.max(2, Math.sqrt(t.population / 1000) * 0.7));
        var colour = config.bands[t.band] || "#64748b";
        window.L.circleMarker([t.lat, t.lon], {
          renderer: renderer, radius: radius, color: colour, weight: 1, fillColor: colour, fillOpacity: 0.6
        }).bindPopup(popup.bind(null, t)).addTo(layer);
      }
      drawn += towns.length;
    }

    function load(page) {
      fetch(pageUrl(page), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error(String(r.status));
          return r.json();
        })
        .then(function (data) {
          draw(data.results);
          if (page * data.page_size < data.count) return load(page + 1);
          setStatus("");
          wrap.setAttribute("data-towns-drawn", String(drawn));
        })
        .catch(function () { setStatus(config.messages.failed); });
    }
    load(1);
  });
})();
