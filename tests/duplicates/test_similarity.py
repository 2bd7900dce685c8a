"""Issue 20, items 1 and 4: the text comparison behind the duplicate suggestions (core.similarity).

A few clear pairs each way; bench/duplicates.py measures it on the labelled set."""

import pytest

from core.similarity import DIRECTION, FEATURES, MODEL, SAME_ABOVE, features, profile, similarity

SAME = [
    ("3号楼电梯困人，有人关在里面出不来", "市民反映：3号楼电梯发生困人故障，请求紧急处置。"),
    (
        "楼上卫生间漏水，我家天花板湿了一大块",
        "来电反映楼上住户卫生间渗漏，导致其家卫生间顶部渗水发霉。诉求：督促楼上维修。",
    ),
    ("垃圾厢房满了好几天没人清运，臭得不得了", "市民反映：小区垃圾厢房垃圾满溢未及时清运，异味严重。"),
    ("十二号楼楼道灯不亮，晚上上楼看不见", "12号楼楼道感应灯损坏，夜间无照明。"),
    # 廿二号 is 22号; the flat below the upstairs 402 is the reporter's (302)
    ("梅园二村22号电梯年检合格标志已过期两个月", "梅园二村廿二号电梯里贴的年检证早过期了 也没人换"),
    ("金色家园4-1-302住户称楼上402卫生间漏水，双方因赔偿多次争吵", "楼上402漏水把我家泡了 赔钱的事谈不拢 吵了好几次了"),
]

