"""The benchmark of the nearest-help search (``manage.py bench``).

``generator`` writes clearly marked synthetic data into a benchmark database
(never the product's); ``runners`` time the search four ways and the map
viewport; ``report`` turns the numbers into tables and PASS/FAIL lines.
"""
