"""Server configuration: sources in order, every bad setting an error naming its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarjama.server.serve.config import (
    SETTINGS,
    ConfigError,
    ServerConfig,
    env_name,
    flag_name,
    load_config,
    unknown_environment,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_documented_limits(tmp_path: Path) -> None:
    config = load_config(environ={"TARJAMA_HOME": str(tmp_path)})
    assert (config.host, config.port) == ("localhost", 50051)
    assert config.default_glossaries == ("news",)
    assert config.max_characters == 100_000
    assert config.max_sentences == 2_000
    assert config.max_inline_terms == 1_000
    assert config.max_message_bytes == 4 * 1024 * 1024
    assert config.max_beam_size == 16
    assert config.glossary_dir == tmp_path / "glossaries"


def test_later_sources_win(tmp_path: Path) -> None:
    config_file = write(tmp_path / "server.toml", 'port = 6000\nhost = "0.0.0.0"\nbeam_size = 2\n')
    config = load_config(
        config_file,
        environ={"TARJAMA_PORT": "7000", "TARJAMA_BEAM_SIZE": "3"},
        flags={"port": "8000"},
    )
    assert config.host == "0.0.0.0"  # file only
    assert config.beam_size == 3  # environment over file
    assert config.port == 8000  # flag over environment


def test_lists_and_paths_from_each_source(tmp_path: Path) -> None:
    config_file = write(
        tmp_path / "server.toml",
        'default_glossaries = ["news", "sport"]\nglossary_dir = "glossaries"\n',
    )
    from_file = load_config(config_file, environ={})
    assert from_file.default_glossaries == ("news", "sport")
    # A relative path in the file is relative to the file, not to the working directory.
    assert from_file.glossary_dir == tmp_path / "glossaries"
    from_env = load_config(environ={"TARJAMA_DEFAULT_GLOSSARIES": "sport, news"})
    assert from_env.default_glossaries == ("sport", "news")
    assert load_config(environ={}, flags={"default_glossaries": ""}).default_glossaries == ()


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ("port = 50051\nprot = 1\n", r"server\.toml:2: unknown setting 'prot'"),
        ("port = 70000\n", r"server\.toml:1: port must be between 0 and 65535, got 70000"),
        ('port = "fifty"\n', r"server\.toml:1: port expected a whole number"),
        ("[limits]\nmax_characters = 5\n", r"server\.toml:1: unknown setting 'limits'"),
        ("port = \n", r"server\.toml: not valid TOML"),
        ('log_format = "xml"\n', r"log_format must be one of text, json"),
        ('default_glossaries = ["News"]\n', r"'News' is not a glossary name"),
    ],
)
def test_bad_file_settings_name_file_and_line(tmp_path: Path, toml: str, match: str) -> None:
    config_file = write(tmp_path / "server.toml", toml)
    with pytest.raises(ConfigError, match=match):
        load_config(config_file, environ={})


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("TARJAMA_PORT", "80 80", r"^TARJAMA_PORT: port expected a whole number, got '80 80'"),
        ("TARJAMA_MAX_CHARACTERS", "0", r"^TARJAMA_MAX_CHARACTERS: max_characters must be at"),
        ("TARJAMA_GRACE_PERIOD_S", "soon", r"^TARJAMA_GRACE_PERIOD_S: grace_period_s expected"),
        ("TARJAMA_DEVICE", "tpu", r"^TARJAMA_DEVICE: device must be one of cpu, cuda, auto"),
        ("TARJAMA_OTEL_EXPORTER", "jaeger", r"otel_exporter must be one of none, console, otlp"),
        ("TARJAMA_MAX_CONNECTION_AGE_MS", "0", r"max_connection_age_ms must be at least 1"),
    ],
)
def test_unparsable_environment_values_name_the_variable(
    variable: str, value: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(environ={variable: value})


def test_bad_flag_names_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"^--metrics-port: metrics_port must be between 0"):
        load_config(environ={}, flags={"metrics_port": "70000"})


def test_missing_files_are_errors_at_load(tmp_path: Path) -> None:
    key = write(tmp_path / "server.key", "key")
    with pytest.raises(ConfigError, match=r"--tls-cert: tls_cert .*cert\.pem does not exist"):
        load_config(environ={}, flags={"tls_cert": str(tmp_path / "cert.pem"), "tls_key": str(key)})


@pytest.mark.parametrize(
    ("flags", "match"),
    [
        ({"tls_cert": "server.pem"}, r"--tls-cert: tls_cert is set but tls_key is not"),
        ({"tls_key": "server.key"}, r"--tls-key: tls_key is set but tls_cert is not"),
        ({"tls_client_ca": "ca.pem"}, r"tls_client_ca needs tls_cert and tls_key"),
        ({"beam_size": "20"}, r"beam_size 20 is over max_beam_size 16 \(default\)"),
        ({"metrics_port": "9000", "port": "9000"}, r"metrics_port 9000 is the gRPC port"),
        ({"auth_token": "abc", "auth_token_file": "token"}, r"set auth_token or auth_token_file"),
        (
            {"max_connection_age_ms": "", "max_connection_age_grace_ms": "1000"},
            r"--max-connection-age-grace-ms: .* max_connection_age_ms is off \(--max-conn",
        ),
    ],
)
def test_inconsistent_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: dict[str, str], match: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("server.pem", "server.key", "ca.pem", "token"):
        write(tmp_path / name, "x")
    with pytest.raises(ConfigError, match=match):
        load_config(environ={}, flags=flags)


def test_token_file_is_read_once_and_kept_out_of_repr(tmp_path: Path) -> None:
    token_file = write(tmp_path / "token", "s3cret-token\n")
    config = load_config(environ={"TARJAMA_AUTH_TOKEN_FILE": str(token_file)})
    assert config.auth_token == "s3cret-token"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize("content", ["", "  \n", "two words"])
def test_token_file_must_hold_one_token(tmp_path: Path, content: str) -> None:
    token_file = write(tmp_path / "token", content)
    with pytest.raises(ConfigError, match=r"TARJAMA_AUTH_TOKEN_FILE: .* exactly one token"):
        load_config(environ={"TARJAMA_AUTH_TOKEN_FILE": str(token_file)})


def test_unknown_environment_variables_are_reported_not_applied() -> None:
    environ = {"TARJAMA_PROT": "1", "TARJAMA_PORT": "1", "TARJAMA_MODEL_BASE_URL": "x"}
    assert unknown_environment(environ) == ["TARJAMA_PROT"]
    assert load_config(environ=environ).port == 1


def test_every_setting_has_help_an_env_name_and_a_flag() -> None:
    for name, setting in SETTINGS.items():
        assert setting.metadata["help"], name
        assert "%" not in setting.metadata["help"], f"{name}: argparse formats help with %"
        assert env_name(name) == "TARJAMA_" + name.upper()
        assert flag_name(name).startswith("--") and "_" not in flag_name(name)


def test_connection_age_and_tracing_from_the_environment() -> None:
    config = load_config(
        environ={
            "TARJAMA_MAX_CONNECTION_AGE_MS": "60_000",
            "TARJAMA_MAX_CONNECTION_AGE_GRACE_MS": "30000",
            "TARJAMA_OTEL_EXPORTER": "OTLP",
        }
    )
    assert (config.max_connection_age_ms, config.max_connection_age_grace_ms) == (60_000, 30_000)
    assert config.otel_exporter == "otlp"
    never = load_config(environ={"TARJAMA_MAX_CONNECTION_AGE_MS": "none"})
    assert never.max_connection_age_ms is None
    assert never.otel_exporter == "none"  # tracing is off unless asked for


def test_a_directly_built_config_is_complete(tmp_path: Path) -> None:
    config = ServerConfig(home=tmp_path)
    assert config.glossary_dir == tmp_path / "glossaries"
    assert not config.tls
