"""``/health``: whether the service answers, on which engine, with how much data."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    dataset = current_app.extensions["educluster"]
    store = dataset.reader()
    return jsonify({
        "status": "ok",
        "engine": getattr(dataset, "engine", store.engine),
        "triples": store.triple_count("*"),
        "generation": getattr(dataset, "generation", None),
    })
