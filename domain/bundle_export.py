"""A bundle as the text of its files (map.geojson and the CSV tables), ready to be written out:
how the demo city becomes a bundle (domain/demo/make_bundle.py). Pure: the caller writes.
"""

import csv
import io
import json
from collections.abc import Iterable

from domain.bundle import COLUMNS, FILES, Bundle
from domain.geo import feature_collection


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _table(part: str, rows: Iterable[dict[str, object]]) -> str:
    columns = [*COLUMNS[part].required, *COLUMNS[part].optional]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row[c]) for c in columns])
    return out.getvalue()


def map_text(bundle: Bundle) -> str:
    """GeoJSON, one feature a line (district, streets, communities, grids), so diffs stay small."""
    doc = feature_collection(bundle.areas, bundle.grids)
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in doc["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def _catalogue_rows(bundle: Bundle) -> Iterable[dict[str, object]]:
    """Each big class, then its sub-classes (any without a listed big class at the end)."""
    order = {c.code: i for i, c in enumerate(bundle.classes)}
    subclasses = sorted(bundle.subclasses, key=lambda s: order.get(s.class_code, len(order)))
    for big in bundle.classes:
        yield {"code": big.code, "name_zh": big.name_zh, "name_en": big.name_en}
        for s in subclasses:
            if s.class_code == big.code:
                yield {
                    "code": s.code,
                    "name_zh": s.name_zh,
                    "name_en": s.name_en,
                    "default_department": s.default_department,
                    "urgency": s.urgency.value,
                    "duplicate_radius_m": "none"
                    if s.duplicate_radius_m is None
                    else s.duplicate_radius_m,
                    "duplicate_window_hours": s.duplicate_window_hours,
                }


def bundle_texts(bundle: Bundle) -> dict[str, str]:
    """File name → its text (deadlines.csv only when the bundle has deadline rules)."""
    texts = {
        FILES["map"]: map_text(bundle),
        FILES["departments"]: _table("departments", (d.model_dump() for d in bundle.departments)),
        FILES["catalogue"]: _table("catalogue", _catalogue_rows(bundle)),
        FILES["routing"]: _table(
            "routing",
            (
                {
                    **r.model_dump(mode="json"),
                    "effective_from": r.effective_from.isoformat(),
                }
                for r in bundle.routing
            ),
        ),
        FILES["users"]: _table(
            "users", ({**u.model_dump(), "grids": " ".join(u.grids)} for u in bundle.users)
        ),
    }
    if bundle.deadlines:
        texts[FILES["deadlines"]] = _table(
            "deadlines",
            ({**r.model_dump(mode="json"), "amount": _number(r.amount)} for r in bundle.deadlines),
        )
    return texts
