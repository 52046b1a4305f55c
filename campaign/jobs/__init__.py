"""Long work (city-wide reports, large imports) run in a background thread while the page shows
its progress. A job belongs to the person who started it; its result is kept in the database."""
