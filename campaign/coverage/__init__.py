"""Coverage (覆盖率) of rounds at every level, rankings, and the honesty signals beside them."""
