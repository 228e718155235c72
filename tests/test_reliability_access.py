"""Access: every way of writing over HTTP (SPARQL Update, by body and by form; Graph Store
PUT, POST and DELETE, on named graphs, the default graph and direct graph URLs; multipart
loads) is refused without the token, with a wrong one, with another scheme, and with the
token in the URL or in a form field, and changes nothing; the token is compared in
constant time and never appears in a log line or an answer; with no token configured the
service is read-only.  Counts go to ``test-artifacts/reliability.json`` under ``access``.
"""

from __future__ import annotations

import hmac
import urllib.parse
from collections import Counter

import pytest

from reliabilityutil import EX, TOKEN, call, record
from serverutil import running_server

pytestmark = [pytest.mark.reliability, pytest.mark.server]

TRIED: Counter = Counter()
GRAPH = EX + "access"
TURTLE = f"<{EX}s> <{EX}p> <{EX}o> .".encode()
q = urllib.parse.quote


def _multipart() -> tuple[bytes, str]:
    boundary = "reliability-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"a.ttl\"\r\nContent-Type: text/turtle\r\n\r\n").encode() + TURTLE + (
        f"\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


MULTIPART, MULTIPART_TYPE = _multipart()
#: every kind of write: (name, method, path, content type, body)
WRITES = [
    ("update (body)", "POST", "/sparql", "application/sparql-update",
     f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{EX}s> <{EX}p> 1 }} }}".encode()),
    ("update (form)", "POST", "/sparql", "application/x-www-form-urlencoded",
     urllib.parse.urlencode({"update": f"INSERT DATA {{ <{EX}s> <{EX}p> 2 }}"}).encode()),
    ("clear (update)", "POST", "/sparql", "application/sparql-update", b"CLEAR ALL"),
    ("graph store PUT", "PUT", f"/store?graph={q(GRAPH)}", "text/turtle", TURTLE),
    ("graph store POST", "POST", f"/store?graph={q(GRAPH)}", "text/turtle", TURTLE),
    ("graph store DELETE", "DELETE", f"/store?graph={q(GRAPH)}", None, b""),
    ("default graph PUT", "PUT", "/store?default", "text/turtle", TURTLE),
    ("default graph DELETE", "DELETE", "/store?default", None, b""),
    ("graph store create", "POST", "/store", "text/turtle", TURTLE),
    ("direct graph PUT", "PUT", "/store/access-direct", "text/turtle", TURTLE),
    ("multipart load", "POST", f"/store?graph={q(GRAPH)}", MULTIPART_TYPE, MULTIPART),
]
#: credentials that must not let a write through: (name, extra headers, extra query)
BAD_CREDENTIALS = [
    ("no token", {}, {}),
    ("wrong token", {"Authorization": "Bearer not-the-token"}, {}),
    ("token with a suffix", {"Authorization": f"Bearer {TOKEN}x"}, {}),
    ("token prefix", {"Authorization": f"Bearer {TOKEN[:-1]}"}, {}),
    ("empty bearer", {"Authorization": "Bearer "}, {}),
    ("scheme only", {"Authorization": "Bearer"}, {}),
    ("basic scheme", {"Authorization": f"Basic {TOKEN}"}, {}),
    ("token without scheme", {"Authorization": TOKEN}, {}),
    ("non-ascii token", {"Authorization": f"Bearer {TOKEN[:-1]}é".encode().decode("latin-1")},
     {}),
    *[(f"token in the URL ({name}=)", {}, {name: TOKEN})
      for name in ("token", "access_token", "write_token", "auth", "authorization")],
    ("token in the URL beside a valid header", {"Authorization": f"Bearer {TOKEN}"},
     {"access_token": TOKEN}),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("access")
    access_log = directory / "access.log"
    with running_server(directory / "store", token=TOKEN, workers=2, log_dir=directory,
                        args=["--access-log", str(access_log)]) as running:
        running.access_log = access_log
        yield running
    record("access", {"refusals_tried": dict(sorted(TRIED.items())),
                      "refusals_tried_total": sum(TRIED.values())})


def write(server, name, method, path, content_type, body, headers=None, query=None):
    if query:
        path += ("&" if "?" in path else "?") + urllib.parse.urlencode(query)
    all_headers = dict(headers or {})
    if content_type:
        all_headers["Content-Type"] = content_type
    answer = call(server.base_url, method, path, body, all_headers)
    assert TOKEN.encode() not in answer.body
    assert not any(TOKEN in value for value in answer.headers.values())
    return answer


def fingerprint(server) -> str:
    """Every quad of the store, as N-Quads (sorted): equal before and after = unchanged."""
    answer = call(server.base_url, "GET", "/export?format=nquads", None,
                  {"Accept": "application/n-quads"})
    assert answer.status == 200
    return "\n".join(sorted(answer.text.splitlines()))


def test_writes_without_the_token_are_refused_and_change_nothing(server):
    before = fingerprint(server)
    for name, method, path, content_type, body in WRITES:
        for credential, headers, query in BAD_CREDENTIALS:
            TRIED[credential] += 1
            answer = write(server, name, method, path, content_type, body, headers, query)
            assert answer.status in (400, 401), (name, credential, answer.status, answer.body)
            message = answer.text.strip()
            assert message and "Traceback" not in message
            if "URL" in credential:
                assert "token in the URL" in message, message
            elif answer.status == 401:
                assert answer.headers.get("WWW-Authenticate", "").startswith("Bearer")
    # a token in a form field (where a form is the body) is refused too
    for field in ("access_token", "token"):
        TRIED["token in a form field"] += 1
        body = urllib.parse.urlencode({"update": "CLEAR ALL", field: TOKEN}).encode()
        answer = write(server, "form token", "POST", "/sparql",
                       "application/x-www-form-urlencoded", body)
        assert answer.status in (400, 401), answer.body
    # an update by GET is never a write
    TRIED["update by GET"] += 1
    answer = write(server, "update by GET", "GET", "/sparql?" + urllib.parse.urlencode(
        {"update": "CLEAR ALL"}), None, None, {"Authorization": f"Bearer {TOKEN}"})
    assert answer.status in (400, 405)
    assert fingerprint(server) == before


def test_the_right_token_writes_through_every_kind_of_write(server):
    """The control: the same writes with the token are accepted (so the refusals above
    are the token's doing)."""
    for name, method, path, content_type, body in WRITES:
        if name == "clear (update)":
            continue  # keep the store
        answer = write(server, name, method, path, content_type, body,
                       {"Authorization": f"Bearer {TOKEN}"})
        assert 200 <= answer.status < 300, (name, answer.status, answer.body)


def test_regression_token_in_the_url_was_written_to_the_access_log(server):
    """Found by this suite: a write refused for carrying the token in its URL still left
    the token in the access log (gunicorn logs the request line as it came)."""
    write(server, "log", "POST", "/sparql?access_token=" + TOKEN, "application/sparql-update",
          b"CLEAR ALL")
    write(server, "log", "GET", "/sparql?query=ASK%7B%7D&x=" + TOKEN, None, None,
          {"Referer": f"http://example.org/?token={TOKEN}"})
    log = server.access_log.read_text()
    assert "access_token=[redacted]" in log
    assert TOKEN not in log


def test_the_token_never_appears_in_a_log_line(server):
    """After every request of this module (refused ones with the token in the URL, the
    form or a near-miss header, accepted ones with the header)."""
    for text in (server.access_log.read_text(), server.log_text()):
        assert text.strip()
        assert TOKEN not in text
        assert urllib.parse.quote_plus(TOKEN) not in text


def test_the_token_is_compared_in_constant_time(monkeypatch):
    """Every check of a presented token goes through ``hmac.compare_digest`` (its time
    does not depend on where the first difference is), whatever its length."""
    from educluster.web import create_app

    compared: list = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    client = create_app(settings={"write_token": TOKEN, "load_examples": False}).test_client()
    presented = ["x", TOKEN[:-1] + "y", "y" + TOKEN[1:], TOKEN * 2, TOKEN]
    for token in presented:
        response = client.post("/sparql", data=b"INSERT DATA { <a:s> <a:p> 1 }", headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"})
        assert response.status_code == (204 if token == TOKEN else 401)
    assert [given for given, _ in compared] == [t.encode() for t in presented]
    assert all(expected == TOKEN.encode() for _, expected in compared)


def test_the_access_log_keeps_its_token_parameters_in_step_with_the_service():
    from educluster.accesslog import TOKEN_PARAMETERS
    from educluster.web.writes import TOKEN_PARAMETERS as REFUSED

    assert set(TOKEN_PARAMETERS) == set(REFUSED)


@pytest.mark.parametrize("configured", [None, ""])
def test_with_no_token_configured_the_service_is_read_only(tmp_path, configured):
    env = {} if configured is None else {"EDUCLUSTER_WRITE_TOKEN": configured}
    with running_server(tmp_path / "store", workers=1, log_dir=tmp_path, env=env) as server:
        before = fingerprint(server)
        for name, method, path, content_type, body in WRITES:
            for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"},
                            {"Authorization": f"Bearer {TOKEN}"}):
                TRIED["read-only service"] += 1
                answer = write(server, name, method, path, content_type, body, headers)
                assert answer.status == 403, (name, answer.status, answer.body)
                assert "read-only" in answer.text
        assert fingerprint(server) == before
        # reads go on as usual
        answer = call(server.base_url, "GET", "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
                      None, {"Accept": "application/sparql-results+json"})
        assert answer.status == 200 and b"true" in answer.body
