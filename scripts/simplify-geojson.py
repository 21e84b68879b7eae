#!/usr/bin/env python3
"""Build simplified Hunan outlines for the Leaflet map (config/geo/).

Pure python3 standard library; nothing to pip install.

Input: a checkout of https://github.com/lyhmyd1211/GeoMapData_CN, branch V3
(DataV.GeoAtlas data, GCJ-02). It reads:
  citys/43XX00.json  - the county-level divisions of each of the 14 prefectures
  province/430000.json - only for the prefecture names

Output:
  hunan-districts.geojson  {"code": "430102", "name": "芙蓉区", "city": "4301"}
  hunan-cities.geojson     {"code": "4301", "name": "长沙市"}

How:
  1. Load the 122 county features from the 14 per-prefecture files.
  2. Snap the borders between prefectures together. Each prefecture file was
     simplified by DataV on its own, so the two sides of a prefecture border
     carry different vertex subsets of the same line (median gap ~1 m).
     Border vertices of different prefectures closer than --snap-vertex are
     merged, then each remaining border vertex that lies within --snap-edge
     of the other side's border segment is inserted into that segment.
  3. Cut every ring into arcs at the points where the set of neighbours
     changes (the TopoJSON way), so every shared border is one arc.
  4. Simplify each arc once with Douglas-Peucker (--tolerance, metres;
     longitudes scaled by cos(27.5 deg)), so neighbours stay gap-free.
  5. Prefectures are the dissolve of their counties: the arcs used by only
     one county of a prefecture, chained into rings. Both layers therefore
     share the same borders.
  6. Round to --digits decimals, drop parts and holes smaller than
     --min-area km2 (the largest part of a feature is always kept), write
     RFC 7946 ring order (outer counter-clockwise).

Codes: DataV V3 still has 祁阳市 under its old county code 431121; it is
written as 431181 (CODE_REMAP). Everything is cross-checked against --places.

Usage (see config/geo/README.md), from the repository root:
  git clone --branch V3 https://github.com/lyhmyd1211/GeoMapData_CN /tmp/GeoMapData_CN
  python3 scripts/simplify-geojson.py --source /tmp/GeoMapData_CN --out config/geo
"""

import argparse
import collections
import csv
import json
import math
import os
import sys

CITY_CODES = ["4301", "4302", "4303", "4304", "4305", "4306", "4307",
              "4308", "4309", "4310", "4311", "4312", "4313", "4331"]

# Codes DataV V3 (2021.5) still carries in their old form.
# 祁阳县 became 祁阳市 in 2021 and its code changed 431121 -> 431181.
CODE_REMAP = {"431121": "431181"}

LAT0 = 27.5                      # middle of Hunan, for the lon scale
KX = math.cos(math.radians(LAT0))
M_PER_DEG = 111320.0


# ---------------------------------------------------------------- loading

def load_polygons(geom):
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    out = []
    for poly in polys:
        rings = []
        for ring in poly:
            pts = [(float(x), float(y)) for x, y in ring]
            if pts and pts[0] == pts[-1]:
                pts.pop()
            pts = dedupe(pts)
            if len(pts) >= 3:
                rings.append(pts)
        if rings:
            out.append(rings)
    return out


def dedupe(pts):
    """Drop consecutive duplicates of an open ring (also across the wrap)."""
    out = []
    for p in pts:
        if not out or out[-1] != p:
            out.append(p)
    while len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def load_source(src):
    names = {}
    with open(os.path.join(src, "province", "430000.json"), encoding="utf-8") as fh:
        for f in json.load(fh)["features"]:
            names[str(f["properties"]["adcode"])[:4]] = f["properties"]["name"]
    districts = []
    for city in CITY_CODES:
        path = os.path.join(src, "citys", city + "00.json")
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        for f in data["features"]:
            code = str(f["properties"]["adcode"])
            code = CODE_REMAP.get(code, code)
            districts.append({"code": code, "name": f["properties"]["name"],
                              "city": city, "polys": load_polygons(f["geometry"])})
    return names, districts


# ---------------------------------------------------------------- helpers

def ring_edges(ring):
    n = len(ring)
    for i in range(n):
        yield ring[i], ring[(i + 1) % n]


def ekey(a, b):
    return (a, b) if a <= b else (b, a)


def all_rings(districts):
    for d in districts:
        for poly in d["polys"]:
            for ring in poly:
                yield d, ring


