"""The serve settings: one table, documented, read from the command line and the
environment, and turned into gunicorn's configuration."""

from __future__ import annotations

from pathlib import Path

from educluster.cli import build_parser
from educluster.server import gunicorn_options, worker_count
from educluster.settings import SETTINGS, resolve

DOC = Path(__file__).resolve().parent.parent / "docs" / "server.md"


def test_every_setting_is_documented():
    text = DOC.read_text()
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in text or s.env not in text]
    assert missing == [], f"docs/server.md does not document {missing}"


def test_the_command_line_wins_over_the_environment_which_wins_over_the_default():
    args = build_parser().parse_args(["serve", "--workers", "5"])
    environ = {"EDUCLUSTER_WORKERS": "3", "EDUCLUSTER_QUERY_TIMEOUT": "2.5",
               "EDUCLUSTER_LOAD_EXAMPLES": "false"}
    settings = resolve(args, environ)
    assert settings["workers"] == 5
    assert settings["query_timeout"] == 2.5
    assert settings["load_examples"] is False
    assert settings["port"] == 8000


def test_gunicorn_runs_one_request_per_worker_with_a_timeout_above_the_query_limit():
    settings = resolve(build_parser().parse_args(["serve", "--query-timeout", "20"]), {})
    options = gunicorn_options(settings)
    assert options["worker_class"] == "educluster.worker.KeepAliveWorker"
    assert options["keepalive"] == 2
    assert options["timeout"] > 20
    assert options["workers"] == worker_count(settings) >= 3
    assert options["bind"] == ["127.0.0.1:8000"]
    no_limit = gunicorn_options({**settings, "query_timeout": 0, "host": "::1", "workers": 2})
    assert no_limit["timeout"] == 0
    assert no_limit["bind"] == ["[::1]:8000"]
    assert no_limit["workers"] == 2


def test_keep_alive_0_is_gunicorns_sync_worker():
    settings = resolve(build_parser().parse_args(["serve", "--keep-alive", "0"]), {})
    assert settings["keep_alive"] == 0
    assert gunicorn_options(settings)["worker_class"] == "sync"
    from_env = resolve(build_parser().parse_args(["serve"]), {"EDUCLUSTER_KEEP_ALIVE": "5"})
    assert gunicorn_options(from_env)["keepalive"] == 5


def test_a_bad_environment_value_is_one_clear_error():
    import pytest

    from educluster.errors import InputError

    with pytest.raises(InputError, match="EDUCLUSTER_WORKERS='many' is not a valid workers"):
        resolve(None, {"EDUCLUSTER_WORKERS": "many"})


def test_a_write_token_with_white_space_at_an_end_is_refused_at_start():
    import subprocess
    import sys

    import pytest

    from educluster.errors import InputError

    for token in ("   ", " secret", "secret\n"):
        with pytest.raises(InputError, match="white space"):
            resolve(None, {"EDUCLUSTER_WRITE_TOKEN": token})
    assert resolve(None, {"EDUCLUSTER_WRITE_TOKEN": "a secret"})["write_token"] == "a secret"
    assert resolve(None, {"EDUCLUSTER_WRITE_TOKEN": ""})["write_token"] == ""  # read-only
    started = subprocess.run(
        [sys.executable, "-m", "educluster", "serve", "--port", "1"],
        env={"EDUCLUSTER_WRITE_TOKEN": "  ", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60)
    assert started.returncode == 2
    assert "white space" in started.stderr and started.stderr.count("\n") == 1


def test_requests_are_parsed_by_gunicorns_c_parser():
    """gunicorn_h1c (the ``fast`` extra, which ``make`` installs where it builds) parses
    requests unless a setting rules it out; a compatibility flag among the options would
    silently bring the Python parser back."""
    import pytest

    pytest.importorskip("gunicorn_h1c")
    from gunicorn.config import Config
    from gunicorn.http.message import _check_fast_parser

    config = Config()
    for name, value in gunicorn_options(resolve(build_parser().parse_args(["serve"]), {})
                                        ).items():
        if name in config.settings:
            config.set(name, value)
    assert _check_fast_parser(config) is True
    config.set("strip_header_spaces", True)
    assert _check_fast_parser(config) is False
