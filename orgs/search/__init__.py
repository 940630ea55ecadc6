"""The search engine: the nearest-help statement (``nearest``), the derived
search rows and map clusters it reads (``index``), the map's viewport
(``viewport``), the text search (``text``) and the ORM oracle the tests and
the benchmark check the statement against (``reference``)."""