def border_edges(districts):
    """Edges used by exactly one ring of their own prefecture, per prefecture."""
    per_city = collections.defaultdict(collections.Counter)
    for d, ring in all_rings(districts):
        c = per_city[d["city"]]
        for a, b in ring_edges(ring):
            c[ekey(a, b)] += 1
    return {city: [e for e, n in cnt.items() if n == 1] for city, cnt in per_city.items()}


def global_unshared_length(districts):
    cnt = collections.Counter()
    for _, ring in all_rings(districts):
        for a, b in ring_edges(ring):
            cnt[ekey(a, b)] += 1
    return sum(math.hypot((a[0] - b[0]) * KX, a[1] - b[1]) for (a, b), n in cnt.items() if n == 1) * M_PER_DEG / 1000


class Grid:
    def __init__(self, cell):
        self.cell = cell
        self.cells = collections.defaultdict(list)

    def _ix(self, v):
        return int(math.floor(v / self.cell))

    def add_point(self, p, item):
        self.cells[(self._ix(p[0]), self._ix(p[1]))].append(item)

    def add_segment(self, a, b, item):
        for gx in range(self._ix(min(a[0], b[0])), self._ix(max(a[0], b[0])) + 1):
            for gy in range(self._ix(min(a[1], b[1])), self._ix(max(a[1], b[1])) + 1):
                self.cells[(gx, gy)].append(item)

    def near(self, p):
        gx, gy = self._ix(p[0]), self._ix(p[1])
        seen = set()
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                for item in self.cells.get((gx + ox, gy + oy), ()):
                    if id(item) not in seen:
                        seen.add(id(item))
                        yield item


def seg_project(p, a, b):
    """(distance in degrees-of-latitude, t) of p onto segment a-b."""
    ax, ay = a[0] * KX, a[1]
    bx, by = b[0] * KX, b[1]
    px, py = p[0] * KX, p[1]
    dx, dy = bx - ax, by - ay
    L = dx * dx + dy * dy
    t = 0.0 if L == 0 else ((px - ax) * dx + (py - ay) * dy) / L
    tc = max(0.0, min(1.0, t))
    return math.hypot(px - ax - tc * dx, py - ay - tc * dy), t


def dist(a, b):
    return math.hypot((a[0] - b[0]) * KX, a[1] - b[1])


def apply_point_map(districts, mapping):
    for d in districts:
        polys = []
        for poly in d["polys"]:
            rings = [dedupe([mapping.get(p, p) for p in ring]) for ring in poly]
            rings = [r for r in rings if len(r) >= 3]
            if rings:
                polys.append(rings)
        d["polys"] = polys


# ---------------------------------------------------------------- snapping

def snap_borders(districts, snap_vertex_m, snap_edge_m):
    ev = snap_vertex_m / M_PER_DEG
    ee = snap_edge_m / M_PER_DEG

    # 1. merge border vertices of different prefectures closer than ev
    borders = border_edges(districts)
    grid = Grid(max(ev, 1e-4) * 2)
    verts = {}
    for city, edges in borders.items():
        for a, b in edges:
            for p in (a, b):
                if (city, p) not in verts:
                    verts[(city, p)] = [city, p]
                    grid.add_point(p, verts[(city, p)])
    parent = {}

    def find(p):
        while parent.get(p, p) != p:
            parent[p] = parent.get(parent[p], parent[p])
            p = parent[p]
        return p

    for (city, p), _ in verts.items():
        for c2, q in grid.near(p):
            if c2 != city and q != p and dist(p, q) <= ev:
                rp, rq = find(p), find(q)
                if rp != rq:
                    lo, hi = min(rp, rq), max(rp, rq)
                    parent[hi] = lo
    mapping = {p: find(p) for p in parent}
    mapping = {p: r for p, r in mapping.items() if p != r}
    apply_point_map(districts, mapping)

    # 2. insert border vertices into the other side's border segments
    borders = border_edges(districts)
    grid = Grid(max(ee, 1e-4) * 2)
    for city, edges in borders.items():
        for a, b in edges:
            grid.add_segment(a, b, (city, a, b))
    border_pts = {city: {p for e in edges for p in e} for city, edges in borders.items()}
    border_set = {city: set(edges) for city, edges in borders.items()}
    inserts = collections.defaultdict(set)
    for city, pts in border_pts.items():
        for p in pts:
            best = {}
            for c2, a, b in grid.near(p):
                # skip own edges (an edge merged in step 1 belongs to both sides)
                # and cities already having p
                if c2 == city or p in border_pts[c2] or (a, b) in border_set[city]:
                    continue
                dd, t = seg_project(p, a, b)
                if dd <= ee and 0.0 < t < 1.0 and dist(p, a) > ev and dist(p, b) > ev:
                    if c2 not in best or dd < best[c2][0]:
                        best[c2] = (dd, a, b)
            for dd, a, b in best.values():
                inserts[ekey(a, b)].add((dd, p))
    for d in districts:
        polys = []
        for poly in d["polys"]:
            new_rings = []
            for ring in poly:
                # a point may be a candidate for several edges of one ring
                # (edges shared exactly after step 1): use the nearest
                have = set(ring)
                pick = {}
                for i, (a, b) in enumerate(ring_edges(ring)):
                    for dd, p in inserts.get(ekey(a, b), ()):
                        if p not in have and (p not in pick or dd < pick[p][0]):
                            pick[p] = (dd, i)
                per_edge = collections.defaultdict(list)
                for p, (dd, i) in pick.items():
                    per_edge[i].append(p)
                out = []
                for i, (a, b) in enumerate(ring_edges(ring)):
                    out.append(a)
                    if i in per_edge:
                        out.extend(sorted(per_edge[i], key=lambda p: seg_project(p, a, b)[1]))
                new_rings.append(dedupe(out))
            polys.append(new_rings)
        d["polys"] = polys
    return len(mapping), len({p for v in inserts.values() for _, p in v})


