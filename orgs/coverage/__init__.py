"""Where help is missing: for every gazetteer town and every kind of help, how
far the nearest published in-person location is and whether remote help covers
the town (``compute``), stored per town and aggregated on read (``selectors``)."""
