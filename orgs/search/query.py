"""The one search box: what a typed text asks for (a need, a place, or both).

«бесплатный юрист для ребёнка Углич» is split into need words, which map to
categories, target groups and "free" through a synonym list kept as data
(fixtures/search_synonyms.json), compared by their stems in PostgreSQL's
snowball stemmers (the ``russian`` configuration's, so «юристы» is «юрист»);
and place words, which resolve through the gazetteer. Latin-typed Russian
(«psiholog pskov») is transliterated for the need words; the gazetteer knows
Latin names itself.

Never silently: a place is chosen only when a name matches a town exactly;
a typo or a fragment gives "did you mean …?" with the likeliest towns, and a
word that is neither a need nor anything like a town is returned as unknown.
Nothing here records the text (the service keeps no record of searches).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import Q

from orgs import gazetteer
from orgs import models as m

SYNONYMS_PATH = Path(settings.BASE_DIR) / "fixtures" / "search_synonyms.json"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
MAX_SUGGESTIONS = 5
# difflib's ratio (2·matches / total length, close to a normalised
# Levenshtein similarity) a town's name needs to be offered for a word:
# «углеч»/«углич» is 0.8; «zzzz» is near nothing.
SUGGEST_MIN_RATIO = 0.6
# The pg_trgm word similarity that fetches look-alike candidates; deliberately
# loose (a typo in a five-letter name keeps only half its trigrams), the ratio
# above then decides.
CANDIDATE_TRGM_THRESHOLD = 0.3
CANDIDATES = 40
MAX_PLACE_WORDS = 3

# The interface language's country, first among suggestions.
LANGUAGE_COUNTRY = {"ru": "RU", "uk": "UA"}

_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яёіїєґ]")

# Words that turn the word before them into a region (of Russia, Ukraine …).
REGION_WORDS = frozenset(
    {"область", "обл", "края", "край", "республика", "респ", "области", "oblast", "region", "krai", "kray", "області"}
)
_ADJECTIVE_ENDING = re.compile(r"(ская|ский|ской|ское|скую|ська|ський|ської|skaya|skiy|skij|sky|skaja)$")
# Regions whose main town's name does not start with the region's stem.
REGION_MAIN_TOWN = {
    "свердлов": "екатеринбург",
    "sverdlov": "екатеринбург",
    "ленинград": "санкт-петербург",
    "leningrad": "санкт-петербург",
    "московс": "москва",
    "moskov": "москва",
    "moscow": "москва",
}

# Latin-typed Russian back to Cyrillic, longest spellings first (both BGN/PCGN
# and the spellings people type: «psiholog», «shkola», «yurist»).
_LATIN_TO_CYRILLIC = [
    ("shch", "щ"),
    ("sch", "щ"),
    ("yo", "ё"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("ye", "е"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("w", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("j", "й"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "к"),
    ("x", "кс"),
    ("q", "к"),
    ("y", "ы"),
]


def cyrillic_from_latin(word: str) -> str:
    """A guess at the Russian word typed in Latin letters («psiholog» → «психолог»)."""
    out, i = [], 0
    while i < len(word):
        for latin, cyr in _LATIN_TO_CYRILLIC:
            if word.startswith(latin, i):
                # y before a vowel or at a word's end is й («yurist» is handled
                # above; «moy»), elsewhere ы («byvshiy»: a guess either way).
                if latin == "y" and (i + 1 == len(word) or word[i + 1] in "aeiou"):
                    cyr = "й"
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


# --- the synonym list ------------------------------------------------------------


@dataclass(frozen=True)
class Meaning:
    categories: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    free: bool = False
    ignore: bool = False


@dataclass(frozen=True)
class Phrase:
    stems: tuple[str, ...]
    meaning: Meaning


@lru_cache(maxsize=2)
def _phrases(path: str, mtime: float) -> tuple[Phrase, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    terms: list[tuple[list[str], Meaning]] = []
    for entry in data["entries"]:
        meaning = Meaning(
            categories=tuple(entry.get("categories", ())),
            target_groups=tuple(entry.get("target_groups", ())),
            free=bool(entry.get("free")),
            ignore=bool(entry.get("ignore")),
        )
        for term in entry["terms"]:
            terms.append((words_of(term), meaning))
    words = sorted({w for ws, _ in terms for w in ws})
    stems = stems_of(words)
    phrases = []
    for ws, meaning in terms:
        phrase = tuple(stems[w] for w in ws if stems[w])
        if phrase:
            phrases.append(Phrase(phrase, meaning))
    # Longest first: «бесплатный адвокат» before «бесплатный».
    phrases.sort(key=lambda p: -len(p.stems))
    return tuple(phrases)


def phrases() -> tuple[Phrase, ...]:
    return _phrases(str(SYNONYMS_PATH), SYNONYMS_PATH.stat().st_mtime)


def words_of(text: str) -> list[str]:
    return [w.strip("'’-") for w in _WORD.findall(gazetteer.normalise(text).replace("_", " ")) if w.strip("'’-")]


def stems_of(words: list[str]) -> dict[str, str]:
    """Each word's stem in the snowball stemmer of its alphabet, in one query;
    "" for a stop word («для», «после», «the»)."""
    if not words:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT w, coalesce((CASE WHEN w ~ '[а-яёіїєґ]' THEN ts_lexize('russian_stem', w)
                                   ELSE ts_lexize('english_stem', w) END)[1], '')
               FROM unnest(%s::text[]) AS w""",
            [words],
        )
        return dict(cursor.fetchall())