# ---------------------------------------------------------------- topology

class Topology:
    """Rings as lists of (arc id, forward) with every shared border one arc."""

    def __init__(self):
        self.arcs = []          # canonical point tuples
        self.index = {}

    def _arc_ref(self, pts):
        fwd = tuple(pts)
        rev = fwd[::-1]
        if rev < fwd:
            key, forward = rev, False
        else:
            key, forward = fwd, True
        if key not in self.index:
            self.index[key] = len(self.arcs)
            self.arcs.append(key)
        return (self.index[key], forward)

    def build(self, rings):
        first = {}
        junction = set()
        for ring in rings:
            n = len(ring)
            seen = set()
            for i, p in enumerate(ring):
                nb = frozenset((ring[i - 1], ring[(i + 1) % n]))
                if p in seen:
                    junction.add(p)
                seen.add(p)
                if p in first:
                    if first[p] != nb:
                        junction.add(p)
                else:
                    first[p] = nb
        refs = []
        for ring in rings:
            js = [i for i, p in enumerate(ring) if p in junction]
            if not js:
                # closed ring with no junction: canonical rotation so a ring
                # shared whole (enclave) is one arc on both sides
                k = min(range(len(ring)), key=lambda i: ring[i])
                r = ring[k:] + ring[:k]
                rr = [r[0]] + r[1:][::-1]
                if tuple(rr) < tuple(r):
                    refs.append([(self._arc_ref(rr + [rr[0]])[0], False)])
                else:
                    refs.append([(self._arc_ref(r + [r[0]])[0], True)])
                continue
            r = ring[js[0]:] + ring[:js[0]]
            cuts = [i - js[0] for i in js] + [len(ring)]
            r = r + [r[0]]
            refs.append([self._arc_ref(r[cuts[k]:cuts[k + 1] + 1]) for k in range(len(cuts) - 1)])
        return refs

    def simplify(self, tol_m, digits):
        tol = tol_m / M_PER_DEG
        out = []
        for arc in self.arcs:
            closed = arc[0] == arc[-1]
            keep = douglas_peucker(arc, tol, closed)
            pts = [(round(arc[i][0], digits), round(arc[i][1], digits)) for i in keep]
            out.append(pts)
        return out


def douglas_peucker(pts, tol, closed):
    n = len(pts)
    if n <= 2:
        return list(range(n))
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    if closed:
        # closed arc: always split at the farthest point, and keep the farthest
        # point of each half, so a simplified island stays a polygon
        far = max(range(1, n - 1), key=lambda i: dist(pts[i], pts[0]))
        keep[far] = True
        stack = []
        for lo, hi in ((0, far), (far, n - 1)):
            if hi - lo > 1:
                m = max(range(lo + 1, hi), key=lambda i: seg_project(pts[i], pts[lo], pts[hi])[0])
                keep[m] = True
                stack += [(lo, m), (m, hi)]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        a, b = pts[lo], pts[hi]
        best, bi = -1.0, -1
        for i in range(lo + 1, hi):
            d = seg_project(pts[i], a, b)[0]
            if d > best:
                best, bi = d, i
        if best > tol:
            keep[bi] = True
            stack += [(lo, bi), (bi, hi)]
    return [i for i in range(n) if keep[i]]


