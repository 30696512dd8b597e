"""Glossaries shipped inside the package (glossary/*.yaml), addressed by name."""

from __future__ import annotations

from pathlib import Path

from tarjama.glossary.model import NAME_PATTERN

_BUNDLED_DIR = Path(__file__).resolve().parent


def bundled_glossary_names() -> list[str]:
    """Names of the bundled glossaries, e.g. ["news"]."""
    return sorted(path.stem for path in _BUNDLED_DIR.glob("*.yaml"))


def bundled_glossary_path(name: str) -> Path | None:
    """The file of the bundled glossary `name`, or None when there is none by that name."""
    if not NAME_PATTERN.fullmatch(name):
        return None
    path = _BUNDLED_DIR / f"{name}.yaml"
    return path if path.is_file() else None