DIFFERENT = [
    # the same trouble at two buildings
    ("5号楼电梯困人", "8号楼电梯困人"),
    # the same room number would be needed: 502 and 702 are two flats
    ("丽园路141弄3号502室天花板渗水", "丽园路141弄3号702室天花板渗水"),
    # the same lift, another trouble
    ("3号楼电梯困人，请快来", "3号楼电梯年检合格证过期了"),
    # the same trouble, another thing
    ("3号楼电梯坏了", "3号楼楼道灯坏了"),
    # only the hotline's register in common
    ("市民反映：小区垃圾无人清运，希望尽快处理", "市民反映：楼道灯不亮，希望尽快处理"),
    # one building, two sides; one lift, two floors; one stairwell, two flats written with dashes
    ("怡景苑东侧消防通道被车堵了", "居民反映：怡景苑西侧消防通道长期停放车辆。"),
    ("金沙苑9幢电梯在12楼不停靠", "金沙苑9幢电梯到21楼不停 每次得从22楼走下来"),
    ("阳光丽苑8-1-402门口堆了鞋柜杂物", "阳光丽苑8-1-403门口堆了一堆杂物 好几个月"),
    # two village groups, two phases, two sections of a path, two underground floors, a
    # building's front and back
    ("红旗村四组路边有人烧垃圾", "红旗村六组路边有人烧垃圾"),
    ("阳光城一期4栋电梯停了", "阳光城二期4栋电梯停了"),
    ("新安江沿河步道东段路灯不亮", "市民来电反映：新安江沿河步道西段路灯不亮。"),
    ("锦江苑车库B2灯坏了一大半", "锦江苑车库B1灯坏了一大半"),
    ("朝阳新村7号楼前面空地堆废品", "朝阳新村7号楼后面空地堆废品"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_one_problem_in_two_registers_is_suggested(a, b):
    assert similarity(a, b) >= SAME_ABOVE
    assert similarity(b, a) == similarity(a, b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_another_place_thing_or_trouble_is_not_suggested(a, b):
    assert similarity(a, b) < SAME_ABOVE


def test_places_are_read_with_chinese_numerals_and_full_width_digits():
    read = profile("丽园路１４１弄三号楼五〇二室，楼上是602")
    assert read.lanes == {"141"}
    assert read.buildings == {"3"}
    assert read.rooms == {"502", "602"}
    assert profile("二十三号楼").buildings == {"23"}
    assert profile("B座电梯").buildings == {"b"}


def test_sides_floors_dashed_flats_and_the_room_before_its_upstairs_are_places():
    assert profile("锦苑8栋902反映楼上夜间拖拽家具").rooms == {"902"}  # 902's upstairs, not a floor
    flat = profile("阳光丽苑8-1-402门口")
    assert (flat.buildings, flat.rooms, flat.parts) == ({"8"}, {"402"}, {"u1"})
    assert profile("新民小区3-402").rooms == {"402"}
    assert profile("西侧绿化带杂草").parts == {"s西"} and profile("东边那部电梯").parts == {"s东"}
    assert profile("电梯在十二楼不停").parts == {"f12"}
    # Not places: stuff (东西), a building (12号楼), the stairs and upstairs, a telephone, a date.
    assert not profile("楼道里堆了很多东西").parts
    assert not profile("12号楼楼道 楼上漏水").parts
    assert not profile("电话138-1234-5678").rooms and not profile("2026-10-12来过").rooms


def test_places_written_in_part_or_every_way():
    staircase = profile("阳光家园3-2单元电梯")
    assert (staircase.buildings, staircase.parts) == ({"3"}, {"u2"})
    assert profile("梅园二村廿二号").buildings == {"22"}
    space = profile("车库B2-136车位")
    assert (space.buildings, space.rooms, space.parts) == (set(), {"136"}, {"f负2"})
    assert profile("地下车库负一层").parts == profile("地下一层车库").parts == {"f负1"}
    village = profile("槐树村三组村道旁")
    assert village.parts == {"v3"} and "tree" not in village.facets  # 槐树村 is a name
    assert profile("碧桂园二期").parts == {"p2"} and profile("东方巷北段").parts == {"s北"}
    assert profile("小区正门口").parts == {"g前"} and profile("后门").parts == {"g后"}
    assert profile("七栋东单元").parts == {"s东"} and profile("7号楼后面").parts == {"a后"}
    # Not places: a number dialled, a distance fallen
    assert not profile("已拨打119").rooms and not profile("电梯下坠约一层").parts
    # the one upstairs says where the reporter lives
    assert profile("楼上402漏水").homes == {"302"} and profile("501室 楼下401吵").homes == {"501"}


def test_scores_stay_between_zero_and_one_and_a_profile_compares_like_its_text():
    new = profile("3号楼电梯坏了")
    assert similarity(new, "3号楼电梯又坏了，停了两天") == similarity("3号楼电梯坏了", "3号楼电梯又坏了，停了两天")
    assert similarity("", "3号楼电梯坏了") == 0.0
    assert 0.0 <= similarity("电梯", "电梯") <= 1.0
    assert similarity("3号楼电梯坏了", "3号楼电梯坏了") > 0.9


def test_the_shipped_model_fits_the_signals_and_goes_their_way():
    # bench/fit_duplicates.py wrote it for these signals; no weight goes against common sense,
    # so sharing more wording, or the same building, never makes two reports less alike
    assert MODEL is not None and len(MODEL.weights) == len(FEATURES)
    assert all(DIRECTION.get(name, 0) * weight >= 0 for name, weight in zip(FEATURES, MODEL.weights, strict=True))
    assert 0 < SAME_ABOVE < 1


def test_signals_are_symmetric():
    a, b = profile("楼上602卫生间漏水，我家天花板湿了，3号楼"), profile("市民反映：3号楼502室卫生间吊顶渗水。")
    assert features(a, b) == features(b, a)


def test_the_quick_score_is_the_models_score_on_every_labelled_pair():
    """similarity() computes only the signals the model weighs and reads each profile's facets
    split once; on every labelled pair it answers what the whole model gives."""
    import csv
    from pathlib import Path

    from core.similarity import score

    pairs = []
    for path in sorted((Path(__file__).parents[1] / "data").glob("duplicate_pairs*.tsv")):
        with path.open(encoding="utf-8") as handle:
            pairs += [(row["a"], row["b"]) for row in csv.DictReader(handle, delimiter="\t")]
    assert len(pairs) > 1000
    for a, b in pairs:
        whole = round(score(features(profile(a), profile(b)), MODEL.bias, MODEL.weights), 4)
        assert similarity(a, b) == whole, (a, b)


def test_a_pair_passed_over_unscored_could_never_have_been_suggested():
    """likely_duplicates does not score a pair that shares no facet when the model's other
    signals cannot lift it to SAME_ABOVE (core.similarity.may_be_same): on every labelled pair
    it passes over, the score is below the threshold even rounded as suggestions are; and it
    does pass some over, or the shortcut is never taken."""
    import csv
    from pathlib import Path

    from core.similarity import may_be_same

    passed_over = 0
    for path in sorted((Path(__file__).parents[1] / "data").glob("duplicate_pairs*.tsv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if not may_be_same(row["a"], row["b"]):
                    passed_over += 1
                    assert round(similarity(row["a"], row["b"]), 2) < SAME_ABOVE, (row["a"], row["b"])
    assert passed_over > 100
