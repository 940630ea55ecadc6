/* The one search box: the typed text goes to /api/v1/interpret, and what came
 * back decides what happens next (locator.js runs the nearest search):
 *
 * - a town (and maybe a need): search from it with the understood filters;
 * - a typo or a fragment: ask "did you mean …?" with the likeliest towns,
 *   never search one of them silently;
 * - a need and no town: search from the town already chosen, or ask for one;
 * - nothing understood: say so, with the free national hotlines.
 *
 * What was understood is shown above the results as removable chips; their
 * filters are added to every request (filterParams in locator.js). As in
 * locator.js, everything from the API reaches the page as text only. */
(function () {
  "use strict";

  window.HelpLocator = window.HelpLocator || {};

  window.HelpLocator.query = function (config, kit, ui) {
    var M = config.queryMessages || {};
    var el = kit.el;
    var fmt = kit.fmt;
    var placeName = kit.placeName;
    var understood = { categories: [], target_groups: [], free: false };
    var pending = null;

    // Above the status line: what was understood, notes and questions. The
    // nearest search's own rendering never clears it.
    var box = el("div", { id: "query-understood", class: "understood", hidden: true });
    ui.status.parentNode.insertBefore(box, ui.status);

    function params(p) {
      understood.categories.forEach(function (slug) {
        p.append("category", slug);
      });
      understood.target_groups.forEach(function (slug) {
        p.append("target", slug);
      });
      if (understood.free && !p.has("free")) p.append("free", "true");
      // A family's search leaves out services for specialists and the media
      // unless she says she is one (the nearest search reads this; the map's
      // points ignore it).
      var specialist = ui.form && ui.form.elements.specialist;
      if (!specialist || !specialist.checked) p.set("audience", "people");
      return p;
    }

    function reset() {
      understood = { categories: [], target_groups: [], free: false };
      box.textContent = "";
      box.hidden = true;
    }

    function chip(label, remove) {
      var button = el("button", { type: "button", class: "chip", "aria-label": fmt(M.remove, { what: label }) }, [
        el("span", { text: label }),
        el("span", { "aria-hidden": "true", text: " ×" }),
      ]);
      button.addEventListener("click", function () {
        remove();
        renderChips([]);
        if (ui.origin()) ui.runSearch(ui.origin(), { keepView: true });
      });
      return button;
    }

    function renderChips(notes) {
      box.textContent = "";
      var chips = [];
      understood.categories.forEach(function (slug) {
        chips.push(
          chip(config.categories[slug] || slug, function () {
            understood.categories = understood.categories.filter(function (s) {
              return s !== slug;
            });
          })
        );
      });
      understood.target_groups.forEach(function (slug) {
        chips.push(
          chip(config.targets[slug] || slug, function () {
            understood.target_groups = understood.target_groups.filter(function (s) {
              return s !== slug;
            });
          })
        );
      });
      if (understood.free) {
        chips.push(
          chip(M.freeOnly, function () {
            understood.free = false;
          })
        );
      }
      if (chips.length) box.appendChild(el("p", { class: "chips" }, [el("span", { text: M.understood + " " })].concat(chips)));
      (notes || []).forEach(function (node) {
        box.appendChild(node);
      });
      box.hidden = !box.firstChild;
    }

    function hotlinesList(lines) {
      if (!lines || !lines.length) return null;
      return el(
        "ul",
        { class: "hotlines" },
        lines.map(function (line) {
          return el("li", {}, [
            el("a", { href: kit.telUrl(line.number), class: "hotline-number", text: line.number }),
            el("span", { text: " " + line.name }),
          ]);
        })
      );
    }

    function townButtons(places, onChoose) {
      return places.map(function (place) {
        var name = placeName(place);
        var button = el("button", { type: "button", class: "link", text: name + " (" + place.country_code + ")?" });
        button.addEventListener("click", function () {
          onChoose(place, name);
        });
        return button;
      });
    }

    // No town chosen: the previous search's help by phone and online must
    // not stay on screen as if it answered this one.
    function clearRemote() {
      var list = document.getElementById("remote-list");
      var status = document.getElementById("remote-status");
      if (list) list.textContent = "";
      if (status) status.textContent = ui.messages.remoteBefore;
    }

    function searchFrom(place, options) {
      var name = placeName(place);
      ui.runSearch({ lat: place.lat, lon: place.lon, label: name }, options || { reveal: true });
    }

    /* The text typed, interpreted and searched. ``fallback`` searches the
     * text as a town name (the old way) when the interpretation cannot be had. */
    function submit(q, fallback) {
      if (pending) pending.abort();
      var controller = new AbortController();
      pending = controller;
      ui.setStatus(ui.messages.searching);
      var p = new URLSearchParams({ q: q, lang: config.lang });
      kit.getJSON(config.api.interpret + "?" + p.toString(), controller.signal).then(
        function (answer) {
          if (controller !== pending) return;
          show(answer, q);
        },
        function (err) {
          if (kit.isAbort(err) || controller !== pending) return;
          reset();
          fallback();
        }
      );
    }

    function show(answer, q) {
      understood = {
        categories: answer.categories || [],
        target_groups: answer.target_groups || [],
        free: !!answer.free,
      };
      var notes = [];
      if (answer.place) {
        var others = answer.alternatives || [];
        var biggest = others.every(function (p) {
          return p.population <= answer.place.population;
        });
        if (biggest && !answer.region_note) {
          // The name the text gave, which the nearest search resolves to the
          // same town (the most populous of that name) and whose namesakes
          // it lists itself.
          renderChips([]);
          // The link she may share holds the words as she typed them ("Углич",
          // "юрист Углич"), which give the same search again.
          ui.runSearch({ place: answer.place_words.join(" "), share: q }, { reveal: true });
          return;
        }
        if (answer.region_note) notes.push(el("p", { class: "note", text: answer.region_note }));
        if (others.length) {
          notes.push(
            el(
              "p",
              { class: "note" },
              [el("span", { text: ui.messages.alsoCalled + " " })].concat(
                townButtons(answer.alternatives, function (place) {
                  searchFrom(place);
                })
              )
            )
          );
        }
        renderChips(notes);
        searchFrom(answer.place);
        return;
      }
      ui.clearResults();
      clearRemote();
      if (answer.did_you_mean && answer.did_you_mean.length) {
        // Asked, never searched: a typo must not become another town.
        notes.push(
          el(
            "p",
            { class: "did-you-mean" },
            [el("span", { text: M.didYouMean + " " })].concat(
              townButtons(answer.did_you_mean, function (place, name) {
                ui.input.value = name;
                renderChips([]);
                searchFrom(place);
              })
            )
          )
        );
        renderChips(notes);
        ui.setStatus(M.chooseTown);
        ui.reveal();
        return;
      }
      if (answer.needs_place) {
        if (ui.origin()) {
          renderChips([]);
          ui.runSearch(ui.origin(), { reveal: true });
          return;
        }
        var needLines = hotlinesList(answer.hotlines);
        if (needLines) notes.push(el("p", { class: "note", text: M.hotlines }), needLines);
        renderChips(notes);
        ui.setStatus(M.needTown);
        ui.reveal();
        return;
      }
      // Nothing understood: a helpful empty state, no town chosen.
      var words = (answer.unknown_words || []).join(" ") || answer.q;
      notes.push(el("p", { class: "note", text: fmt(M.notUnderstood, { q: words }) }));
      var lines = hotlinesList(answer.hotlines);
      if (lines) {
        notes.push(el("p", { class: "note", text: M.hotlines }));
        notes.push(lines);
      }
      renderChips(notes);
      ui.setStatus(M.tryExample);
      ui.reveal();
    }

    return { submit: submit, params: params, reset: reset };
  };
})();
