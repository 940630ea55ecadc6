/* Help Locator: partner forms.
 *
 * - The point picker: a Leaflet map (the site's own copy) in each place of the
 *   form; a click (or dragging the marker) writes the point into the place's
 *   hidden lat/lon inputs.
 * - Town autocomplete from the gazetteer (/api/v1/places): choosing a town
 *   fills its hidden id, and moves the place's map there.
 *
 * Everything shown is built with DOM text nodes (never innerHTML), and the
 * form works without this script: the server looks a typed town up itself.
 */
(function () {
  "use strict";

  var DEFAULT_CENTRE = [56.0, 45.0];
  var DEFAULT_ZOOM = 4;
  var POINT_ZOOM = 15;
  var TOWN_ZOOM = 12;

  function round6(x) {
    return Math.round(x * 1e6) / 1e6;
  }

  function initPicker(form, picker) {
    if (typeof L === "undefined") {
      return;
    }
    var scope = picker.closest("[data-location]") || form;
    var lat = scope.querySelector("[data-lat]");
    var lon = scope.querySelector("[data-lon]");
    var status = scope.querySelector("[data-point-status]");
    var clear = scope.querySelector("[data-point-clear]");
    var map = L.map(picker, { scrollWheelZoom: false });
    var tiles = form.getAttribute("data-tiles-url");
    if (tiles) {
      L.tileLayer(tiles, { attribution: form.getAttribute("data-tiles-attribution") || "", maxZoom: 19 }).addTo(map);
    } else if (window.HelpLocatorBasemap) {
      // The site's own vector basemap (basemap.js).
      window.HelpLocatorBasemap.addTo(map);
    }
    var marker = null;

    function say() {
      if (!status) {
        return;
      }
      if (lat.value && lon.value) {
        status.textContent = (status.getAttribute("data-chosen") || "{lat}, {lon}")
          .replace("{lat}", lat.value)
          .replace("{lon}", lon.value);
      } else {
        status.textContent = status.getAttribute("data-none") || "";
      }
    }

    function place(latlng, pan) {
      var wrapped = latlng.wrap();
      lat.value = String(round6(wrapped.lat));
      lon.value = String(round6(wrapped.lng));
      if (marker) {
        marker.setLatLng(wrapped);
      } else {
        marker = L.marker(wrapped, { draggable: true, keyboard: true }).addTo(map);
        marker.on("dragend", function () {
          place(marker.getLatLng(), false);
        });
      }
      if (pan) {
        map.panTo(wrapped);
      }
      say();
    }

    if (lat.value && lon.value && !isNaN(parseFloat(lat.value)) && !isNaN(parseFloat(lon.value))) {
      var start = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      map.setView(start, POINT_ZOOM);
      place(start, false);
    } else {
      map.setView(DEFAULT_CENTRE, DEFAULT_ZOOM);
    }
    map.on("click", function (e) {
      place(e.latlng, false);
    });
    if (clear) {
      clear.addEventListener("click", function () {
        lat.value = "";
        lon.value = "";
        if (marker) {
          map.removeLayer(marker);
          marker = null;
        }
        say();
      });
    }
    picker.hlMap = map;
    picker.hlShowTown = function (townLat, townLon) {
      if (!marker) {
        map.setView([townLat, townLon], TOWN_ZOOM);
      }
    };
  }

  // --- town autocomplete ------------------------------------------------------

  var comboCount = 0;

  function initTown(form, input) {
    var url = form.getAttribute("data-places-url");
    if (!url) {
      return;
    }
    var container = input.closest(".combo") || input.parentNode;
    var scope = input.closest("[data-location]") || input.closest(".subform") || form;
    var hidden = scope.querySelector("[data-place-id]");
    var list = document.createElement("ul");
    comboCount += 1;
    list.id = "town-options-" + comboCount;
    list.className = "combo-options";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    container.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var options = [];
    var active = -1;
    var timer = null;
    var request = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      options.forEach(function (o, j) {
        o.el.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      active = i;
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", options[i].el.id);
        options[i].el.scrollIntoView({ block: "nearest" });
      }
    }

    function choose(p) {
      input.value = p.name_ru || p.name;
      if (hidden) {
        hidden.value = String(p.id);
      }
      var country = scope.querySelector("select[name$='-country']");
      if (country && p.country_code && country.querySelector("option[value='" + p.country_code + "']")) {
        country.value = p.country_code;
      }
      var tz = scope.querySelector("select[name$='-timezone']");
      if (tz && !tz.value && p.timezone && tz.querySelector("option[value='" + p.timezone + "']")) {
        tz.value = p.timezone;
      }
      var picker = scope.querySelector("[data-point-picker]");
      if (picker && picker.hlShowTown) {
        picker.hlShowTown(p.lat, p.lon);
      }
      close();
    }

    function show(places) {
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      options = places.map(function (p, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.className = "combo-option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(document.createTextNode(p.name_ru || p.name));
        var detail = document.createElement("span");
        detail.className = "option-detail";
        detail.appendChild(document.createTextNode(" · " + p.country_code + (p.name_ru && p.name !== p.name_ru ? " · " + p.name : "")));
        li.appendChild(detail);
        li.addEventListener("mousedown", function (e) {
          e.preventDefault();
          choose(p);
        });
        list.appendChild(li);
        return { el: li, place: p };
      });
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      active = -1;
    }

    input.addEventListener("input", function () {
      if (hidden) {
        hidden.value = "";
      }
      var q = input.value.trim();
      clearTimeout(timer);
      if (q.length < 2) {
        close();
        return;
      }
      timer = setTimeout(function () {
        var mine = ++request;
        fetch(url + "?" + new URLSearchParams({ q: q, limit: "8" }), { credentials: "same-origin" })
          .then(function (r) {
            return r.ok ? r.json() : [];
          })
          .then(function (places) {
            if (mine === request) {
              show(places);
            }
          })
          .catch(close);
      }, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden || !options.length) {
        return;
      }
      if (e.key === "ArrowDown") {
        e.preventDefault();
        highlight((active + 1) % options.length);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(options[active].place);
      } else if (e.key === "Escape") {
        // safety.js leaves Escape to an open list (aria-expanded="true"): it closes the list.
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  // --- a service's area: show only the inputs the chosen kind needs -----------------

  function initArea(scope) {
    var select = scope.querySelector("[data-area-kind] select");
    if (!select) {
      return;
    }
    var parts = scope.querySelectorAll("[data-area-for]");
    function update() {
      parts.forEach(function (part) {
        var kinds = part.getAttribute("data-area-for").split(" ");
        // A part with an error stays visible, whatever is chosen.
        part.hidden = kinds.indexOf(select.value) < 0 && !part.querySelector(".errorlist");
      });
    }
    select.addEventListener("change", update);
    update();
  }

  function init() {
    document.querySelectorAll("fieldset.area").forEach(initArea);
    document.querySelectorAll("form[data-partner-form]").forEach(function (form) {
      form.querySelectorAll("[data-point-picker]").forEach(function (picker) {
        initPicker(form, picker);
      });
      form.querySelectorAll("input[data-place-input]").forEach(function (input) {
        initTown(form, input);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
