"""The README's table of settings (infra/config/table.py), generated from AppConfig."""

from __future__ import annotations

from infra.config.app_config import settings_index
from infra.config.table import BEGIN, END, README, render, updated


def test_the_readme_table_is_generated_from_the_config():
    # After adding or changing a setting: python -m infra.config.table
    text = README.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1
    assert text.count(END) == 1
    assert updated(text) == text


def test_the_readme_table_has_one_row_per_setting_with_its_default_and_bounds():
    rows = render().splitlines()[2:]
    assert len(rows) == len(settings_index())
    assert "| `maxBodyBytes` | `1048576` | 1024..10485760 bytes " in render()
    assert "| `extraOrigins` | none | " in render()
