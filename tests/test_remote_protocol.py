"""The SPARQL protocol tests of test_protocol.py, run again with the service over
Virtuoso (``RemoteDataset``) instead of the embedded store.

Every test of that module that takes its ``server`` fixture is collected here a second
time; ``server`` here is the same app, over the session's private Virtuoso holding the
same data.  (Tests that build their own server with special settings stay there: they
exercise settings, not the store.)
"""

from __future__ import annotations

import inspect

import pyoxigraph as ox
import pytest

import test_protocol
from conftest import empty_remote_store
from educluster.dataset import RemoteDataset
from educluster.web import create_app
from httpserver import LiveServer

# Tests about what differs by engine, documented in docs/external-stores.md:
ENGINE_SPECIFIC = {
    # counts every triple of the union, which on Virtuoso holds its own graphs too
    "test_query_by_get_post_form_and_post_direct_agree",
    # joins every triple of the union with every other: ~30 million rows on Virtuoso
    "test_large_results_are_gzipped_when_accepted",
    # the wording of Oxigraph's parser ("error at 1:..."); Virtuoso's is its own, and the
    # 400 with the store's message is checked in test_remote_store
    "test_malformed_query_is_400_with_the_parsers_message",
    # the engine's name
    "test_health",
}

for _name, _value in vars(test_protocol).items():
    if _name.startswith("test_") and _name not in ENGINE_SPECIFIC and callable(_value) and (
        "server" in inspect.signature(_value).parameters
    ):
        globals()[_name] = _value


@pytest.fixture(scope="module", params=[pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def server(request):
    store = empty_remote_store(request.getfixturevalue("virtuoso"))
    store.load(test_protocol.DATA, ox.RdfFormat.N_TRIPLES, graph=test_protocol.G1)
    store.load(test_protocol.DATA_G2, ox.RdfFormat.N_TRIPLES, graph=test_protocol.G2)
    store.load(test_protocol.DATA_DEFAULT, ox.RdfFormat.N_TRIPLES)
    settings = {"write_token": test_protocol.TOKEN, "query_timeout": 60}
    with LiveServer(create_app(RemoteDataset(store), settings=settings)) as live:
        yield live
