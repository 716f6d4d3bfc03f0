"""Finding people: transliteration, name keys, the full-text index and the search call."""
