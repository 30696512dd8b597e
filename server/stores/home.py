"""tarjama's data folder (models, glossaries): one place decides where it is by default."""

from __future__ import annotations

from pathlib import Path

HOME_ENV = "TARJAMA_HOME"


def default_home() -> Path:
    """The platform's user data folder for tarjama (``$TARJAMA_HOME`` overrides it)."""
    import platformdirs  # only when no home is given: it reads the platform's settings

    return Path(platformdirs.user_data_dir("tarjama"))