def materialise(ref_ring, arcs):
    pts = []
    for aid, fwd in ref_ring:
        seg = arcs[aid] if fwd else arcs[aid][::-1]
        pts.extend(seg if not pts else seg[1:])
    pts = dedupe(pts[:-1] if pts and pts[0] == pts[-1] else pts)
    return pts


def ring_area_km2(ring):
    s = 0.0
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        s += x1 * y2 - x2 * y1
    return s / 2 * KX * (M_PER_DEG / 1000) ** 2


def point_in_ring(p, ring):
    x, y = p
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def dissolve(ref_rings):
    """Arc refs used by only one of the given rings (the dissolved outline)."""
    count = collections.Counter(aid for rr in ref_rings for aid, _ in rr)
    left = [(aid, fwd) for rr in ref_rings for aid, fwd in rr if count[aid] == 1]
    return left


def chain(refs, topo_arcs):
    def ends(ref):
        a = topo_arcs[ref[0]]
        return (a[0], a[-1]) if ref[1] else (a[-1], a[0])
    by_start = collections.defaultdict(list)
    for r in refs:
        by_start[ends(r)[0]].append(r)
    used = set()
    rings = []
    for r in refs:
        if r in used:
            continue
        ring = [r]
        used.add(r)
        start, end = ends(r)
        while end != start:
            nxt = next((c for c in by_start[end] if c not in used), None)
            if nxt is None:
                raise RuntimeError("dissolve: open chain")
            used.add(nxt)
            ring.append(nxt)
            end = ends(nxt)[1]
        rings.append(ring)
    return rings


# ---------------------------------------------------------------- assembly

def assemble(ref_polys, arcs, min_area):
    """ref_polys: list of [outer_ref_ring, hole_ref_ring...]; returns GeoJSON coordinates."""
    polys = []
    for rp in ref_polys:
        outer = materialise(rp[0], arcs)
        if len(outer) < 3:
            continue
        holes = [h for h in (materialise(r, arcs) for r in rp[1:]) if len(h) >= 3]
        holes = [h for h in holes if abs(ring_area_km2(h)) >= min_area]
        polys.append((abs(ring_area_km2(outer)), outer, holes))
    if not polys:
        return None
    polys.sort(key=lambda t: -t[0])
    polys = [polys[0]] + [p for p in polys[1:] if p[0] >= min_area]
    coords = []
    for _, outer, holes in polys:
        if ring_area_km2(outer) < 0:
            outer = outer[::-1]
        rings = [outer + [outer[0]]]
        for h in holes:
            if ring_area_km2(h) > 0:
                h = h[::-1]
            rings.append(h + [h[0]])
        coords.append([[list(p) for p in r] for r in rings])
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def write_fc(path, features):
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        fh.write(",\n".join(lines))
        fh.write("\n]}\n")


def count_points(geom):
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return sum(len(r) for p in polys for r in p)


