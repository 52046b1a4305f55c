"""Searchable drop-downs (pickers) for areas, grid workers and schools or units, by name, pinyin or code."""
