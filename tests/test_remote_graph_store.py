"""The Graph Store Protocol tests of test_graph_store.py, run again with the service over
Virtuoso (``RemoteDataset``): every test of that module that takes its ``server``
fixture is collected here a second time, with a fresh server over the session's private
Virtuoso holding the same data."""

from __future__ import annotations

import inspect

import pyoxigraph as ox
import pytest

import test_graph_store
from conftest import empty_remote_store
from educluster.dataset import RemoteDataset
from educluster.web import create_app
from httpserver import LiveServer

for _name, _value in vars(test_graph_store).items():
    if _name.startswith("test_") and callable(_value) and (
        "server" in inspect.signature(_value).parameters
    ):
        globals()[_name] = _value


@pytest.fixture(params=[pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def server(request):
    E = test_graph_store.E
    store = empty_remote_store(request.getfixturevalue("virtuoso"))
    store.load(test_graph_store.DATA_G1, ox.RdfFormat.TURTLE, graph=test_graph_store.G1)
    store.load(f'<{E}dave> <{E}name> "Dave" .', ox.RdfFormat.TURTLE)
    app = create_app(RemoteDataset(store), settings={"write_token": test_graph_store.TOKEN})
    with LiveServer(app) as live:
        yield live
