"""A cluster's cooperation network as an SVG picture, drawn on the server.

Members are laid out in rows by kind (authorities at the top, then universities and
institutes, enterprises, lyceums and colleges, schools, preschools), so that a
cooperation between two members of one kind (usually horizontal, rule R1) stays inside
a row and a vertical one crosses rows.  A long row wraps onto several lines.

What the picture must say without colour (DESIGN.md's link kinds, the principles):
vertical cooperations are solid lines, horizontal ones dashed; a leading authority is a
square with a "★ leader" tag; a single point of failure has a dashed outer ring and a
"⚠ single point of failure" tag.  Every member is a labelled node linking to its page.
The legend says all of it in words.  No script is needed to see the picture; a small
one (``static/pages/network.js``) highlights a member's links on hover or focus.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field

from markupsafe import Markup, escape

VERTICAL = "https://w3id.org/educluster#Vertical"
HORIZONTAL = "https://w3id.org/educluster#Horizontal"

#: the order of the rows, by the local name of the member's kind; unknown kinds last
ROW_ORDER = (
    "PublicAuthority",
    "HigherEducationInstitution",
    "ResearchInstitute",
    "ProfessionalDevelopmentInstitute",
    "Laboratory",
    "Enterprise",
    "AcademicLyceum",
    "VocationalCollege",
    "GeneralSecondarySchool",
    "PreschoolInstitution",
)
#: fill colours of the rows (decoration only: the row headings say the kind in words)
PALETTE = ("#f4d35e", "#7fb7e6", "#9ad1a8", "#b7a5e0", "#c6e3f5", "#f2a58e", "#e6c27f",
           "#e8b7d4", "#a9d6d2", "#f6c6a0", "#cfd3da")

WIDTH = 960
PAD = 24
MIN_SPACING = 100
RADIUS = 13
LABEL_CHARS = 18
LABEL_LINES = 4
LINE_HEIGHT = 12
ROW_HEADING = 24
LINE_GAP = 94  # from one line of nodes to the next
#: horizontal shifts of the centres of short lines, in turn, so that rows of one or two
#: members do not stack in one column (where a link would seem to pass through them)
STAGGER = (0.0, -150.0, 150.0)


@dataclass
class Node:
    iri: str
    label: str
    kind: str  #: the kind's IRI
    kind_label: str
    href: str | None = None
    leader: bool = False
    single_point: bool = False
    member: bool = True  #: False for a partner of a cooperation that is not a member
    x: float = 0.0
    y: float = 0.0
    line: int = 0  #: the index of the drawn line of nodes it sits on


@dataclass
class Edge:
    iri: str
    a: str
    b: str
    orientation: str | None  #: VERTICAL, HORIZONTAL or None (not derived)
    title: str = ""


@dataclass
class Network:
    nodes: list[Node]
    edges: list[Edge]
    rows: list[tuple[str, float]] = field(default_factory=list)  #: (heading, y) per row
    height: float = 0.0


def natural_key(text: str) -> tuple:
    """Sorts "School No. 2" before "School No. 10"."""
    return tuple(int(part) if part.isdigit() else part.casefold()
                 for part in re.split(r"(\d+)", text))


def kind_rank(kind_iri: str) -> int:
    name = kind_iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return ROW_ORDER.index(name) if name in ROW_ORDER else len(ROW_ORDER)


def layout(nodes: list[Node], edges: list[Edge]) -> Network:
    """Place the nodes in rows by kind; returns the network with coordinates set."""
    by_kind: dict[str, list[Node]] = {}
    for node in nodes:
        by_kind.setdefault(node.kind, []).append(node)
    kinds = sorted(by_kind, key=lambda k: (kind_rank(k), by_kind[k][0].kind_label.casefold()))
    per_line = max(1, (WIDTH - 2 * PAD) // MIN_SPACING)
    network = Network(nodes=[], edges=edges)
    y = PAD
    line_index = 0
    for kind in kinds:
        members = sorted(by_kind[kind], key=lambda n: (not n.leader, natural_key(n.label)))
        kind_label = members[0].kind_label
        heading = f"{kind_label[:1].upper()}{kind_label[1:]} ({len(members)})"
        network.rows.append((heading, y + 12))
        y += ROW_HEADING
        lines = math.ceil(len(members) / per_line)
        for i in range(lines):
            chunk = members[i * per_line:(i + 1) * per_line]
            # spread evenly; a short line is centred with the same spacing as a full one
            spacing = (WIDTH - 2 * PAD) / min(per_line, max(len(chunk), 1))
            if lines > 1:
                spacing = (WIDTH - 2 * PAD) / per_line
            centre = WIDTH / 2
            if len(chunk) <= 2:
                centre += STAGGER[line_index % len(STAGGER)]
            start = centre - spacing * (len(chunk) - 1) / 2
            for j, node in enumerate(chunk):
                node.x = round(start + j * spacing, 1)
                node.y = y + RADIUS + 14  # room for a tag above the node
                node.line = line_index
                network.nodes.append(node)
            y += LINE_GAP
            line_index += 1
        y += 6
    network.height = y + PAD
    return network


def single_points(edges: list[Edge]) -> set[str]:
    """The members whose removal splits the network (``educluster.validation``'s rule)."""
    from educluster.validation.failure_tolerance import articulation_points

    return {str(p) for p in articulation_points((e.a, e.b) for e in edges)}


def _wrap(label: str) -> list[str]:
    lines = textwrap.wrap(label, LABEL_CHARS, break_long_words=True) or [label]
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][: LABEL_CHARS - 1].rstrip() + "…"
    return lines


