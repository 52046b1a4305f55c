"""A falsification risk per worker (造假风险): named signals, weighted, as a review queue."""
