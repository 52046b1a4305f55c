"""Small shared building blocks: column types, text normalisation, tabular files, errors."""
