"""The demo city's subjects: shops, schools and buildings with their sunshine codes."""

from domain.demo.geography import GRIDS

# (code, name, kind, grid)
SUBJECTS = [
    ("SS-0001", "好味道小吃店", "shop", GRIDS[1].code),
    ("SS-0002", "启航培训学校", "school", GRIDS[1].code),
    ("SS-0003", "文三路12号居民楼", "building", GRIDS[2].code),
    ("SS-0004", "老街五金店", "shop", GRIDS[3].code),
    ("SS-0005", "曙光幼儿园", "school", GRIDS[0].code),
]
