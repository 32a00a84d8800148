"""The server's SVG charts: well-formed, inside their drawing, escaped, and saying their data in words."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from kura.dashboard.charts import WIDTH, Bar, Series, bar_chart, line_chart, ticks

SVG = "{http://www.w3.org/2000/svg}"
finite = st.floats(min_value=-1e21, max_value=1e21, allow_nan=False, allow_infinity=False)
labels = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
"""Labels as people write them (control characters are dropped: see the test of that)."""


def series_named(names: st.SearchStrategy[str]) -> st.SearchStrategy[Series]:
    """Series of up to 12 points, x ascending, labelled from ``names``."""

    @st.composite
    def draw_series(draw: st.DrawFn) -> Series:
        xs = sorted(draw(st.lists(finite, min_size=1, max_size=12)))
        return Series(draw(names), tuple((x, draw(finite)) for x in xs))

    return draw_series()


series = series_named(st.text(min_size=1, max_size=30))


def _coordinates(svg: str) -> list[float]:
    """Every number in the drawing's geometry: path data, line ends, text and bar positions."""
    root = ET.fromstring(svg)
    numbers: list[float] = []
    for element in root.iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "width", "height"):
            if name in element.attrib:
                numbers.append(float(element.attrib[name]))
        if element.tag == f"{SVG}path":
            numbers += [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", element.attrib["d"])]
    return numbers


@given(st.lists(series, max_size=12), st.booleans())
def test_a_line_chart_is_well_formed_and_drawn_inside_its_box(lines: list[Series], step: bool) -> None:
    svg = line_chart(lines, title='t <&> "q"', x_format=lambda x: f"{x:.0f}", y_format=lambda y: f"{y:.2f}", step=step)
    root = ET.fromstring(svg)
    assert root.attrib["role"] == "img"
    assert root.find(f"{SVG}title").text == 't <&> "q"'
    height = float(root.attrib["viewBox"].split()[3])
    assert all(-1 <= value <= max(WIDTH, height) + 1 for value in _coordinates(svg))
    # The legend wraps: each label starts and (at 7 units a character) ends inside.
    for label in root.iter(f"{SVG}text"):
        assert float(label.attrib["x"]) >= 0 and float(label.attrib["y"]) <= height
        if label.attrib.get("text-anchor") is None:
            assert float(label.attrib["x"]) + 7 * len(label.text or "") <= WIDTH
    drawn = list(root.iter(f"{SVG}path"))
    assert len(drawn) == len([s for s in lines if s.points])


@given(st.lists(series_named(labels), min_size=1, max_size=3))
def test_each_line_is_named_in_the_legend_and_its_latest_value_in_the_description(lines: list[Series]) -> None:
    svg = line_chart(lines, title="chart", x_format=lambda x: "X", y_format=lambda y: f"<{y:g}>")
    root = ET.fromstring(svg)
    description = root.find(f"{SVG}desc").text or ""
    legend = [t.text for t in root.iter(f"{SVG}text")]
    for line in lines:
        assert line.label in legend
        assert f"{line.label}: <{line.points[-1][1]:g}> at X" in description


def test_a_step_chart_holds_each_value_until_the_next_point_and_extends_to_x_end() -> None:
    svg = line_chart(
        [Series("f", ((0, 5), (10, 4), (20, 5)))],
        title="t",
        x_format=str,
        y_format=str,
        step=True,
        y_min=0,
        y_max=5,
        x_end=40,
    )
    path = ET.fromstring(svg).find(f"{SVG}path").attrib["d"]
    # Starts at (left, top), holds level 5 until x=10, drops to 4, back to 5 at 20, flat to 40 (the right edge).
    assert re.fullmatch(r"M64,12H\S+V\S+H\S+V12H624V12", path), path


def test_no_data_draws_a_message_not_an_empty_axis() -> None:
    svg = line_chart([Series("empty", ())], title="t", x_format=str, y_format=str)
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}path"))
    assert "no data yet" in svg


def test_characters_xml_cannot_hold_are_dropped_and_markup_escaped() -> None:
    svg = line_chart([Series("a\x00b\x08<c>&\x1f", ((0, 1),))], title="t\x0b", x_format=str, y_format=str)
    root = ET.fromstring(svg)
    assert "ab<c>&" in [t.text for t in root.iter(f"{SVG}text")]
    assert root.find(f"{SVG}title").text == "t"


@given(st.lists(st.tuples(labels, st.floats(0, 1e20), st.floats(0, 1e20)), max_size=8))
def test_bars_are_well_formed_inside_their_box_and_state_part_and_whole(rows: list[tuple[str, float, float]]) -> None:
    bars = [Bar(label, part, whole) for label, part, whole in rows]
    svg = bar_chart(bars, title="budget", part_name="spent", rest_name="left", fmt=lambda v: f"{v:g}")
    root = ET.fromstring(svg)
    height = float(root.attrib["viewBox"].split()[3])
    assert all(-1 <= value <= max(WIDTH, height) + 1 for value in _coordinates(svg))
    description = root.find(f"{SVG}desc").text or ""
    for bar in bars:
        assert f"{bar.label}: {bar.part:g} spent of {bar.whole:g}" in description
    assert len(list(root.iter(f"{SVG}rect"))) == 2 * len(bars)


@given(finite, finite)
def test_ticks_are_few_round_and_inside_the_range(low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    values = ticks(low, high)
    assert 1 <= len(values) <= 5 + 1
    if high > low:
        span = high - low
        assert all(low - span * 1e-6 <= v <= high + span * 1e-6 for v in values)
        assert values == sorted(values)
