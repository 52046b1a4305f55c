"""The demo county (宁陕县) and the city-scale data set (周口市) for benchmarks."""