def validate(path):
    with open(path, encoding="utf-8") as fh:
        fc = json.load(fh)
    for f in fc["features"]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        for poly in polys:
            for ring in poly:
                assert len(ring) >= 4, (f["properties"], "ring too short")
                assert ring[0] == ring[-1], (f["properties"], "ring not closed")
    return fc


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", required=True, help="checkout of lyhmyd1211/GeoMapData_CN (branch V3)")
    ap.add_argument("--out", default="config/geo")
    ap.add_argument("--places", default="config/places/hunan.csv", help="code,name list to cross-check")
    ap.add_argument("--tolerance", type=float, default=300.0,
                    help="Douglas-Peucker tolerance in metres (both layers)")
    ap.add_argument("--city-tolerance", type=float, default=None,
                    help="metres, for the prefecture layer only (default: --tolerance; "
                         "a different value makes the two layers' borders differ)")
    ap.add_argument("--digits", type=int, default=4, help="decimals kept in coordinates")
    ap.add_argument("--min-area", type=float, default=1.0,
                    help="km2; smaller parts and holes are dropped (largest part always kept)")
    ap.add_argument("--snap-vertex", type=float, default=10.0, help="metres")
    ap.add_argument("--snap-edge", type=float, default=200.0, help="metres")
    args = ap.parse_args()

    names, districts = load_source(args.source)
    n_in = sum(len(r) for _, r in all_rings(districts))
    before = global_unshared_length(districts)
    merged, inserted = snap_borders(districts, args.snap_vertex, args.snap_edge)
    after = global_unshared_length(districts)
    print(f"source: {len(districts)} districts, {n_in} vertices")
    print(f"snap: {merged} vertices merged, {inserted} inserted; unshared border "
          f"{before:.0f} km -> {after:.0f} km (province outline + unmatched stretches)")

    # topology over every ring of every district
    flat = []
    owner = []
    for di, d in enumerate(districts):
        for pi, poly in enumerate(d["polys"]):
            for ri, ring in enumerate(poly):
                flat.append(ring)
                owner.append((di, pi, ri))
    topo = Topology()
    refs = topo.build(flat)
    print(f"topology: {len(topo.arcs)} arcs")
    ref_polys = collections.defaultdict(lambda: collections.defaultdict(list))
    for (di, pi, ri), rr in zip(owner, refs):
        ref_polys[di][pi].append(rr)

    # districts layer
    arcs_d = topo.simplify(args.tolerance, args.digits)
    dfeat = []
    for di, d in enumerate(districts):
        geom = assemble([ref_polys[di][pi] for pi in sorted(ref_polys[di])], arcs_d, args.min_area)
        if geom is None:
            raise RuntimeError(f"{d['code']} {d['name']} vanished")
        dfeat.append({"type": "Feature",
                      "properties": {"code": d["code"], "name": d["name"], "city": d["city"]},
                      "geometry": geom})
    dfeat.sort(key=lambda f: f["properties"]["code"])

    # cities layer: dissolve the districts at arc level
    if args.city_tolerance is None or args.city_tolerance == args.tolerance:
        arcs_c = arcs_d
    else:
        arcs_c = topo.simplify(args.city_tolerance, args.digits)
    cfeat = []
    for city in CITY_CODES:
        rr = [refs[k] for k, (di, _, _) in enumerate(owner) if districts[di]["city"] == city]
        loops = chain(dissolve(rr), topo.arcs)
        outers, holes = [], []
        for lp in loops:
            full = materialise(lp, [list(a) for a in topo.arcs])
            (outers if ring_area_km2(full) > 0 else holes).append((lp, full))
        polys = [[lp] for lp, _ in outers]
        for lp, full in holes:
            inside = [k for k, (_, of) in enumerate(outers) if point_in_ring(full[0], of)]
            if inside:
                k = min(inside, key=lambda k: abs(ring_area_km2(outers[k][1])))
                polys[k].append(lp)
        geom = assemble(polys, arcs_c, args.min_area)
        cfeat.append({"type": "Feature", "properties": {"code": city, "name": names[city]},
                      "geometry": geom})

    os.makedirs(args.out, exist_ok=True)
    cpath = os.path.join(args.out, "hunan-cities.geojson")
    dpath = os.path.join(args.out, "hunan-districts.geojson")
    write_fc(cpath, cfeat)
    write_fc(dpath, dfeat)

    for path in (cpath, dpath):
        fc = validate(path)
        pts = sum(count_points(f["geometry"]) for f in fc["features"])
        print(f"{path}: {len(fc['features'])} features, {pts} positions, {os.path.getsize(path) / 1024:.1f} KiB")

    if args.places and os.path.exists(args.places):
        with open(args.places, encoding="utf-8") as fh:
            places = {r["code"]: r["name"] for r in csv.DictReader(fh)}
        ours = {f["properties"]["code"]: f["properties"]["name"] for f in cfeat + dfeat}
        want = {c: n for c, n in places.items() if len(c) in (4, 6)}
        problems = 0
        for c in sorted(set(want) | set(ours)):
            if c not in ours:
                print(f"  in {args.places} but no outline: {c} {want[c]}"); problems += 1
            elif c not in want:
                print(f"  outline not in {args.places}: {c} {ours[c]}"); problems += 1
            elif want[c] != ours[c]:
                print(f"  name differs for {c}: csv {want[c]} / outline {ours[c]}"); problems += 1
        print(f"cross-check with {args.places}: {problems} mismatches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
