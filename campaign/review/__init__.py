"""Review of visits (审核): whether a visit stands, is in doubt or is struck out, and who said so."""