CLEARANCE = RADIUS + 5  # how far a link keeps from the centre of a node it does not join


def _quadratic(a: tuple[float, float], c: tuple[float, float], b: tuple[float, float],
               steps: int = 24) -> list[tuple[float, float]]:
    out = []
    for i in range(1, steps):
        t = i / steps
        u = 1 - t
        out.append((u * u * a[0] + 2 * u * t * c[0] + t * t * b[0],
                    u * u * a[1] + 2 * u * t * c[1] + t * t * b[1]))
    return out


def _clear(points: list[tuple[float, float]], others: list[Node]) -> bool:
    if not points:
        return True
    # only the nodes near the path's bounding box can be in its way
    x0 = min(p[0] for p in points) - CLEARANCE
    x1 = max(p[0] for p in points) + CLEARANCE
    y0 = min(p[1] for p in points) - CLEARANCE
    y1 = max(p[1] for p in points) + CLEARANCE
    near = [n for n in others if x0 <= n.x <= x1 and y0 <= n.y <= y1]
    return all(math.hypot(x - n.x, y - n.y) >= CLEARANCE for n in near for x, y in points)


def _edge_path(a: Node, b: Node, nodes: list[Node] | None = None) -> str:
    """A straight line, or, where that would run through (or look like it runs through)
    another node, the gentlest curve that passes none: a link must never suggest a
    cooperation with a node it does not touch."""
    others = [n for n in (nodes or []) if n is not a and n is not b]
    start, end = (a.x, a.y), (b.x, b.y)
    mid = ((a.x + b.x) / 2, (a.y + b.y) / 2)
    length = math.hypot(b.x - a.x, b.y - a.y) or 1.0
    normal = (-(b.y - a.y) / length, (b.x - a.x) / length)
    if a.line == b.line:
        # along one line of nodes: an arc above it
        if normal[1] > 0:
            normal = (-normal[0], -normal[1])
        bends = [12 + abs(b.x - a.x) * 0.09 + 15 * k for k in range(10)]
    else:
        straight = [(a.x + (b.x - a.x) * i / 24, a.y + (b.y - a.y) * i / 24) for i in range(1, 24)]
        if _clear(straight, others):
            return f"M{a.x:.1f},{a.y:.1f} L{b.x:.1f},{b.y:.1f}"
        bends = [v for k in range(1, 12) for v in (25 * k, -25 * k)]
    best = None
    for bend in bends:
        # a quadratic curve peaks at half its control point's distance from the chord
        control = (mid[0] + normal[0] * bend * 2, mid[1] + normal[1] * bend * 2)
        if best is None:
            best = control
        if _clear(_quadratic(start, control, end), others):
            best = control
            break
    return f"M{a.x:.1f},{a.y:.1f} Q{best[0]:.1f},{best[1]:.1f} {b.x:.1f},{b.y:.1f}"


