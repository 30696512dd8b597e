"""The distribution installs one import namespace, `tarjama`, and nothing else."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    [built] = out.glob("tarjama-*.whl")
    return built


def test_wheel_adds_no_bare_top_level_modules(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        top_level = {name.split("/", 1)[0] for name in archive.namelist()}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"tarjama"}


def test_wheel_carries_the_api_contract_and_bundled_glossary(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for required in (
        "tarjama/__init__.py",
        "tarjama/py.typed",
        "tarjama/v1/translator.proto",
        "tarjama/v1/translator_pb2.py",
        "tarjama/v1/translator_pb2_grpc.py",
        "tarjama/server/translate/engine.py",
        "tarjama/server/translate/enforce/__init__.py",
        "tarjama/server/serve/app.py",
        "tarjama/server/stores/models.py",
        "tarjama/client/cli.py",
        "tarjama/glossary/__init__.py",
        "tarjama/glossary/news.yaml",
    ):
        assert required in names, f"{required} missing from the wheel"


def test_console_script_is_declared(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "tarjama = tarjama.client.cli:main" in text


def test_the_cli_parser_loads_neither_numpy_nor_the_model_store() -> None:
    # `tarjama translate` starts fast: only `tarjama model` and `tarjama serve` need them.
    probe = (
        "import sys; from tarjama.client.cli import build_parser; build_parser(); "
        "heavy = ('numpy', 'ctranslate2', 'tarjama.server.stores.models'); "
        "print(','.join(name for name in heavy if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert loaded == ""
