/* The locator: the search panel, the list of nearest help, and the map's
 * points, loaded from the public API for the part of the map in view.
 *
 * Everything shown here comes from the API as JSON and reaches the page only
 * as text (textContent, text nodes, attribute values set one by one), never
 * as HTML: an organisation called "<script>…" is shown as those characters.
 * The search (a town's name and the filters) is kept in the address's
 * fragment, which never reaches the server (locator-state.js); the browser's
 * position goes only into the /api/v1/nearest request and, rounded, the
 * nearest-town look-up: the fragment names that town instead. */
(function () {
  "use strict";

  var root = document.querySelector("[data-locator]");
  var configNode = document.getElementById("locator-config");
  if (!root || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var M = config.messages;
  var map = window.L ? window[root.getAttribute("data-map-name")] : null;

  var form = document.getElementById("search-form");
  var input = document.getElementById("place-input");
  var listbox = document.getElementById("place-options");
  var locateButton = document.getElementById("locate-me");
  var resultsStatus = document.getElementById("results-status");
  var resultsTitle = document.getElementById("results-title");
  var resultsList = document.getElementById("results-list");
  var alternativesBox = document.getElementById("results-alternatives");
  var remoteStatus = document.getElementById("remote-status");
  var remoteList = document.getElementById("remote-list");
  var centresSection = document.getElementById("centres");
  var centresList = document.getElementById("centres-list");
  var mapStatus = document.getElementById("map-status");

  var wide = window.matchMedia("(min-width: 48rem)");

  // Helpers from locator-kit.js; the map's points and clusters from locator-map.js.
  var kit = window.HelpLocator.kit(config);
  var el = kit.el;
  var fmt = kit.fmt;
  var pageLink = kit.pageLink;
  var distanceText = kit.distanceText;
  var placeName = kit.placeName;
  var uniqueJoin = kit.uniqueJoin;
  var getJSON = kit.getJSON;
  var isAbort = kit.isAbort;

  /* The filters chosen in the form, and those fixed by the page (the embed
   * widget's coalition), as query parameters of the API. */
  function filterParams() {
    var params = new URLSearchParams();
    if (form) {
      if (form.elements.category.value) params.append("category", form.elements.category.value);
      if (form.elements.target.value) params.append("target", form.elements.target.value);
      Array.prototype.forEach.call(form.querySelectorAll('input[name="format"]:checked'), function (box) {
        params.append("format", box.value);
      });
      if (form.elements.free.checked) params.append("free", "true");
      if (form.elements.open_now.checked) params.append("open_now", "true");
    }
    if (query) query.params(params);
    Object.keys(config.fixed || {}).forEach(function (key) {
      config.fixed[key].forEach(function (value) {
        params.append(key, value);
      });
    });
    return params;
  }

  var query = null;
  var viewport = window.HelpLocator.viewport(root, map, config, kit, filterParams, mapStatus);
  var scheduleViewport = viewport.schedule;
  var nearView = viewport.nearView;
  var protectionNote = viewport.protectionNote;
  var originLayer = viewport.originLayer;
  var resultsLayer = viewport.resultsLayer;
  var cards = window.HelpLocator.cards(config, kit, protectionNote);


  // Only the browse map (a coalition's page) and no search panel: done.
  if (!form) return;

  var state = window.HelpLocator.state(form);
  var tools = window.HelpLocator.tools(root, form, map, config, kit, state.link);
  var showView = tools.showView;
  var lastBounds = null;
  tools.onMapShown(function () {
    // At once, not animated: the map was measured afresh a moment ago.
    if (lastBounds) fitTo(lastBounds, { animate: false });
    scheduleViewport();
  });

  function fitTo(bounds, how) {
    how = how || {};
    if (bounds.length > 1) map.fitBounds(L.latLngBounds(bounds), { padding: [30, 30], maxZoom: 13, animate: how.animate });
    else if (bounds.length === 1) map.setView(bounds[0], 10, { animate: how.animate });
  }

  // --- the search --------------------------------------------------------------------

  var search = { origin: null, seq: 0, abort: null, markers: [] };
  // The one search box's interpretation (locator-query.js).
  query = window.HelpLocator.query
    ? window.HelpLocator.query(config, kit, {
        status: resultsStatus,
        form: form,
        input: input,
        messages: M,
        setStatus: setStatus,
        clearResults: clearResults,
        reveal: revealResults,
        runSearch: runSearch,
        origin: function () {
          return search.origin;
        },
      })
    : null;

  function setStatus(text) {
    resultsStatus.textContent = text;
  }

  function clearResults() {
    resultsList.textContent = "";
    alternativesBox.textContent = "";
    alternativesBox.hidden = true;
    search.markers = [];
    if (resultsLayer) resultsLayer.clearLayers();
    if (originLayer) originLayer.clearLayers();
  }

  function runSearch(origin, options) {
    options = options || {};
    search.origin = origin;
    search.seq += 1;
    var seq = search.seq;
    if (search.abort) search.abort.abort();
    var controller = new AbortController();
    search.abort = controller;

    var params = filterParams();
    params.set("k", "10");
    if (origin.place) {
      params.set("place", origin.place);
    } else {
      // About ten metres: enough for the order of results, and no more
      // precise than the search needs.
      params.set("lat", origin.lat.toFixed(4));
      params.set("lon", origin.lon.toFixed(4));
    }
    setStatus(M.searching);
    resultsList.setAttribute("aria-busy", "true");

    var nearest = getJSON(config.api.nearest + "?" + params.toString(), controller.signal);
    // Help by phone and online is shown whatever the format filter: when the
    // chosen formats leave it out, it is asked for separately.
    var formats = params.getAll("format");
    var remote = nearest.then(function (data) {
      if (!formats.length || formats.indexOf("online") >= 0 || formats.indexOf("phone") >= 0) return data.remote;
      var remoteParams = new URLSearchParams(params);
      remoteParams.delete("format");
      remoteParams.delete("open_now");
      remoteParams.set("k", "1");
      return getJSON(config.api.nearest + "?" + remoteParams.toString(), controller.signal).then(function (more) {
        return more.remote;
      });
    });

    Promise.all([nearest, remote]).then(
      function (answers) {
        if (seq !== search.seq) return;
        resultsList.removeAttribute("aria-busy");
        renderResults(answers[0], origin, options);
        renderRemote(answers[1]);
        renderCentres(answers[0].centres || []);
        // The address now holds this search (a town's name, never a point).
        state.write(origin.share || origin.place || "");
        tools.showTools();
        if (options.reveal) {
          tools.fold();
          showView("list");
          revealResults();
        }
      },
      function (err) {
        if (isAbort(err) || seq !== search.seq) return;
        resultsList.removeAttribute("aria-busy");
        clearResults();
        if (err && err.status === 400 && err.body && err.body.place && origin.place) {
          setStatus(fmt(M.unknownPlace, { q: origin.place }));
        } else {
          setStatus(M.loadError);
        }
        // The message is what she needs to read next: bring it to her too.
        if (options.reveal) revealResults();
      }
    );
  }

  /* After a search she asked for, the answer comes first: on a phone the list
   * is below the search and the map, so the page moves to it (below the
   * sticky top, compacted first so its height is known); and the focus goes
   * to the list's heading, so a screen reader reads on from the answer.
   * Not after a changed filter: the focus stays on the filter being set. */
  function revealResults() {
    if (!resultsTitle) return;
    if (wide.matches) resultsTitle.scrollIntoView({ block: "start" });
    else bringUp(resultsTitle);
    resultsTitle.focus({ preventScroll: true });
  }

  /* On a phone: a part of the page to just below the sticky top, compacted
   * first so its height is known. */
  function bringUp(node) {
    // The compact top (safety.js), first, so that its height is known.
    document.body.classList.add("top-compact");
    var topBar = document.querySelector(".top");
    var covered = topBar ? topBar.getBoundingClientRect().height : 0;
    var y = node.getBoundingClientRect().top + window.pageYOffset - covered - 8;
    window.scrollTo(0, Math.max(0, y));
    // Already in place, the page does not move and no scroll event comes:
    // let the top follow the real position.
    window.dispatchEvent(new Event("scroll"));
  }
  tools.setBringUp(bringUp);

  function renderResults(data, origin, options) {
    clearResults();
    var results = data.results || [];
    var label = origin.place ? placeName(data.origin.place) || origin.place : origin.label;
    if (origin.near) label = fmt(M.myLocationNear, { place: origin.near });
    setStatus(results.length ? fmt(M.resultsNear, { place: label }) : M.noResults);

    var alternatives = (data.origin && data.origin.alternatives) || [];
    if (alternatives.length) {
      alternativesBox.appendChild(el("span", { text: M.alsoCalled + " " }));
      alternatives.forEach(function (place) {
        var button = el("button", { type: "button", class: "link", text: placeName(place) + " (" + place.country_code + ")" });
        button.addEventListener("click", function () {
          input.value = placeName(place);
          runSearch({ lat: place.lat, lon: place.lon, label: placeName(place), share: placeName(place) }, { reveal: true });
        });
        alternativesBox.appendChild(button);
      });
      alternativesBox.hidden = false;
    }

    var bounds = [];
    if (map) {
      var here = L.latLng(data.origin.lat, data.origin.lon);
      bounds.push(here);
      originLayer.addLayer(L.circleMarker(here, { radius: 6, color: "#111827", weight: 3, fillColor: "#fff", fillOpacity: 1, className: "hl-origin", interactive: false }));
    }
    results.forEach(function (result, index) {
      var item = resultItem(result, index);
      resultsList.appendChild(item);
      var position = result.location.position;
      if (map && position) {
        var marker = resultMarker(result, index);
        resultsLayer.addLayer(marker);
        search.markers[index] = marker;
        if (index < 5) bounds.push(marker.getLatLng());
      }
    });
    lastBounds = bounds;
    if (map && !options.keepView) fitTo(bounds);
  }

  function resultItem(result, index) {
    var location = result.location;
    var item = cards.resultItem(result, index);
    if (map && location.position) {
      var show = el("button", { type: "button", class: "small show-on-map", text: M.showOnMap });
      show.addEventListener("click", function () {
        var marker = search.markers[index];
        if (!marker) return;
        highlight(index, false);
        showView("map");
        map.setView(marker.getLatLng(), Math.max(map.getZoom(), 13));
        marker.openPopup();
        if (!wide.matches) document.getElementById(root.getAttribute("data-map-name")).scrollIntoView({ block: "center" });
      });
      item.appendChild(show);
    }
    return item;
  }

  function resultMarker(result, index) {
    var number = index + 1;
    var position = result.location.position;
    var title = fmt(M.resultMarker, { n: number, name: result.organisation.name });
    var marker = L.marker(nearView(position.lat, position.lon), {
      icon: L.divIcon({ html: el("span", { text: String(number) }), className: "hl-result", iconSize: [30, 30] }),
      title: title,
      keyboard: true,
      zIndexOffset: 1000 - index,
    });
    marker.on("add", function () {
      var node = marker.getElement();
      if (node) {
        node.setAttribute("role", "button");
        node.setAttribute("aria-label", title);
        node.setAttribute("data-result", String(number));
      }
    });
    marker.bindPopup(function () {
      return resultPopup(result, index);
    });
    // On the popup, not the click: Enter on a focused marker opens the popup
    // without a click, and the list must follow the keyboard too.
    marker.on("popupopen", function () {
      highlight(index, false);
    });
    return marker;
  }

  function resultPopup(result, index) {
    var location = result.location;
    var back = el("button", { type: "button", class: "small link", text: M.showInList });
    back.addEventListener("click", function () {
      showView("list");
      highlight(index, true);
    });
    return el("div", { class: "hl-popup" }, [
      pageLink(config.organisationUrl, result.organisation.slug, result.organisation.name, "hl-popup-title"),
      el("p", { text: fmt(M.distance, { d: distanceText(result.distance_m, location.visibility) }) }),
      el("p", { text: uniqueJoin([location.name, location.address, location.city]) }),
      protectionNote(location.visibility),
      back,
    ]);
  }

  /* Mark a result in the list (and its marker); bring it into view in the
   * list when the list is beside the map, or when asked to (focus). */
  function highlight(index, focus) {
    Array.prototype.forEach.call(resultsList.children, function (item, i) {
      item.classList.toggle("active", i === index);
    });
    search.markers.forEach(function (marker, i) {
      var node = marker && marker.getElement();
      if (node) node.classList.toggle("active", i === index);
    });
    var item = resultsList.children[index];
    if (!item) return;
    if (focus) {
      item.scrollIntoView({ block: "center" });
      item.focus();
    } else if (wide.matches) {
      item.scrollIntoView({ block: "nearest" });
    }
  }

  function renderRemote(services) {
    remoteList.textContent = "";
    services = services || [];
    remoteStatus.textContent = services.length ? "" : M.remoteNone;
    remoteStatus.hidden = !!services.length;
    cards.remoteItems(services).forEach(function (item) {
      remoteList.appendChild(item);
    });
  }

  function renderCentres(centres) {
    centresList.textContent = "";
    centresSection.hidden = !centres.length;
    centres.forEach(function (centre) {
      var helps = (centre.helps_with || []).map(function (slug) {
        return config.categories[slug] || slug;
      });
      centresList.appendChild(
        el("li", {}, [
          pageLink(config.centreUrl, centre.slug, centre.name),
          el("p", { class: "hint", text: M.host + ": " + centre.host.name }),
          helps.length ? el("p", { text: helps.join("; ") }) : null,
        ])
      );
    });
  }

  // --- the place box: suggestions from the gazetteer ------------------------------------

  var suggest = { timer: null, abort: null, places: [], active: -1, chosen: null, shownAt: 0 };
  // A tap this soon after the list appeared was aimed at what was there before it.
  var AIM_MS = 350;

  function closeOptions() {
    listbox.hidden = true;
    listbox.textContent = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    suggest.places = [];
    suggest.active = -1;
  }

  function setActive(index) {
    var options = listbox.querySelectorAll('[role="option"]');
    if (!options.length) return;
    suggest.active = (index + options.length) % options.length;
    Array.prototype.forEach.call(options, function (option, i) {
      option.setAttribute("aria-selected", i === suggest.active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", options[suggest.active].id);
    options[suggest.active].scrollIntoView({ block: "nearest" });
  }

  function choose(index) {
    var place = suggest.places[index];
    if (!place) return;
    var name = placeName(place);
    input.value = name;
    suggest.chosen = { lat: place.lat, lon: place.lon, label: name, text: name, share: name };
    closeOptions();
    runSearch(suggest.chosen, { reveal: true });
  }

  function showOptions(places) {
    listbox.textContent = "";
    suggest.places = places;
    suggest.active = -1;
    if (!places.length) {
      closeOptions();
      return;
    }
    places.forEach(function (place, i) {
      var other = config.lang === "en" ? place.name_ru : place.name;
      var detail = uniqueJoin([other !== placeName(place) ? other : "", place.country_code]);
      var option = el("li", { role: "option", id: "place-option-" + i, "aria-selected": "false", class: "combo-option" }, [
        el("span", { class: "option-name", text: placeName(place) }),
        detail ? el("span", { class: "option-detail", text: " " + detail }) : null,
      ]);
      // mousedown, not click: the input keeps the focus. A list that has just
      // appeared under a finger already on its way somewhere else is ignored.
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        if (Date.now() - suggest.shownAt >= AIM_MS) choose(i);
      });
      listbox.appendChild(option);
    });
    // Every new set of options restarts the guard: a tap aimed at the old
    // list must not choose what the new one put under the finger.
    suggest.shownAt = Date.now();
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function fetchSuggestions(q) {
    if (suggest.abort) suggest.abort.abort();
    var controller = new AbortController();
    suggest.abort = controller;
    var params = new URLSearchParams({ q: q, limit: "8" });
    getJSON(config.api.places + "?" + params.toString(), controller.signal).then(
      function (places) {
        if (input.value.trim() === q && document.activeElement === input) showOptions(places);
      },
      function () {
        /* suggestions are a help, not a must: typing and Enter still search */
      }
    );
  }

  input.addEventListener("input", function () {
    suggest.chosen = null;
    window.clearTimeout(suggest.timer);
    var q = input.value.trim();
    if (q.length < 2) {
      closeOptions();
      return;
    }
    suggest.timer = window.setTimeout(function () {
      fetchSuggestions(q);
    }, 150);
  });

  input.addEventListener("keydown", function (event) {
    var open = !listbox.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) setActive(suggest.active + 1);
      else if (input.value.trim().length >= 2) fetchSuggestions(input.value.trim());
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      setActive(suggest.active - 1);
    } else if (event.key === "Enter" && open && suggest.active >= 0) {
      event.preventDefault();
      choose(suggest.active);
    } else if ((event.key === "Escape" || event.key === "Esc") && open) {
      event.preventDefault();
      closeOptions();
    }
  });

  input.addEventListener("blur", function () {
    window.setTimeout(closeOptions, 150);
  });

  /* Enter, the button and a tap all come here, and all search what is typed:
   * a suggestion only when the keyboard highlighted it (Enter on it is
   * handled above, as choosing it) or it was chosen and the text is still its
   * name. The server resolves a typed name as the suggestions do (a text that
   * is exactly a suggestion's name finds that town) and says which other
   * places share the name. */
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    // A suggestion fetch still on its way must not reopen the list over the answer.
    window.clearTimeout(suggest.timer);
    if (suggest.abort) suggest.abort.abort();
    closeOptions();
    var q = input.value.trim();
    if (!q) {
      setStatus(M.enterPlace);
      input.focus();
      return;
    }
    if (suggest.chosen && suggest.chosen.text === q) {
      if (query) query.reset();
      runSearch(suggest.chosen, { reveal: true });
    } else if (query) {
      query.submit(q, function () {
        runSearch({ place: q }, { reveal: true });
      });
    } else runSearch({ place: q }, { reveal: true });
  });

  // A changed filter changes the map at once, and the list if there is one.
  form.addEventListener("change", function (event) {
    if (event.target === input) return;
    tools.updateCount();
    scheduleViewport();
    if (search.origin) runSearch(search.origin, { keepView: true });
  });

  if (tools.resetButton) {
    tools.resetButton.addEventListener("click", function () {
      tools.reset();
      scheduleViewport();
      if (search.origin) runSearch(search.origin, { keepView: true });
      // The button hides itself: the focus goes to the first filter, not to nothing.
      form.elements.category.focus();
    });
  }

  if (locateButton) {
    locateButton.addEventListener("click", function () {
      if (!navigator.geolocation) {
        setStatus(M.geoUnsupported);
        return;
      }
      setStatus(M.geoLocating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          input.value = "";
          suggest.chosen = null;
          // Rounded to 3 decimals (about 100 m), enough for the nearest help:
          // the exact position never leaves the browser.
          var origin = {
            lat: Math.round(position.coords.latitude * 1000) / 1000,
            lon: Math.round(position.coords.longitude * 1000) / 1000,
            label: M.myLocation,
          };
          // The link she may copy names the nearest town, never her position:
          // until the town is known, the address keeps no town at all.
          var near = new URLSearchParams({ lat: origin.lat.toFixed(2), lon: origin.lon.toFixed(2) });
          getJSON(config.api.placeNearest + "?" + near.toString()).then(
            function (answer) {
              if (search.origin !== origin || !answer.place) return;
              origin.near = origin.share = placeName(answer.place);
              state.write(origin.share);
              if (resultsList.children.length) setStatus(fmt(M.resultsNear, { place: fmt(M.myLocationNear, { place: origin.near }) }));
              tools.showTools();
            },
            function () {
              /* the search still works; the link just names no town */
            }
          );
          if (query) query.reset();
          runSearch(origin, { reveal: true });
        },
        function () {
          setStatus(M.geoFailed);
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
      );
    });
  }

  // --- a search kept in the address: Back, Reload, a shared link --------------------

  /* An old /?place=… link becomes a fragment; a fragment with a town searches
   * it at once, with its filters. Someone editing the fragment by hand, or a
   * link opened in this tab, searches again. */
  function restore() {
    var saved = state.read();
    state.apply(saved);
    tools.updateCount();
    if (!saved.q) return;
    input.value = saved.q;
    suggest.chosen = null;
    runSearch({ place: saved.q }, { reveal: true });
  }
  state.adoptQuery();
  restore();
  window.addEventListener("hashchange", restore);
})();