# --- the interpretation ----------------------------------------------------------


@dataclass
class Interpretation:
    place: m.Place | None = None
    # The words of the text that named the place (or the region).
    place_words: list[str] = field(default_factory=list)
    did_you_mean: list[m.Place] = field(default_factory=list)
    # Other towns of the very same name (Железногорск), when one was chosen.
    alternatives: list[m.Place] = field(default_factory=list)
    region_name: str = ""
    categories: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    free: bool = False
    need_words: list[str] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)

    @property
    def has_need(self) -> bool:
        return bool(self.categories or self.target_groups or self.free)


def interpret(*, q: str, lang: str = "ru") -> Interpretation:
    words = words_of(q[:MAX_QUERY_LENGTH])[:MAX_WORDS]
    result = Interpretation()
    if not words:
        return result
    country = LANGUAGE_COUNTRY.get(lang[:2])
    # Need words are looked up in Cyrillic too when typed in Latin.
    spelled = [cyrillic_from_latin(w) if not _CYRILLIC.search(w) else w for w in words]
    stems = stems_of(sorted(set(words) | set(spelled)))
    used = [False] * len(words)
    _match_needs(words, spelled, stems, used, result)
    _resolve_place(words, stems, used, result, country=country)
    _keep_known_slugs(result)
    return result


def _match_needs(
    words: list[str], spelled: list[str], stems: dict[str, str], used: list[bool], result: Interpretation
) -> None:
    table = phrases()
    keys = [(stems.get(w, ""), stems.get(s, "")) for w, s in zip(words, spelled, strict=True)]
    i = 0
    while i < len(words):
        matched = None
        for phrase in table:
            n = len(phrase.stems)
            if i + n <= len(words) and all(phrase.stems[j] in keys[i + j] for j in range(n)):
                matched = phrase
                break
        if matched is None:
            i += 1
            continue
        n = len(matched.stems)
        meaning = matched.meaning
        for j in range(i, i + n):
            used[j] = True
        if not meaning.ignore:
            result.need_words.extend(words[i : i + n])
        result.categories.extend(c for c in meaning.categories if c not in result.categories)
        result.target_groups.extend(t for t in meaning.target_groups if t not in result.target_groups)
        result.free = result.free or meaning.free
        i += n
    # Stop words («для», «после», «в», «for») are neither needs nor places.
    for j, (w, s) in enumerate(zip(words, spelled, strict=True)):
        if not used[j] and (stems.get(w) == "" or stems.get(s) == ""):
            used[j] = True


def _resolve_place(
    words: list[str], stems: dict[str, str], used: list[bool], result: Interpretation, *, country: str | None
) -> None:
    rest = [j for j, u in enumerate(used) if not u]
    if not rest:
        return
    # A region: «Ярославская область» searches from the region's main town.
    for j in rest:
        if words[j] in REGION_WORDS and j - 1 in rest:
            main = _region_main_town(words[j - 1])
            if main is not None:
                result.place = main
                result.place_words = [words[j - 1], words[j]]
                result.region_name = f"{words[j - 1].capitalize()} {words[j]}"
                used[j - 1] = used[j] = True
                break
    rest = [j for j, u in enumerate(used) if not u]
    if result.place is None:
        # The longest run of consecutive words that is exactly a town's name.
        for size in range(min(MAX_PLACE_WORDS, len(rest)), 0, -1):
            for start in range(len(rest) - size + 1):
                span = rest[start : start + size]
                if span[-1] - span[0] != size - 1:
                    continue
                name = " ".join(words[k] for k in span)
                exact = _exact_places(name, country=country)
                if exact:
                    result.place, result.alternatives = exact[0], exact[1 : MAX_SUGGESTIONS + 1]
                    result.place_words = [words[k] for k in span]
                    for k in span:
                        used[k] = True
                    break
            if result.place is not None:
                break
    for j in [j for j, u in enumerate(used) if not u]:
        # A word that looks like a town is asked about, never searched
        # silently; with a town already found, it is just not understood.
        suggestions = [] if result.place is not None else _look_alikes(words[j], country=country)
        if suggestions:
            seen = {p.geonameid for p in result.did_you_mean}
            result.did_you_mean.extend(p for p in suggestions if p.geonameid not in seen)
        else:
            result.unknown_words.append(words[j])
    result.did_you_mean = _order(result.did_you_mean, country=country)[:MAX_SUGGESTIONS]


