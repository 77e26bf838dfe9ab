"""Open311 GeoReport v2: the public facade (docs/open311.md)."""
