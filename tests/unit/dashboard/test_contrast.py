"""The dashboard's colours against its backgrounds: WCAG 2.x contrast ratios computed from style.css itself."""

from __future__ import annotations

import re

import pytest

from kura.dashboard.app import STATIC

COLOURS = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{3,6})\b", (STATIC / "style.css").read_text()))
TEXT = ("ink", "muted", "accent", "ok", "bad")
"""Colours text is drawn in (links, buttons, states, captions)."""
BACKGROUNDS = ("paper", "band")
"""What text is drawn on (the page, table headers, the header band, dialogs)."""


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rgb`` or ``#rrggbb``."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_ratio_is_the_wcag_one() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey


@pytest.mark.parametrize("background", BACKGROUNDS)
@pytest.mark.parametrize("text", TEXT)
def test_text_colours_reach_aaa_on_every_background(text: str, background: str) -> None:
    assert contrast(COLOURS[text], COLOURS[background]) >= 7.0, (text, background)


def test_the_focus_ring_and_the_primary_button_stand_out() -> None:
    assert contrast(COLOURS["focus"], COLOURS["paper"]) >= 3.0  # WCAG 1.4.11, non-text contrast
    assert contrast(COLOURS["paper"], COLOURS["accent"]) >= 7.0  # white text on the primary button