def _exact_places(name: str, *, country: str | None) -> list[m.Place]:
    places = list(
        m.Place.objects.defer("names", "search_text")
        .filter(names__contains=[name])
        .order_by("-population", "geonameid")[:20]
    )
    return sorted(places, key=lambda p: (p.country_code != country,))  # stable: population order kept


def _look_alikes(word: str, *, country: str | None) -> list[m.Place]:
    """Towns whose name starts with ``word`` or resembles it, by difflib's
    ratio against each of the town's names (the trigram index fetches the
    candidates)."""
    if len(word) < gazetteer.MIN_PREFIX_LENGTH or word.isdigit():
        return []
    prefix = Q(search_text__startswith=word) | Q(search_text__contains=gazetteer.NAMES_SEPARATOR + word)
    with transaction.atomic(), connection.cursor() as cursor:
        # Local to this transaction, as in gazetteer.places_search.
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [str(CANDIDATE_TRGM_THRESHOLD)]
        )
        similar = Q(search_text__trigram_word_similar=word) if len(word) >= gazetteer.MIN_FUZZY_LENGTH else Q()
        condition = prefix | similar if similar else prefix
        candidates = list(
            m.Place.objects.filter(condition)
            .annotate(trigrams=TrigramWordSimilarity(word, "search_text"))
            .order_by("-trigrams", "-population", "geonameid")
            .only(
                "geonameid",
                "name",
                "name_ru",
                "country_code",
                "admin1_code",
                "population",
                "timezone",
                "point",
                "names",
            )[:CANDIDATES]
        )
    scored: list[m.Place] = []
    for place in candidates:
        best = 0.0
        for name in place.names:
            if name.startswith(word) and len(word) >= 3:
                best = max(best, 0.9)
            best = max(best, difflib.SequenceMatcher(None, word, name).ratio())
        if best >= SUGGEST_MIN_RATIO:
            place.similarity = best  # type: ignore[attr-defined]
            scored.append(place)
    return scored


def _order(places: list[m.Place], *, country: str | None) -> list[m.Place]:
    """Best spelling first (to a tenth), then the interface's country, then population."""
    return sorted(
        places,
        key=lambda p: (-round(getattr(p, "similarity", 1.0), 1), p.country_code != country, -p.population),
    )


def _region_main_town(adjective: str) -> m.Place | None:
    stem = _ADJECTIVE_ENDING.sub("", adjective)
    if len(stem) < 3 or stem == adjective:
        return None
    override = next((town for key, town in REGION_MAIN_TOWN.items() if stem.startswith(key)), None)
    if override:
        named = _exact_places(override, country="RU")
        return named[0] if named else None
    # The region is that of the biggest town named after it (Ярославль for
    # Ярославская), and its main town the biggest of that region.
    namesake = (
        m.Place.objects.defer("names", "search_text")
        .filter(Q(search_text__startswith=stem) | Q(search_text__contains=gazetteer.NAMES_SEPARATOR + stem))
        .order_by("-population", "geonameid")
        .first()
    )
    if namesake is None:
        return None
    return (
        m.Place.objects.defer("names", "search_text")
        .filter(country_code=namesake.country_code, admin1_code=namesake.admin1_code)
        .order_by("-population", "geonameid")
        .first()
    )


def _keep_known_slugs(result: Interpretation) -> None:
    # The synonym list names slugs of the seed; a deployment without one of
    # them must not get a filter the nearest search would refuse.
    if result.categories:
        known = set(m.Category.objects.filter(slug__in=result.categories).values_list("slug", flat=True))
        result.categories = [c for c in result.categories if c in known]
    if result.target_groups:
        known = set(m.TargetGroup.objects.filter(slug__in=result.target_groups).values_list("slug", flat=True))
        result.target_groups = [t for t in result.target_groups if t in known]
