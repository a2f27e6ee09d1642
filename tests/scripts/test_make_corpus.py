"""The corpus generator: deterministic output whose truth files follow the contract schema."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "make_corpus.py"
CHECKED_IN = ROOT / "tests" / "fixtures" / "certificates"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", SCRIPT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def mc() -> ModuleType:
    return _load()


def _schema_available(mc: ModuleType) -> bool:
    from corpus.validate import find_schema  # importable once make_corpus is loaded

    return find_schema() is not None


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_valid_truth(mc: ModuleType, tmp_path: Path) -> None:
    counts = {"text": 3, "fillable": 3, "scan": 2, "multipage": 2, "other": 4}
    a, b = tmp_path / "a" / "certs", tmp_path / "b" / "certs"
    made = mc.generate(a, 7, counts)
    mc.generate(b, 7, counts)
    assert {k: len(v) for k, v in made.items()} == {**counts, "two-certificates": 2}
    fa, fb = _files(a.parent), _files(b.parent)
    assert fa.keys() == fb.keys()
    assert [k for k in fa if fa[k] != fb[k]] == []

    from corpus.validate import validate_dir

    if _schema_available(mc):
        assert validate_dir(a) == {}
        assert validate_dir(a.with_name("certs-multi")) == {}
    for fam, names in made.items():
        folder = a.with_name("certs-multi") if fam == "two-certificates" else a
        for name in names:
            f = folder / name
            truth = json.loads(Path(str(f) + ".truth.json").read_text())
            docs = truth if isinstance(truth, list) else [truth]
            for d in docs:
                assert d["source"]["file"] == name
                assert d["source"]["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
                assert d["family"] == ("multipage" if fam == "two-certificates" else fam)


def test_other_seed_changes_the_corpus(mc: ModuleType, tmp_path: Path) -> None:
    mc.generate(tmp_path / "s1", 1, {"text": 2})
    mc.generate(tmp_path / "s2", 2, {"text": 2})
    assert _files(tmp_path / "s1") != _files(tmp_path / "s2")


def test_a_blotted_value_is_null_in_truth(mc: ModuleType) -> None:
    from corpus.families import _null_smudged

    truth = {"certificate_date": "2026-01-02", "policies": [
        {"coverage": "general_liability", "policy_number": "GL1", "limits": {"each_occurrence": 1}},
        {"coverage": "general_liability", "policy_number": "GL2", "limits": {"each_occurrence": 2}},
        {"coverage": "excess_liability", "expiration_date": "2027-01-01", "limits": {}},
    ]}
    _null_smudged(truth, "gl2.lim.each_occurrence")
    _null_smudged(truth, "umb.exp")
    _null_smudged(truth, "date")
    assert truth["policies"][0]["limits"]["each_occurrence"] == 1
    assert truth["policies"][1]["limits"]["each_occurrence"] is None
    assert truth["policies"][2]["expiration_date"] is None
    assert truth["certificate_date"] is None


def test_scans_of_insurer_layouts_go_through_every_layout(mc: ModuleType) -> None:
    from corpus.families import SCAN_KINDS, scan_layout
    from corpus.other_layouts import LAYOUTS

    others = [i for i in range(4 * len(SCAN_KINDS)) if SCAN_KINDS[i % len(SCAN_KINDS)][0] == "other"]
    assert sorted(scan_layout(i) for i in others) == sorted(LAYOUTS)
    # The first round's is the one the checked-in corpus was made with.
    assert scan_layout(others[0]) == "workers_comp"


def test_checked_in_corpus_matches_its_truth(mc: ModuleType) -> None:
    if not CHECKED_IN.is_dir():
        pytest.skip("corpus not generated")
    from corpus.validate import validate_dir

    if _schema_available(mc):
        assert validate_dir(CHECKED_IN) == {}
    truths = sorted(CHECKED_IN.glob("*.truth.json"))
    assert len(truths) >= 50
    families = set()
    for tf in truths:
        t = json.loads(tf.read_text())
        f = tf.with_name(tf.name[: -len(".truth.json")])
        assert hashlib.sha256(f.read_bytes()).hexdigest() == t["source"]["sha256"], f.name
        families.add(t["family"])
    assert families == {"text", "fillable", "scan", "multipage", "other", "agency"}


def test_photo_family_is_deterministic_and_valid(mc: ModuleType, tmp_path: Path) -> None:
    from PIL import Image

    a, b = tmp_path / "a", tmp_path / "b"
    made = mc.generate(a, 11, {"photo": 2})
    mc.generate(b, 11, {"photo": 2})
    assert made == {"photo": ["photo_001.jpg", "photo_002.jpg"]}
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    assert [k for k in fa if fa[k] != fb[k]] == []

    from corpus.validate import validate_dir

    if _schema_available(mc):
        assert validate_dir(a) == {}
    for name in made["photo"]:
        f = a / name
        truth = json.loads(Path(str(f) + ".truth.json").read_text())
        assert truth["family"] == "photo"
        assert truth["source"] == {
            "file": name,
            "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
            "pages": 1,
            "method": "ocr",
        }
        assert f.stat().st_size <= 500_000
        with Image.open(f) as im:
            assert im.format == "JPEG"
            assert im.size == (truth["_generator"]["photo"]["width"], truth["_generator"]["photo"]["height"])
            assert 1400 <= im.width <= 2600
    # the second kind washes one value out with glare: it is named and null in the truth
    t2 = json.loads((a / "photo_002.jpg.truth.json").read_text())
    assert len(t2["_generator"]["smudged"]) == 1


def test_photo_perspective_maps_the_page_corners(mc: ModuleType) -> None:
    from corpus.photos import perspective_coeffs, project_page

    quad = project_page(612, 792, 6.0, -3.0, 2.5, 1.4)
    top, bottom = quad[1][0] - quad[0][0], quad[2][0] - quad[3][0]
    assert abs(top - bottom) > 10  # keystone: the tilted page's edges differ in length
    src = [(0.0, 0.0), (1700.0, 0.0), (1700.0, 2200.0), (0.0, 2200.0)]
    a, b, c, d, e, f, g, h = perspective_coeffs(quad, src)
    for (x, y), (u, v) in zip(quad, src, strict=True):
        w = g * x + h * y + 1
        assert abs((a * x + b * y + c) / w - u) < 1e-6
        assert abs((d * x + e * y + f) / w - v) < 1e-6
