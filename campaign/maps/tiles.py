"""Tile providers. Coordinates are stored in WGS-84; a GCJ-02 provider (高德) gets them shifted on
the way out. Tiles are the one thing the map fetches from outside: when they fail, the data still
draws on a blank background."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TileProvider:
    name: str
    urls: tuple[str, ...] = ()  # base layer first, then overlays such as Tianditu's labels
    attribution: str = ""
    subdomains: str = "abc"
    shift: Callable[[float, float], tuple[float, float]] = field(default=lambda lat, lon: (lat, lon))


def _tianditu(key: str) -> tuple[str, ...]:
    wmts = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + key)
    return wmts % ("vec", "vec"), wmts % ("cva", "cva")


# The Krasovsky ellipsoid constants of the published GCJ-02 offset. Written out here because the
# one PyPI package for it (coord-convert) pulls in GDAL through fiona for its command line.
_A, _EE = 6378245.0, 0.00669342162296594323


def _offset(x: float, y: float) -> tuple[float, float]:
    lat = (-100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
           + (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
           + (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
           + (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3)
    lon = (300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
           + (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
           + (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
           + (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3)
    return lat, lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (the shifted datum of 高德 and Tencent maps); unchanged outside China."""
    if not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return lat, lon
    d_lat, d_lon = _offset(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def provider(config) -> TileProvider:
    """The provider named by ``MAP_TILES``: osm, tianditu (needs ``MAP_TIANDITU_KEY``), gaode, or none."""
    name = (config.get("MAP_TILES") or "osm").lower()
    if name == "none":
        return TileProvider("none")
    if name == "tianditu":
        key = config.get("MAP_TIANDITU_KEY") or ""
        if not key:
            return TileProvider("none")
        return TileProvider("tianditu", _tianditu(key), "&copy; 天地图", "01234567")
    if name == "gaode":
        return TileProvider(
            "gaode", ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",),
            "&copy; 高德地图", "1234", shift=wgs84_to_gcj02)
    return TileProvider("osm", ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
                        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>', "")