def orientation_word(orientation: str | None) -> str:
    if orientation == VERTICAL:
        return "vertical"
    if orientation == HORIZONTAL:
        return "horizontal"
    return "not oriented"


def render_svg(network: Network, *, title: str) -> Markup:
    """The network as an inline ``<svg>`` element."""
    e = escape
    by_iri = {n.iri: n for n in network.nodes}
    kinds = []
    for node in network.nodes:
        if node.kind not in kinds:
            kinds.append(node.kind)
    fill = {k: PALETTE[min(i, len(PALETTE) - 1)] for i, k in enumerate(kinds)}
    n_members = sum(1 for n in network.nodes if n.member)
    n_vertical = sum(1 for x in network.edges if x.orientation == VERTICAL)
    n_horizontal = sum(1 for x in network.edges if x.orientation == HORIZONTAL)
    out = [
        f'<svg class="network" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {network.height:.0f}" role="img" '
        f'aria-labelledby="network-title network-desc" data-members="{n_members}" '
        f'data-cooperations="{len(network.edges)}">',
        f'<title id="network-title">{e(title)}</title>',
        f'<desc id="network-desc">{n_members} members, {n_vertical} vertical '
        f'cooperations (solid lines) and {n_horizontal} horizontal cooperations (dashed '
        f'lines).</desc>',
    ]
    for heading, y in network.rows:
        out.append(f'<text class="row-heading" x="{PAD}" y="{y:.0f}">{e(heading)}</text>')
    out.append('<g class="edges">')
    for edge in network.edges:
        a, b = by_iri.get(edge.a), by_iri.get(edge.b)
        if a is None or b is None:
            continue
        word = orientation_word(edge.orientation)
        css = {"vertical": "vertical", "horizontal": "horizontal"}.get(word, "unoriented")
        out.append(
            f'<path class="edge {css}" d="{_edge_path(a, b, network.nodes)}" data-a="{e(a.iri)}" '
            f'data-b="{e(b.iri)}" data-orientation="{css}">'
            f'<title>{e(word.capitalize())} cooperation: {e(a.label)} and {e(b.label)}'
            f'{" (" + e(edge.title) + ")" if edge.title else ""}</title></path>'
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for node in network.nodes:
        classes = ["node"] + (["leader"] if node.leader else []) + (
            ["single-point"] if node.single_point else []) + (
            [] if node.member else ["outsider"])
        tags = [] if node.member else ["✕ not a member"]
        if node.leader:
            tags.append("★ leader")
        if node.single_point:
            tags.append("⚠ single point of failure")
        spoken = node.label + "".join(f", {t[2:]}" for t in tags) + f" ({node.kind_label})"
        open_link = (f'<a href="{e(node.href)}" aria-label="{e(spoken)}">' if node.href
                     else "")
        out.append(
            f'<g class="{" ".join(classes)}" data-iri="{e(node.iri)}" '
            f'data-kind="{e(node.kind_label)}" tabindex="{-1 if node.href else 0}">'
            + open_link + f"<title>{e(spoken)}</title>"
        )
        if node.single_point:
            out.append(f'<circle class="ring" cx="{node.x}" cy="{node.y}" r="{RADIUS + 6}"/>')
        if node.leader:
            s = RADIUS * 1.8
            out.append(f'<rect class="shape" x="{node.x - s / 2:.1f}" y="{node.y - s / 2:.1f}" '
                       f'width="{s:.1f}" height="{s:.1f}" fill="{fill[node.kind]}"/>')
        else:
            out.append(f'<circle class="shape" cx="{node.x}" cy="{node.y}" r="{RADIUS}" '
                       f'fill="{fill[node.kind]}"/>')
        if tags:
            out.append(f'<text class="tag" x="{node.x}" y="{node.y - RADIUS - 8:.1f}">'
                       f'{e(" · ".join(tags))}</text>')
        out.append(f'<text class="label" x="{node.x}" y="{node.y + RADIUS + 13:.1f}">')
        for i, line in enumerate(_wrap(node.label)):
            dy = 0 if i == 0 else LINE_HEIGHT
            out.append(f'<tspan x="{node.x}" dy="{dy}">{e(line)}</tspan>')
        out.append("</text>")
        out.append(("</a>" if node.href else "") + "</g>")
    out.append("</g></svg>")
    return Markup("".join(out))
