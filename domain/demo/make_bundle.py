"""Write the demo city as a city bundle: `python -m domain.demo.make_bundle` (re)writes
domain/demo/bundle/ from the demo modules (map, catalogue, routing, deadlines, people), the same
bytes every time. The bundle is the demo city in the format any city imports (docs/city-bundle.md).
"""

from pathlib import Path

from domain import demo_city
from domain.bundle import Bundle, BundleUser, Department
from domain.bundle_export import bundle_texts
from domain.demo.geography import AREAS, GRIDS

OUT = Path(__file__).with_name("bundle")


def demo_bundle() -> Bundle:
    return Bundle(
        areas=AREAS,
        grids=GRIDS,
        departments=[Department(code=c, name=n) for c, n in demo_city.DEPARTMENTS.items()],
        classes=list(demo_city.CLASSES.values()),
        subclasses=list(demo_city.CATEGORIES.values()),
        routing=demo_city.RULES,
        deadlines=demo_city.DEADLINE_RULES,
        users=[
            BundleUser(
                user_id=user_id,
                name=name,
                role=role,
                department=department,
                grids=grids,
                area=demo_city.SUPERVISOR_AREAS.get(user_id),
                password=password,
            )
            for user_id, name, role, department, grids, password in demo_city.USERS
        ],
    )


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, text in bundle_texts(demo_bundle()).items():
        # CSV with a BOM: Excel then opens the Chinese text as UTF-8
        encoding = "utf-8-sig" if name.endswith(".csv") else "utf-8"
        (OUT / name).write_text(text, encoding=encoding)


if __name__ == "__main__":
    main()
