/* The cards of the locator's lists, each with a next step: phone numbers to
 * call (tel:), e-mails and websites as links, directions (geo:) for an exact
 * address only, the opening hours as "open now / opens at …" in the place's
 * own time zone. A listing with no public contact says so first and offers
 * its coalitions' pages and the helplines instead.
 *
 * Built from text nodes only (kit.el). Directions use the public position,
 * and only when the place is exact: for an approximate or city-only place the
 * public position is a blurred point, and a "directions" link to it would
 * send a person to a wrong door (and suggest it is the true one).
 *
 * HelpLocator.cards(config, kit, protectionNote) returns the builders. */
(function () {
  "use strict";

  window.HelpLocator = window.HelpLocator || {};

  var WEEKDAYS_EN = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

  window.HelpLocator.cards = function (config, kit, protectionNote) {
    var M = config.messages;
    var el = kit.el;
    var fmt = kit.fmt;
    var pageLink = kit.pageLink;
    var uniqueJoin = kit.uniqueJoin;
    var webUrl = kit.webUrl;
    var telUrl = kit.telUrl;
    var dayName = new Intl.DateTimeFormat(config.lang, { weekday: "long" });

    // --- opening hours -------------------------------------------------------------

    /* The weekday (0 = Monday) and minutes since midnight now, in a time zone. */
    function localNow(timezone) {
      var parts = {};
      try {
        new Intl.DateTimeFormat("en-GB", { timeZone: timezone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
          .formatToParts(new Date())
          .forEach(function (part) {
            parts[part.type] = part.value;
          });
      } catch (e) {
        return null; // an unknown zone: say nothing rather than something wrong
      }
      return { day: WEEKDAYS_EN[parts.weekday], minutes: Number(parts.hour) * 60 + Number(parts.minute) };
    }

    function minutesOf(time) {
      var bits = String(time).split(":");
      return Number(bits[0]) * 60 + Number(bits[1]);
    }

    function hhmm(time) {
      return String(time).slice(0, 5);
    }

    /* "Open now, until 18:00" or "Closed now; opens on Monday at 09:00";
     * the server's open_now decides which (it is what the filter uses). */
    function hoursLine(location, openNow) {
      var hours = location.hours || [];
      if (!hours.length || openNow === null || openNow === undefined) return null;
      var now = localNow(location.timezone);
      if (openNow) {
        var until = null;
        if (now) {
          hours.forEach(function (h) {
            var opens = minutesOf(h.opens);
            var closes = minutesOf(h.closes);
            var overnight = closes <= opens;
            var today = h.weekday === now.day && now.minutes >= opens && (overnight || now.minutes < closes);
            var lastNight = overnight && (h.weekday + 1) % 7 === now.day && now.minutes < closes;
            if (today || lastNight) until = h.closes;
          });
        }
        return el("p", { class: "hours-line" }, [
          el("span", { class: "badge open", text: M.openNow }),
          until ? " " + fmt(M.openUntil, { t: hhmm(until) }) : null,
        ]);
      }
      var next = null;
      if (now) {
        for (var ahead = 0; ahead < 8 && !next; ahead += 1) {
          var day = (now.day + ahead) % 7;
          var sameDay = hours
            .filter(function (h) {
              return h.weekday === day && (ahead > 0 || minutesOf(h.opens) > now.minutes);
            })
            .sort(function (a, b) {
              return minutesOf(a.opens) - minutesOf(b.opens);
            });
          if (sameDay.length) next = { ahead: ahead, day: day, opens: sameDay[0].opens };
        }
      }
      var when = null;
      if (next) {
        // 1 January 2024 was a Monday: the interface's own name of the day.
        var name = dayName.format(new Date(2024, 0, 1 + next.day));
        when = next.ahead === 0 ? fmt(M.opensAt, { t: hhmm(next.opens) }) : fmt(M.opensOn, { day: name, t: hhmm(next.opens) });
      }
      return el("p", { class: "hours-line" }, [el("span", { class: "badge closed", text: M.closedNow }), when ? " " + when : null]);
    }

    // --- contacts --------------------------------------------------------------------

    /* Every public way to reach the organisation from its services and its
     * own record, each once. */
    function contactsOf(organisation, services) {
      var phones = [];
      var emails = [];
      var sites = [];
      function add(list, value) {
        if (value && list.indexOf(value) < 0) list.push(value);
      }
      (services || []).forEach(function (service) {
        add(phones, service.phone);
        add(emails, service.email);
        add(sites, webUrl(service.url));
      });
      add(emails, organisation.email);
      add(sites, webUrl(organisation.website));
      return { phones: phones, emails: emails, sites: sites };
    }

    /* Links on one line; the next steps are spaced by the layout instead of
     * dots, so a step left out on paper leaves no stray dot. */
    function joined(className, links) {
      if (!links.length) return null;
      var line = el("p", { class: className });
      links.forEach(function (link, i) {
        if (i && className !== "next-step") line.appendChild(document.createTextNode(" · "));
        line.appendChild(link);
      });
      return line;
    }

    function contactLinks(contacts) {
      var links = [];
      contacts.phones.forEach(function (phone) {
        links.push(el("a", { href: telUrl(phone), class: "tel", text: phone }));
      });
      contacts.emails.forEach(function (email) {
        links.push(el("a", { href: "mailto:" + email, class: "mailto", text: email }));
      });
      contacts.sites.forEach(function (url) {
        links.push(el("a", { href: url, rel: "noopener noreferrer", target: "_blank", class: "web", text: M.website, title: url }));
      });
      return links;
    }

    function directionsLink(location) {
      if (location.visibility !== "exact" || !location.position) return null;
      var p = location.position;
      return el("a", { href: "geo:" + p.lat + "," + p.lon, class: "directions", text: M.directions });
    }

    /* No way to reach them: said first, with somewhere else to turn. */
    function noContactNote(organisation) {
      var networks = (organisation.networks || []).map(function (n) {
        return pageLink(config.networkUrl, n.network, n.network_name);
      });
      var ask = networks.length ? el("span", {}, [" " + M.askCoalition + " "]) : null;
      if (ask) {
        networks.forEach(function (link, i) {
          if (i) ask.appendChild(document.createTextNode(", "));
          ask.appendChild(link);
        });
      }
      return el("div", { class: "no-contact" }, [
        el("p", {}, [el("strong", { text: M.noContact }), ask]),
        // Filled with the helplines that fit the search by the crisis lines'
        // script, when there is one; the crisis strip stays at the top anyway.
        el("div", { class: "hotlines-hook", "data-hotlines": "" }),
      ]);
    }

    // --- the cards -------------------------------------------------------------------

    function serviceLine(service) {
      var parts = [];
      (service.formats || []).forEach(function (f) {
        parts.push(config.formats[f] || f);
      });
      parts.push(service.is_free ? M.free : M.paid);
      var categories = (service.categories || []).map(function (slug) {
        return config.categories[slug] || slug;
      });
      return el("li", {}, [
        el("span", { class: "service-name", text: service.name }),
        " — " + parts.join(", "),
        categories.length ? el("span", { class: "service-categories", text: " (" + categories.join("; ") + ")" }) : null,
      ]);
    }

    function networksLine(organisation) {
      var networks = (organisation.networks || []).map(function (n) {
        return n.network_name + " (" + (config.roles[n.role] || n.role) + ")";
      });
      return networks.length ? el("p", { class: "networks", text: networks.join("; ") }) : null;
    }

    function resultItem(result, index) {
      var location = result.location;
      var organisation = result.organisation;
      var number = index + 1;
      var contacts = contactsOf(organisation, result.services);
      var links = contactLinks(contacts);
      var directions = directionsLink(location);
      var next = links.slice();
      if (directions) next.push(directions);
      return el("li", { class: "result", id: "result-" + number, tabindex: "-1", "data-distance": result.distance_m }, [
        el("h3", { class: "result-title" }, [
          el("span", { class: "result-number", "aria-hidden": "true", text: String(number) }),
          pageLink(config.organisationUrl, organisation.slug, organisation.name),
        ]),
        links.length ? null : noContactNote(organisation),
        el("p", { class: "result-meta" }, [
          el("strong", { class: "distance", text: kit.distanceText(result.distance_m, location.visibility) }),
          " · " + uniqueJoin([location.name, location.address, location.city]),
        ]),
        hoursLine(location, result.open_now),
        protectionNote(location.visibility),
        joined("next-step", next),
        result.services && result.services.length ? el("ul", { class: "result-services" }, result.services.map(serviceLine)) : null,
        networksLine(organisation),
      ]);
    }

    function remoteService(service) {
      var formats = (service.formats || [])
        .filter(function (f) {
          return f !== "in_person";
        })
        .map(function (f) {
          return config.formats[f] || f;
        });
      return el("li", {}, [
        el("span", { class: "service-name", text: service.name }),
        " — " + formats.concat([service.is_free ? M.free : M.paid]).join(", ") + ". ",
        el("span", { class: "hint", text: fmt(M.coversArea, { area: config.areas[service.area_kind] || service.area_kind }) }),
        joined("contacts", contactLinks(contactsOf({}, [service]))),
      ]);
    }

    /* Help by phone and online, one card per organisation (an organisation often
     * offers several such services: listing each one apart buries the others). */
    function remoteItems(services) {
      var groups = [];
      var bySlug = {};
      (services || []).forEach(function (service) {
        var slug = service.organisation.slug;
        if (!bySlug[slug]) {
          bySlug[slug] = { organisation: service.organisation, services: [] };
          groups.push(bySlug[slug]);
        }
        bySlug[slug].services.push(service);
      });
      return groups.map(function (group) {
        var reachable = contactsOf(group.organisation, group.services);
        var any = reachable.phones.length || reachable.emails.length || reachable.sites.length;
        return el("li", { class: "remote-item" }, [
          el("h3", {}, [pageLink(config.organisationUrl, group.organisation.slug, group.organisation.name)]),
          any ? null : noContactNote(group.organisation),
          el("ul", { class: "remote-services" }, group.services.map(remoteService)),
        ]);
      });
    }

    return { resultItem: resultItem, remoteItems: remoteItems };
  };
})();
