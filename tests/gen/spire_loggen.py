#!/usr/bin/env python3
"""spire_loggen.py - spire-shipper's own SPIRE container-log generator.

Writes what a kubelet leaves in /var/log/containers for spire-server and
spire-agent pods, and the exact ground truth the integration tests compare
the shipper against:

  * runtime envelope: Docker json-file or CRI, with 16 KiB partial splitting;
  * inner line: SPIRE's logrus JSON (sorted keys, RFC3339Nano, HTML
    escaping) or logrus text (Go %q quoting, sorted keys);
  * realistic SPIRE messages and field names, audit lines, foreign stderr
    text, and deliberately bad lines of seven kinds;
  * <out>/manifest.json (counters per physical file, computed from what was
    written) and <out>/expected_kept.tsv (every valid record a WARN/ERROR
    or audit filter must keep, for exact loss/duplication checks).

Deterministic for a given --seed (except --follow, which uses the wall
clock). Python 3 standard library only. See tests/gen/README.
"""

import argparse
import functools
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sys
import time

LEVELS = ("debug", "info", "warning", "error")
LEVEL_MIX = (40.0, 54.5, 3.0, 2.5)
WARN_ERROR = ("warning", "error")
# Classification order: the first kind that applies names a bad line.
BAD_KINDS = ("empty", "oversized", "embedded_nul", "invalid_utf8",
             "foreign_text", "deep_nesting", "truncated")
SPLIT_BYTES = 16384          # dockerd buffer / containerd max_container_log_line_size
OVERSIZED_BYTES = 1048576    # a logical line longer than this is "oversized"
MAX_DEPTH = 64               # JSON nested deeper than this is "deep_nesting"
CRI_CHUNK_NS = 300           # CRI partial chunks of one line are this far apart
BASE_NS = 1714550400 * 10**9  # 2024-05-01T08:00:00Z
TRUST_DOMAIN = "prod.example.org"
CLUSTER = "prod-us1"
VERSION = "1.15.3"

# ---------------------------------------------------------------------------
# Go values and how logrus renders them
# ---------------------------------------------------------------------------


class GoTime:
    """time.Time. JSON: RFC3339Nano; text: Time.String() (with m=+ when monotonic)."""
    def __init__(self, ns, mono=None):
        self.ns, self.mono = ns, mono


class GoDur:
    """time.Duration. JSON: integer nanoseconds; text: Duration.String()."""
    def __init__(self, ns):
        self.ns = ns


class GoCode:
    """grpc codes.Code. JSON: integer; text: its name."""
    def __init__(self, n):
        self.n = n


class GoStruct:
    """A struct: JSON keeps field order; text is fmt's {v1 v2} unless text= given."""
    def __init__(self, items, text=None):
        self.items, self.text = items, text


class Selector:
    """A proto selector: JSON {"type","value"}; text in prototext form."""
    def __init__(self, typ, value):
        self.typ, self.value = typ, value


CODE_NAMES = ("OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
              "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
              "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
              "Internal", "Unavailable", "DataLoss", "Unauthenticated")


@functools.lru_cache(maxsize=8192)
def _ymdhms(sec, sep="T"):
    return time.strftime("%Y-%m-%d" + sep + "%H:%M:%S", time.gmtime(sec))


def rfc3339(ns, nano=True, off_min=0):
    """RFC3339Nano (trailing zeros trimmed) or RFC3339 (whole seconds)."""
    sec, frac = divmod(ns + off_min * 60 * 10**9, 10**9)
    s = _ymdhms(sec)
    if nano and frac:
        s += "." + ("%09d" % frac).rstrip("0")
    if off_min == 0:
        return s + "Z"
    a = abs(off_min)
    return s + "%s%02d:%02d" % ("+" if off_min > 0 else "-", a // 60, a % 60)


def go_time_string(t):
    sec, frac = divmod(t.ns, 10**9)
    s = _ymdhms(sec, " ")
    if frac:
        s += "." + ("%09d" % frac).rstrip("0")
    s += " +0000 UTC"
    if t.mono is not None:
        s += " m=+%.9f" % t.mono
    return s


def _frac(n, unit):
    q, r = divmod(n, unit)
    digits = len(str(unit)) - 1
    return str(q) + (("." + ("%0*d" % (digits, r)).rstrip("0")) if r else "")


def go_duration(ns):
    """time.Duration.String()."""
    if ns == 0:
        return "0s"
    if ns < 1000:
        return "%dns" % ns
    if ns < 10**6:
        return _frac(ns, 1000) + "\u00b5s"
    if ns < 10**9:
        return _frac(ns, 10**6) + "ms"
    sec = ns // 10**9
    out = _frac(ns % (60 * 10**9), 10**9) + "s"
    if sec >= 60:
        out = "%dm" % ((sec // 60) % 60) + out
    if sec >= 3600:
        out = "%dh" % (sec // 3600) + out
    return out


def go_float(x):
    """strconv 'shortest' form as encoding/json and %v write it (our range)."""
    if x == int(x) and abs(x) < 1e21:
        return "%d" % x
    return repr(x)


_JESC = re.compile('["\\\\\x00-\x1f<>&\u2028\u2029]')
_JMAP = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
         "\b": "\\b", "\f": "\\f"}


def _jrepl(m):
    c = m.group()
    return _JMAP.get(c) or "\\u%04x" % ord(c)


def json_str(s):
    """encoding/json string with HTML escaping (also used for Docker's log)."""
    return '"' + _JESC.sub(_jrepl, s) + '"'


def go_json(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return json_str(v)
    if isinstance(v, GoTime):
        return json_str(rfc3339(v.ns))
    if isinstance(v, GoDur):
        return str(v.ns)
    if isinstance(v, GoCode):
        return str(v.n)
    if isinstance(v, GoStruct):
        return "{" + ",".join(json_str(k) + ":" + go_json(x) for k, x in v.items) + "}"
    if isinstance(v, Selector):
        return '{"type":%s,"value":%s}' % (json_str(v.typ), json_str(v.value))
    if isinstance(v, dict):
        return "{" + ",".join(json_str(k) + ":" + go_json(v[k]) for k in sorted(v)) + "}"
    return "[" + ",".join(go_json(x) for x in v) + "]"


_QSIMPLE = re.compile(r'[^\x20-\x7e]|["\\]')
_QSHORT = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
           "\t": "\\t", "\v": "\\v"}


def go_quote(s):
    """strconv.Quote (Go %q): printable runes kept, the rest escaped."""
    if not _QSIMPLE.search(s):
        return '"' + s + '"'
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7f or (o > 0x7f and ch.isprintable()):
            out.append(ch)
        elif ch in _QSHORT:
            out.append(_QSHORT[ch])
        elif o < 0x80:
            out.append("\\x%02x" % o)
        elif o < 0x10000:
            out.append("\\u%04x" % o)
        else:
            out.append("\\U%08x" % o)
    return '"' + "".join(out) + '"'


def go_sprint(v):
    """fmt.Sprint of a field value, as logrus' TextFormatter calls it."""
    if v is None:
        return "[]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, GoTime):
        return go_time_string(v)
    if isinstance(v, GoDur):
        return go_duration(v.ns)
    if isinstance(v, GoCode):
        return CODE_NAMES[v.n]
    if isinstance(v, GoStruct):
        if v.text is not None:
            return v.text
        return "{" + " ".join(go_sprint(x) for _, x in v.items) + "}"
    if isinstance(v, Selector):
        return "type:%s value:%s" % (go_quote(v.typ), go_quote(v.value))
    if isinstance(v, dict):
        return "map[" + " ".join("%s:%s" % (k, go_sprint(v[k])) for k in sorted(v)) + "]"
    return "[" + " ".join(go_sprint(x) for x in v) + "]"


_NEEDS_QUOTE = re.compile(r"[^A-Za-z0-9\-._/@^+]")


def text_value(v):
    s = go_sprint(v)
    return go_quote(s) if _NEEDS_QUOTE.search(s) else s


def render_json(level, msg, tstr, fields):
    d = dict(fields)
    d.update(level=level, msg=msg, time=tstr)
    return "{" + ",".join(json_str(k) + ":" + go_json(d[k]) for k in sorted(d)) + "}"


def render_text_parts(level, msg, tstr, fields):
    """logrus TextFormatter: time, level, msg (if not empty), sorted data keys."""
    parts = [("time", text_value(tstr)), ("level", level)]
    if msg:
        parts.append(("msg", text_value(msg)))
    parts += [(k, text_value(fields[k])) for k in sorted(fields)]
    return parts


def join_parts(parts):
    return " ".join(k + "=" + v for k, v in parts)

# ---------------------------------------------------------------------------
# Security events: what the spire filter must call each record, written
# from SPIRE-LOGS.md's message catalogue (independently of the C table).
# First match wins; only warning/error records are events, except audit
# records (type=audit, info) and net/http's TLS lines with a certificate
# problem, which have no level at all.
# ---------------------------------------------------------------------------

EVENT_RULES = [
    ("attestation_failure", re.compile(
        r"(Nodeattestor\(|Invalid argument: nodeattestor\(|Invalid argument: failed to attest"
        r"|Invalid argument: join token expired$|Failed to attest: |Attestation data has already been used"
        r"|The node attestor produced an invalid agent ID|Error getting node attestor"
        r"|Agent failed re-attestation|Agent is banned: |Failed to retrieve attestation result$"
        r"|Agent needs to re-attest)")),
    ("unauthorized", re.compile(
        r"(Failed to authenticate caller$|Authorization failure from OPA|Agent SVID is expired$"
        r"|Agent is not attested$|Agent is banned$|Caller ID missing)")),
    ("certificate_violation", re.compile(
        r"(Invalid argument: failed to verify CSR signature|Failed to validate JWT$)")),
    ("federation_failure", re.compile(
        r"(Error updating bundle$|Failed to publish bundle$|Failed to fetch federated bundle"
        r"|Federated bundle not found)")),
    ("ca_rotation_problem", re.compile(
        r"(Unable to rotate|Unable to append|Failed to update.*journal|Failed to force intermediate"
        r"|Failed to notify on bundle update$|Could not prune|Pruning halted)")),
    ("svid_rotation_failure", re.compile(
        r"(Could not rotate|Could not reattest|SVID sync failed|Could not store SVID|Failed to remove SVID)")),
    ("rate_limited", re.compile(r"Rejecting request due to")),
    ("workload_attestation_failure", re.compile(
        r"(No identity issued$|workload attestor \"|Workload attestation failed|Failed to attest the workload$"
        r"|Timed out collecting selectors$|Failed to collect all selectors|Container id not found"
        r"|Unable to get pod list|Two pods found)")),
    ("process_tracking_failure", re.compile(
        r"(New process detected|Caller exit suspected|Caller is no longer being watched)")),
    ("datastore_error", re.compile(
        r"(Failed to update entry cache$|Failed to prune events$|Failed during periodic pruning"
        r"|Unable to look up agent information|DB schema|Fail to rebuild)")),
]
AGENT_SYNC_METHODS = ("SyncAuthorizedEntries", "GetAuthorizedEntries")


def security_event(level, msg, fields):
    """The event of a valid record, or None."""
    if fields.get("type") == "audit":
        return "audit"
    if level not in WARN_ERROR:
        return None
    err = fields.get("error") if isinstance(fields.get("error"), str) else ""
    if msg == "Agent crashed":
        return "attestation_failure" if "attestation" in err else None
    if msg == "Health check failed":
        check = fields.get("check", "")
        if check.startswith("server.ca"):
            return "ca_rotation_problem"
        return "datastore_error" if check == "catalog.datastore" else None
    for event, rx in EVENT_RULES:
        if rx.match(msg):
            return event
    return "datastore_error" if err.startswith("datastore-sql:") else None


def foreign_event(text):
    """net/http's TLS handshake errors about certificates (on stderr)."""
    if " http: TLS handshake error " in text and "certificate" in text:
        return "certificate_violation"
    return None


def is_agent_sync(fields):
    return (fields.get("type") == "audit" and fields.get("status") == "success"
            and fields.get("method") in AGENT_SYNC_METHODS)


# ---------------------------------------------------------------------------
# Random data of a SPIRE deployment
# ---------------------------------------------------------------------------


WORKLOADS = (("payments", "payments-api"), ("checkout", "checkout"),
             ("orders", "orders-worker"), ("kafka", "kafka-broker"),
             ("istio-system", "istio-ingressgateway-service-account"),
             ("vault", "vault"), ("monitoring", "prometheus"), ("default", "default"))
FEDERATED = ("partner.example.com", "payments.acme.test", "staging.example.org")
POD_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


class World:
    """Identities and helpers shared by one pod's records."""

    def __init__(self, rng):
        self.r = rng
        self.td = TRUST_DOMAIN
        self.agents = ["spiffe://%s/spire/agent/k8s_psat/%s/%s" % (self.td, CLUSTER, self.uuid())
                       for _ in range(24)]
        self.pids = [rng.randint(900, 60000) for _ in range(12)]

    def uuid(self):
        h = "%032x" % self.r.getrandbits(128)
        return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) % 4],
                                      h[17:20], h[20:32])

    def hexid(self, n):
        return "%0*x" % (n, self.r.getrandbits(4 * n))

    def addr(self):
        r = self.r
        return "10.42.%d.%d:%d" % (r.randint(0, 15), r.randint(2, 254), r.randint(32768, 60999))

    def agent(self):
        return self.r.choice(self.agents)

    def workload(self):
        ns, sa = self.r.choice(WORKLOADS)
        return ns, sa, "spiffe://%s/ns/%s/sa/%s" % (self.td, ns, sa)

    def sid(self):
        return self.workload()[2]

    def pid(self):
        return self.r.choice(self.pids) if self.r.random() < 0.8 else self.r.randint(900, 60000)

    def api(self, service, method, caller=True, **extra):
        f = {"caller_addr": self.addr(), "method": method, "request_id": self.uuid(),
             "service": service, "subsystem_name": "api"}
        if caller:
            f["caller_id"] = caller if isinstance(caller, str) else self.agent()
        f.update(extra)
        return f

    def selectors(self, n):
        ns, sa, _ = self.workload()
        base = [Selector("k8s", "ns:" + ns), Selector("k8s", "sa:" + sa),
                Selector("unix", "uid:%d" % self.r.choice((0, 1000, 65532)))]
        return base + [Selector("k8s", "pod-label:%s:%s" % (k, v)) for k, v in big_labels(n)]


@functools.lru_cache(maxsize=1)
def _label_pool():
    return [("app.kubernetes.io/part-of-%05d" % i, "svc-%05d" % (i * 7919 % 100000))
            for i in range(30000)]


def big_labels(n):
    return _label_pool()[:n]


def audit(api, status="success", code=None, message=None):
    f = dict(api, type="audit", status=status)
    if code is not None:
        f.update(status_code=GoCode(code), status_message=message)
    return ("info", "API accessed", f)


def status_message(msg, err):
    if msg.startswith("Invalid argument: "):
        sm = msg[len("Invalid argument: "):]
    else:
        sm = msg[0].lower() + msg[1:]
    return sm + ": " + err if err else sm


def rpc_err(code, desc):
    return "rpc error: code = %s desc = %s" % (CODE_NAMES[code], desc)

# ---------------------------------------------------------------------------
# Message catalogue (see SPIRE-LOGS.md for the sources)
# ---------------------------------------------------------------------------


class Catalogue:
    """Weighted record templates per level. Each template returns a list of
    (level, msg, fields); the first is of the drawn level."""

    def __init__(self, world, audit_on):
        self.w, self.r, self.audit_on = world, world.r, audit_on
        self.table = {lvl: [] for lvl in LEVELS}
        self.setup()
        self.cum = {lvl: self._cum(t) for lvl, t in self.table.items()}

    def add(self, level, weight, fn):
        self.table[level].append((weight, fn))

    @staticmethod
    def _cum(t):
        acc, out = 0.0, []
        for weight, _ in t:
            acc += weight
            out.append(acc)
        return out

    def draw(self, level):
        fns = [fn for _, fn in self.table[level]]
        return self.r.choices(fns, cum_weights=self.cum[level])[0]()

    def fail(self, msg, code, api, err=None):
        """An API error as MakeErr logs it, followed by its audit line."""
        f = dict(api)
        if err:
            f["error"] = err
        recs = [("error", msg, f)]
        if self.audit_on:
            recs.append(audit(api, "error", code, status_message(msg, err)))
        return recs

    def health_failed(self, check, details, err):
        return [("warning", "Health check failed",
                 {"check": check, "details": details, "error": err,
                  "failures": self.r.randint(1, 9), "subsystem_name": "health"})]

    def health_recovered(self, check):
        return [("info", "Health check recovered",
                 {"check": check, "details": GoStruct([]),
                  "duration": GoDur(self.r.randint(5, 300) * 10**9 + self.r.randint(0, 10**9)),
                  "subsystem_name": "health"})]

    def new_process(self):
        what = self.r.choice(("starttime", "uid", "gid"))
        a, b = self.r.randint(1000, 99999), self.r.randint(1000, 99999)
        return [("warning", "New process detected: process %s does not match original caller" % what,
                 {"expect_" + ("start_time" if what == "starttime" else what): a,
                  "received_" + ("start_time" if what == "starttime" else what): b, "type": "linux"})]


class ServerCatalogue(Catalogue):
    def setup(self):
        w, r = self.w, self.r
        self.add("debug", 30, lambda: [("debug", "Signed X509 SVID", w.api(
            "svid.v1.SVID", "BatchNewX509SVID", expiration=rfc3339(BASE_NS + r.randint(1, 9) * 3600 * 10**9, False),
            revision_number=r.randint(0, 40), serial_num=str(r.getrandbits(120)), spiffe_id=w.sid()))])
        self.add("debug", 12, lambda: [("debug", "Server CA successfully signed JWT SVID", w.api(
            "svid.v1.SVID", "NewJWTSVID",
            audience=[r.choice(("kafka", "vault", "spiffe://%s/ns/orders/sa/orders" % w.td))],
            expiration=rfc3339(BASE_NS + 300 * 10**9, False), spiffe_id=w.sid()))])
        self.add("debug", 10, lambda: [("debug", "Agent status updated", w.api(
            "agent.v1.Agent", "PostStatus", agent_version=VERSION))])
        self.add("debug", 4, lambda: [("debug", "Polling for bundle update", {
            "subsystem_name": "bundle_client", "trust_domain": r.choice(FEDERATED)})])
        self.add("debug", 3, lambda: [("debug", "Scheduling next bundle refresh", {
            "at": GoTime(BASE_NS + r.randint(60, 3600) * 10**9, mono=r.uniform(60, 9000)),
            "subsystem_name": "bundle_client", "trust_domain": r.choice(FEDERATED)})])
        self.add("debug", 0.5, lambda: [("debug", "Successfully rotated X.509 CA", {
            "subsystem_name": "ca_manager", "trust_domain_id": "spiffe://" + w.td,
            "ttl": r.randint(80000, 86400) + r.randint(0, 999) / 1000.0})])
        if self.audit_on:
            self.add("info", 55, self.audit_success)
        self.add("info", 10, lambda: [("info", "Renewing agent SVID", w.api("agent.v1.Agent", "RenewAgent"))])
        self.add("info", 6, self.attest_ok)
        self.add("info", 4, lambda: [("info", "Bundle refreshed", {
            "subsystem_name": "bundle_client", "trust_domain": r.choice(FEDERATED)})])
        self.add("info", 1, self.ca_event)
        self.add("info", 0.5, lambda: self.health_recovered("catalog.datastore"))
        self.add("warning", 3, self.invalid_agent_id)
        self.add("warning", 1, lambda: [("warning", "Failed to notify on bundle update", {
            "error": "failed to publish bundle: context deadline exceeded", "subsystem_name": "ca_manager"})])
        self.add("warning", 1, lambda: self.health_failed(
            "catalog.datastore", GoStruct([("list_bundle_err", "datastore-sql: driver: bad connection")]),
            "subsystem is not live or ready"))
        self.add("warning", 1, self.new_process)
        for weight, fn in self.errors():
            self.add("error", weight, fn)

    def audit_success(self):
        w, r = self.w, self.r
        svc, m = r.choice((("entry.v1.Entry", "SyncAuthorizedEntries"), ("svid.v1.SVID", "BatchNewX509SVID"),
                           ("bundle.v1.Bundle", "GetBundle"), ("agent.v1.Agent", "RenewAgent"),
                           ("entry.v1.Entry", "GetAuthorizedEntries")))
        return [audit(w.api(svc, m))]

    def attest_ok(self):
        w = self.w
        api = w.api("agent.v1.Agent", "AttestAgent", caller=False, node_attestor_type="k8s_psat")
        aid = w.agent()
        recs = [("info", "Agent attestation request completed",
                 dict(api, address=api["caller_addr"].split(":")[0], agent_id=aid))]
        if self.audit_on:
            recs.append(audit(dict(api, agent_id=aid)))
        return recs

    def ca_event(self):
        w, r = self.w, self.r
        kind = r.choice(("X509 CA prepared", "X509 CA activated", "JWT key prepared", "JWT key activated"))
        issued = BASE_NS - r.randint(0, 3600) * 10**9
        f = {"expiration": GoTime(issued + 86400 * 10**9), "issued_at": GoTime(issued),
             "local_authority_id": w.hexid(40), "slot": r.choice("AB"), "subsystem_name": "ca_manager"}
        if kind.startswith("X509"):
            f["upstream_authority_id"] = ""
        if kind == "X509 CA prepared":
            f["self_signed"] = True
        return [("info", kind, f)]

    def invalid_agent_id(self):
        w = self.w
        aid = "spiffe://%s/spire/agent/join_token/%s" % (w.td, w.uuid())
        return [("warning", "The node attestor produced an invalid agent ID; future releases will enforce "
                 "that agent IDs are within the reserved agent namesepace for the node attestor",
                 w.api("agent.v1.Agent", "AttestAgent", caller=False, agent_id=aid, node_attestor_type="join_token",
                       error='"%s" is not in the agent namespace for attestor "join_token"' % aid))]

    def psat(self, msg, code, err=None):
        return self.fail(msg, code, self.w.api("agent.v1.Agent", "AttestAgent", caller=False,
                                               node_attestor_type=msg.split("(")[1].split(")")[0]), err)

    def errors(self):
        w, r = self.w, self.r
        pod = lambda: "%s-%s-%s" % (r.choice(WORKLOADS)[1], w.hexid(9), w.hexid(5))
        c = CLUSTER
        return [
            (3, lambda: self.psat('Nodeattestor(k8s_psat): "%s:%s" is not an allowed service account for cluster "%s"'
                                  % (r.choice(WORKLOADS) + (c,)), 7)),
            (3, lambda: self.psat('Nodeattestor(k8s_psat): token not authenticated according to TokenReview API '
                                  'for cluster "%s"' % c, 7)),
            (1, lambda: self.psat('Nodeattestor(k8s_psat): unable to validate token with TokenReview API for cluster '
                                  '"%s": Post "https://10.96.0.1:443/apis/authentication.k8s.io/v1/tokenreviews": '
                                  'context deadline exceeded' % c, 13)),
            (1, lambda: self.psat('Nodeattestor(k8s_psat): pod UID mismatch for pod "%s" in cluster "%s": token bound '
                                  'to pod UID "%s"' % (pod(), c, w.uuid()), 7)),
            (1, lambda: self.psat('Invalid argument: nodeattestor(k8s_psat): not configured for cluster "%s"'
                                  % r.choice(("staging-eu1", "dev")), 3)),
            (1, lambda: self.fail("Invalid argument: failed to attest: join token does not exist or has "
                                  "already been used", 3,
                                  w.api("agent.v1.Agent", "AttestAgent", False, node_attestor_type="join_token"))),
            (1, lambda: self.fail("Invalid argument: join token expired", 3,
                                  w.api("agent.v1.Agent", "AttestAgent", False, node_attestor_type="join_token"))),
            (2, lambda: self.psat("Nodeattestor(x509pop): certificate verification failed: x509: certificate "
                                  'signed by unknown authority (possibly because of "crypto/rsa: verification '
                                  'error" while trying to verify candidate authority certificate "<nil>")', 7)),
            (1, lambda: self.psat("Nodeattestor(x509pop): challenge response verification failed: crypto/rsa: "
                                  "verification error", 7)),
            (1, lambda: self.psat("Nodeattestor(aws_iid): attestation data has already been used to attest "
                                  "an agent", 7)),
            (1, lambda: self.fail("Failed to attest: agent is banned", 7, w.api(
                "agent.v1.Agent", "AttestAgent", False, agent_id=w.agent(), node_attestor_type="k8s_psat"))),
            (1, lambda: self.fail("Rejecting request due to attest agent rate limiting", 8, w.api(
                "agent.v1.Agent", "AttestAgent", False, node_attestor_type="k8s_psat"),
                rpc_err(8, "rate (%d) exceeds burst size (%d)" % (r.randint(2, 9), 1)))),
            (3, self.authz_denied),
            (1, lambda: self.fail("Authorization failure from OPA auth", 7, w.api(
                "entry.v1.Entry", "BatchDeleteEntry", w.sid()), rpc_err(7, "authorization denied: input.caller_id != "
                                                                       "<nil> && allow_admin == false"))),
            (2, lambda: self.fail(r.choice(("Agent SVID is expired", "Agent is not attested", "Agent is banned")), 16,
                                  w.api("agent.v1.Agent", "RenewAgent"))),
            (1, lambda: self.fail("Invalid argument: failed to verify CSR signature", 3, w.api(
                "svid.v1.SVID", "BatchNewX509SVID"), "x509: ECDSA verification failure")),
            (1, lambda: self.fail("Failed to fetch agent", 13, w.api("agent.v1.Agent", "RenewAgent"),
                                  "datastore-sql: dial tcp 10.0.4.12:5432: connect: connection refused")),
            (2, self.bundle_error),
            (1, lambda: [("error", "Failed to publish bundle", {
                "error": "AccessDenied: Access Denied\n\tstatus code: 403, request id: %s" % w.hexid(16).upper(),
                "subsystem_name": "bundle_publishing"})]),
            (1, lambda: [("error", "Could not rotate server SVID", {
                "error": "failed to sign server SVID: context canceled", "subsystem_name": "svid_rotator"})]),
            (0.5, lambda: [("error", r.choice(("Unable to rotate JWT key", "Could not prune CA certificates")), {
                "error": "rpc error: code = Unavailable desc = upstream authority unavailable",
                "subsystem_name": "ca_manager"})]),
            (0.5, lambda: [("error", "Failed during periodic pruning of expired nodes", {
                "error": "datastore-sql: context deadline exceeded", "subsystem_name": "node_manager"})]),
        ]

    def authz_denied(self):
        w, r = self.w, self.r
        svc, m = r.choice((("entry.v1.Entry", "BatchCreateEntry"), ("agent.v1.Agent", "BanAgent"),
                           ("bundle.v1.Bundle", "BatchSetFederatedBundle"), ("trustdomain.v1.TrustDomain",
                                                                            "BatchCreateFederationRelationship")))
        return self.fail("Failed to authenticate caller", 7, w.api(svc, m, w.sid()),
                         rpc_err(7, "authorization denied for method /spire.api.server.%s/%s" % (svc, m)))

    def bundle_error(self):
        td = self.r.choice(FEDERATED)
        why = self.r.choice(('dial tcp: lookup spire.%s on 10.96.0.10:53: no such host' % td,
                             "tls: failed to verify certificate: x509: certificate has expired or is not yet valid",
                             "unexpected status 503 fetching bundle"))
        return [("error", "Error updating bundle", {
            "error": 'failed to fetch federated bundle from endpoint: '
                     'Get "https://spire.%s:8443/bundle?format=spiffe&v=2": %s' % (td, why),
            "subsystem_name": "bundle_client", "trust_domain": td})]


class AgentCatalogue(Catalogue):
    def setup(self):
        w, r = self.w, self.r
        ttl = lambda: r.randint(600, 3600) - r.randint(1, 10**6) / 10**6
        wl_api = lambda m, **kw: dict(kw, method=m, pid=w.pid(), service="WorkloadAPI", subsystem_name="endpoints")
        self.add("debug", 30, lambda: [("debug", "Fetched X.509 SVID", wl_api(
            "FetchX509SVID", count=1, registered=True, spiffe_id=w.sid(), ttl=ttl()))])
        self.add("debug", 8, lambda: [("debug", "Fetched JWT SVID", wl_api(
            "FetchJWTSVID", registered=True, spiffe_id=w.sid(), ttl=ttl()))])
        self.add("debug", 10, self.pid_selectors)
        self.add("debug", 8, self.sds)
        self.add("debug", 8, lambda: [("debug", "Renewing stale entries", {
            "count": r.randint(1, 4), "limit": 500, "subsystem_name": "manager"})])
        self.add("debug", 6, lambda: [("debug", r.choice(("SVID updated", "Entry updated")), {
            "entry": w.uuid(), "spiffe_id": w.sid(), "subsystem_name": "cache_manager"})])
        self.add("info", 30, lambda: [("info", r.choice(("Renewing X509-SVID", "Creating X509-SVID")), {
            "entry_id": w.uuid(), "expires_at": rfc3339(BASE_NS + r.randint(60, 3600) * 10**9, False),
            "spiffe_id": w.sid(), "subsystem_name": "manager"})])
        self.add("info", 3, lambda: [("info", "Successfully rotated agent SVID", {"spiffe_id": w.agent()})])
        self.add("info", 1, lambda: self.health_recovered("agent"))
        self.add("warning", 4, lambda: [("warning", "Failed to validate JWT", wl_api(
            "ValidateJWTSVID", error=r.choice(("token has expired", "square/go-jose: error in cryptographic primitive",
                                               'audience "vault" not in "kafka"')),
        ))])
        self.add("warning", 1, lambda: [("warning", "Failed to retrieve attestation result", {
            "error": rpc_err(14, "connection error: desc = \"transport: Error while dialing: dial tcp "
                                 "10.96.14.2:8081: connect: connection refused\""),
            "retry_interval": GoDur(r.randint(1, 30) * 10**9 + r.randint(0, 10**9))})])
        self.add("warning", 1, lambda: [("warning", "Agent needs to re-attest; will attempt to re-attest", {
            "error": rpc_err(7, "agent is not attested")})])
        self.add("warning", 1, self.plugin_warning)
        self.add("warning", 1, lambda: self.health_failed(
            "agent", GoStruct([("make_new_x509_err", "workload api is unavailable")]),
            "subsystem is not live or ready"))
        self.add("warning", 1, self.new_process)
        self.add("warning", 0.5, lambda: [("warning", "Caller exit suspected due to failed readdirent", {
            "error": "readdirent /proc/%d/fd: no such file or directory" % w.pid(), "type": "linux"})])
        self.add("warning", 0.5, lambda: [("warning", r.choice((
            "Received malformed bundle from SPIRE server; are the server and agent versions compatible?",
            "Failed to post agent status")), {"error": rpc_err(12, "unknown method PostStatus")})])
        self.add("error", 5, self.no_identity)
        self.add("error", 2, lambda: [("error", 'workload attestor "k8s" failed', {
            "error": r.choice(("rpc error: code = Unknown desc = workloadattestor(k8s): unable to get pod list: "
                               "Get \"https://127.0.0.1:10250/pods\": x509: certificate is valid for "
                               "\u201cnode-7\u201d",
                               "workloadattestor(k8s): no selectors found after max poll attempts")),
            "pid": w.pid(), "subsystem_name": "workload_attestor"})])
        self.add("error", 1, lambda: [("error", "Timed out collecting selectors", {
            "error": "context deadline exceeded", "pid": w.pid(), "subsystem_name": "workload_attestor"})])
        self.add("error", 1, lambda: [("error", "Failed to attest the workload", {
            "error": rpc_err(13, "workload attestation failed"), "method": "StreamSecrets", "pid": w.pid(),
            "service": "SDS.v3", "subsystem_name": "endpoints"})])
        self.add("error", 1, lambda: [("error", "Could not rotate agent SVID", {
            "error": rpc_err(14, "connection closed before server preface received")})])
        self.add("error", 1, lambda: [("error", r.choice((
            "Failed to fetch authorized entries", "Synchronize failed")), {
            "error": rpc_err(4, "context deadline exceeded"), "subsystem_name": "manager"})])

    def pid_selectors(self, n=None):
        w = self.w
        if n is None:
            n = self.r.randint(300, 900) if self.r.random() < 0.01 else self.r.randint(0, 4)
        return [("debug", "PID attested to have selectors", {
            "pid": w.pid(), "selectors": w.selectors(n), "subsystem_name": "workload_attestor"})]

    def sds(self):
        w, r = self.w, self.r
        f = {"method": "StreamSecrets", "nonce": w.uuid(), "pid": w.pid(), "service": "SDS.v3",
             "subsystem_name": "endpoints", "version_info": w.uuid()}
        if r.random() < 0.5:
            f["resource_names"] = ["default", "ROOTCA"][:r.randint(1, 2)]
            return [("debug", "Received StreamSecrets request", f)]
        f["count"] = r.randint(1, 3)
        return [("debug", "Sending StreamSecrets response", f)]

    def no_identity(self):
        n = self.r.randint(250, 600) if self.r.random() < 0.05 else self.r.randint(0, 2)
        return [("error", "No identity issued", {
            "method": "FetchX509SVID", "pid": self.w.pid(), "registered": False, "selectors": self.w.selectors(n),
            "service": "WorkloadAPI", "subsystem_name": "endpoints"})]

    def plugin_warning(self):
        w = self.w
        f = {"external": False, "plugin_name": "k8s", "plugin_type": "WorkloadAttestor", "subsystem_name": "catalog"}
        if self.r.random() < 0.5:
            f.update(container_id=w.hexid(64), pod_uid=w.uuid())
            return [("warning", "Container id not found; giving up", f)]
        f.update(error='Get "https://127.0.0.1:10250/pods": dial tcp 127.0.0.1:10250: connect: connection refused',
                 retry_interval=GoDur(500 * 10**6))
        return [("warning", "Unable to get pod list; will retry after backoff", f)]


def startup(component, w):
    """The records a SPIRE process writes when it starts."""
    recs = [("warning", "Current umask 0022 is too permissive; setting umask 0027", {})]
    def plugin(name, typ):
        f = {"external": False, "plugin_name": name, "plugin_type": typ, "subsystem_name": "catalog"}
        return [("info", "Configured plugin", dict(f, reconfigurable=False)), ("info", "Plugin loaded", f)]

    if component == "spire-server":
        recs += [("info", "Configured", {"admin_ids": None, "data_dir": "/run/spire/data",
                                         "launch_log_level": "info", "version": VERSION}),
                 ("info", "Opening SQL database", {"db_type": "postgres", "subsystem_name": "sql"}),
                 ("info", "Connected to SQL database", {"read_only": False, "subsystem_name": "sql",
                                                        "type": "postgres", "version": "15.4"}),
                 ("info", "Configured DataStore", {"reconfigurable": False, "subsystem_name": "catalog"})]
        recs += plugin("k8s_psat", "NodeAttestor") + plugin("disk", "KeyManager")
        recs += [("info", "Journal loaded", {"jwt_keys": 2, "subsystem_name": "ca_manager", "x509_cas": 2}),
                 ("info", "Building event-based in-memory entry cache", {"subsystem_name": "endpoints"}),
                 ("info", "Completed building event-based in-memory entry cache", {"subsystem_name": "endpoints"}),
                 ("info", "Starting Server APIs", {"address": "[::]:8081", "network": "tcp",
                                                   "subsystem_name": "endpoints"}),
                 ("info", "Serving health checks", {"address": "0.0.0.0:8080", "subsystem_name": "health"}),
                 ("info", "Starting prometheus exporter", {"host": "0.0.0.0", "port": 9988,
                                                           "subsystem_name": "telemetry"})]
        for td in FEDERATED:
            recs.append(("info", "Trust domain is now managed", {
                "bundle_endpoint_profile": "https_spiffe", "bundle_endpoint_url": "https://spire.%s:8443" % td,
                "subsystem_name": "bundle_client", "trust_domain": td}))
        return recs
    sock = "/run/spire/agent-sockets/spire-agent.sock"
    recs += [("info", "Starting agent", {"data_dir": "/run/spire", "version": VERSION})]
    recs += plugin("k8s_psat", "NodeAttestor") + plugin("k8s", "WorkloadAttestor")
    recs += [("info", "Bundle loaded", {"subsystem_name": "attestor", "trust_domain_id": "spiffe://" + w.td}),
             ("info", "SVID is not found. Starting node attestation", {"subsystem_name": "attestor",
                                                                      "trust_domain_id": "spiffe://" + w.td}),
             ("info", "Node attestation was successful", {"reattestable": True, "spiffe_id": w.agents[0],
                                                          "subsystem_name": "attestor",
                                                          "trust_domain_id": "spiffe://" + w.td}),
             ("info", "Starting agent APIs", {"address": GoStruct([("Name", sock), ("Net", "unix")], text=sock),
                                              "apis": ["Workload", "SDS"], "network": "unix",
                                              "subsystem_name": "endpoints"}),
             ("info", "Serving health checks", {"address": "0.0.0.0:8080", "subsystem_name": "health"})]
    return recs

# ---------------------------------------------------------------------------
# Foreign stderr text
# ---------------------------------------------------------------------------


def klog_line(ns, r):
    t = time.gmtime(ns // 10**9)
    head = "%s%02d%02d %02d:%02d:%02d.%06d %7d " % (r.choice("EWI"), t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min,
                                                    t.tm_sec, ns % 10**9 // 1000, 1)
    return head + r.choice((
        'reflector.go:547] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: pods is forbidden: '
        'User "system:serviceaccount:spire-system:spire-agent" cannot list resource "pods" in API group "" at the '
        'cluster scope',
        "leaderelection.go:250] attempting to acquire leader lease spire-system/spire-controller-manager-leader...",
        "warnings.go:70] v1 ComponentStatus is deprecated in v1.19+"))


def http_line(ns, r):
    t = time.gmtime(ns // 10**9)
    return "%04d/%02d/%02d %02d:%02d:%02d http: TLS handshake error from 198.51.100.%d:%d: %s" % (
        t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, r.randint(2, 250), r.randint(30000, 60000),
        r.choice(("remote error: tls: bad certificate", "EOF", "tls: first record does not look like a TLS handshake")))


def shell_line(component, r):
    return r.choice(("+ exec /opt/spire/bin/%s run -config /run/spire/config/%s.conf"
                     % (component, component.split("-")[1]), "+ '[' -n '' ']'", "+ umask 0027"))


def panic_block(component, r):
    pkg = "agent/manager" if component == "spire-agent" else "server/ca/rotator"
    return ["panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x%x]" % r.randint(0x1000000, 0x2ffffff),
            "",
            "goroutine %d [running]:" % r.randint(1, 900),
            "github.com/spiffe/spire/pkg/%s.(*manager).run(0xc000%x, {0x2b7c9a0, 0xc0004e4190})" % (
                pkg, r.randint(0x100000, 0xffffff)),
            "\t/spire/pkg/%s/manager.go:%d +0x1bd" % (pkg, r.randint(100, 900)),
            "created by github.com/spiffe/spire/pkg/%s.New in goroutine 1" % pkg,
            "\t/spire/pkg/%s/manager.go:%d +0x2f4" % (pkg, r.randint(40, 99))]

# ---------------------------------------------------------------------------
# One physical file's counters
# ---------------------------------------------------------------------------


def new_counters():
    return {"physical_lines": 0, "partial_lines": 0, "logical_lines": 0, "valid_records": 0,
            "warn_error_records": 0, "audit_records": 0, "audit_not_warn_error": 0,
            "audit_agent_sync": 0, "security_events": {},
            "levels": {lvl: 0 for lvl in LEVELS}, "bad": {k: 0 for k in BAD_KINDS}, "bad_total": 0,
            "streams": {"stdout": 0, "stderr": 0}, "bytes_uncompressed": 0}


def add_counters(acc, c):
    for k, v in c.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                acc[k][kk] = acc[k].get(kk, 0) + vv
        else:
            acc[k] += v


class Line:
    """One logical line: bytes, stream, and what it is (kind None = valid record)."""
    __slots__ = ("stream", "data", "kind", "level", "tstr", "msg", "audit", "ns", "event", "sync")

    def __init__(self, stream, data, kind=None, level=None, tstr=None, msg=None, audit=False, ns=None,
                 event=None, sync=False):
        self.stream, self.data, self.kind, self.level = stream, data, kind, level
        self.tstr, self.msg, self.audit, self.ns = tstr, msg, audit, ns
        self.event, self.sync = event, sync


INVALID_SEQS = (b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\x80")

# ---------------------------------------------------------------------------
# A container log file (the live file and its rotated segments)
# ---------------------------------------------------------------------------


class LogFile:
    def __init__(self, g, idx, component, runtime, inner, text_nano):
        self.g, self.opts, self.idx = g, g.opts, idx
        self.r = random.Random("%d:file:%d" % (self.opts.seed, idx))
        self.world = World(self.r)
        cat = ServerCatalogue if component == "spire-server" else AgentCatalogue
        self.cat = cat(self.world, not self.opts.no_audit)
        self.component, self.runtime, self.inner = component, runtime, inner
        self.pod = "spire-server-%d" % idx if component == "spire-server" else \
            "spire-agent-" + "".join(self.r.choice(POD_SUFFIX) for _ in range(5))
        self.text_nano = text_nano
        self.container_id = self.world.hexid(64)
        self.base = "%s_%s_%s-%s.log" % (self.pod, self.opts.namespace, component, self.container_id)
        self.ns = (BASE_NS + self.r.randint(0, 3 * 10**9)) if not self.opts.follow else time.time_ns()
        self.rt = self.ns
        self.startup = startup(component, self.world)
        self.segments = []   # [live, .1, .2, ...]: dicts with counters and 'compressed'
        self.rows = []       # expected_kept.tsv rows
        for name in os.listdir(self.opts.out):  # a rerun starts from nothing
            if name == self.base or name.startswith(self.base + "."):
                os.unlink(os.path.join(self.opts.out, name))
        self.fh = open(self.path(0), "ab")  # O_APPEND, as container runtimes open logs
        self.new_segment()

    # --- files and rotation ---
    def path(self, idx, compressed=False):
        if self.opts.rotate_naming == "kubelet" and 0 < idx < len(self.segments) + 1:
            name = self.segments[idx]["name"] if idx < len(self.segments) else self.kubelet_name()
        else:
            name = self.base + ("" if idx == 0 else ".%d" % idx)
        return os.path.join(self.opts.out, name + (".gz" if compressed else ""))

    def kubelet_name(self):
        """The kubelet's 0.log.YYYYmmdd-HHMMSS, -N when the second is taken."""
        sec = (time.time_ns() if self.opts.follow else self.ns) // 10**9
        stamp = "%s.%s" % (self.base, time.strftime("%Y%m%d-%H%M%S", time.gmtime(sec)))
        taken = {seg.get("name") for seg in self.segments}
        name, n = stamp, 0
        while name in taken:
            n += 1
            name = "%s-%d" % (stamp, n)
        return name

    def new_segment(self):
        self.segments.insert(0, {"compressed": False, "c": new_counters()})
        self.scheduled = []
        if self.opts.each_bad_kind:
            kinds = [k for k in BAD_KINDS if k != "deep_nesting" or self.inner == "json"]
            room = max(1, self.g.planned_segment(self.idx) - len(kinds))
            self.scheduled = sorted((self.r.randrange(room), k) for k in kinds)

    def shift(self, idx):
        """Moves rotated segment idx to idx+1 (gzipping from .2 on with --gzip)."""
        seg = self.segments[idx]
        if self.opts.rotate_naming == "kubelet":
            # Names stay; the kubelet compresses all but the newest.
            if self.opts.gzip and not seg["compressed"] and idx + 1 >= 2:
                src = os.path.join(self.opts.out, seg["name"])
                with open(src, "rb") as fi, open(src + ".gz", "wb") as raw:
                    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                        shutil.copyfileobj(fi, gz)
                os.unlink(src)
                seg["compressed"] = True
            return
        src = self.path(idx, seg["compressed"])
        if self.opts.gzip and not seg["compressed"] and idx + 1 >= 2:
            with open(src, "rb") as fi, open(self.path(idx + 1, True), "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                    shutil.copyfileobj(fi, gz)
            os.unlink(src)
            seg["compressed"] = True
        else:
            os.rename(src, self.path(idx + 1, seg["compressed"]))

    def rotate(self, mode):
        self.fh.flush()
        lines = self.segments[0]["c"]["logical_lines"]
        for idx in range(len(self.segments) - 1, 0, -1):
            self.shift(idx)
        target = self.path(1) if self.opts.rotate_naming != "kubelet" else \
            os.path.join(self.opts.out, self.kubelet_name())
        self.segments[0]["name"] = os.path.basename(target)
        if mode == "rename":
            self.fh.close()
            os.rename(self.path(0), target)
            self.fh = open(self.path(0), "ab")
        else:  # copytruncate: the writer keeps its O_APPEND descriptor
            shutil.copyfile(self.path(0), target)
            os.truncate(self.path(0), 0)
        self.g.rotations.append({"file": self.base, "mode": mode, "after_lines": lines})
        self.new_segment()

    # --- time ---
    def tick(self):
        if self.opts.follow:
            self.ns = max(self.ns + 1000 + self.r.randint(0, 5000), time.time_ns())
        else:
            self.ns += 1000 + int(self.r.expovariate(1.0 / 30e6))
        return self.ns

    def tstr(self, ns):
        if self.inner == "json" or self.text_nano:
            return rfc3339(ns)
        return rfc3339(ns, nano=False)

    # --- building logical lines ---
    def render(self, level, msg, fields, ns):
        t = self.tstr(ns)
        if self.inner == "json":
            return render_json(level, msg, t, fields), t
        return join_parts(render_text_parts(level, msg, t, fields)), t

    def record_line(self, rec, unique=True):
        """A valid record; WARN/ERROR lines are made unique across the run."""
        level, msg, fields = rec
        while True:
            ns = self.tick()
            text, t = self.render(level, msg, fields, ns)
            data = text.encode("utf-8")
            if not unique or level not in WARN_ERROR or self.g.claim(level, t, msg):
                break
            self.ns += 10**9  # (level, time, msg) already used (whole-second text time): next second
        is_audit = fields.get("type") == "audit"
        return Line("stdout", data, None, level, t, msg, is_audit, ns,
                    security_event(level, msg, fields), is_agent_sync(fields))

    def draw_records(self):
        level = self.r.choices(LEVELS, weights=LEVEL_MIX)[0]
        return self.cat.draw(level)

    def normal(self):
        return [self.record_line(rec) for rec in self.draw_records()]

    def corrupt(self, kind):
        """A record with a NUL or an invalid UTF-8 sequence in its msg."""
        ln = self.record_line(self.draw_records()[0], unique=False)
        key = b'"msg":"' if self.inner == "json" else b" msg="
        at = ln.data.index(key) + len(key)
        if ln.data[at:at + 1] == b'"':
            at += 1
        bad = b"\x00" if kind == "embedded_nul" else self.r.choice(INVALID_SEQS)
        ln.data = ln.data[:at + 1] + bad + ln.data[at + 1:]
        ln.kind = kind
        ln.event, ln.sync = None, False  # not a record any more
        return ln

    def truncated(self):
        level, msg, fields = self.draw_records()[0]
        t = self.tstr(self.tick())
        if self.inner == "json":
            s = render_json(level, msg, t, fields)
            cut = self.r.randint(1, len(s) - 2)
            return Line("stdout", s[:cut].encode("utf-8"), "truncated")
        parts = render_text_parts(level, msg, t, fields)
        quoted = [i for i, (_, v) in enumerate(parts) if v.startswith('"') and len(v) > 2]
        i = self.r.choice([q for q in quoted if q > 0] or quoted)
        v = parts[i][1]
        cut = self.r.randint(1, len(v) - 2)
        while v[cut - 1] == "\\":
            cut -= 1
        s = join_parts(parts[:i]) + (" " if i else "") + parts[i][0] + "=" + v[:cut]
        return Line("stdout", s.encode("utf-8"), "truncated")

    def deep(self):
        depth = MAX_DEPTH + self.r.randint(2, 12)
        node = GoStruct([("error", "loop detected")])
        for _ in range(depth):
            node = GoStruct([("cause", node)])
        text = render_json("info", "Health check recovered", self.tstr(self.tick()),
                           {"check": "agent", "details": node, "subsystem_name": "health"})
        return Line("stdout", text.encode("utf-8"), "deep_nesting")

    def oversized(self):
        ns, pid = self.tick(), self.world.pid()
        size = lambda n: self.render("debug", "PID attested to have selectors", {
            "pid": pid, "selectors": self.world.selectors(n), "subsystem_name": "workload_attestor"}, ns)[0]
        per = (len(size(200)) - len(size(100))) / 100.0
        n = 200 + int((OVERSIZED_BYTES - len(size(200))) / per) + self.r.randint(10, 400)
        while True:  # just over the threshold, like a real pod with very many labels
            text = size(n)
            if len(text) > OVERSIZED_BYTES:
                return Line("stdout", text.encode("ascii"), "oversized")
            n += 100

    def foreign(self, single=False):
        r = self.r
        pick = r.random()
        if not single and pick < 0.15:
            texts = panic_block(self.component, r)
        elif pick < 0.45:
            texts = [klog_line(self.tick(), r)]
        elif pick < 0.8:
            texts = [http_line(self.tick(), r)]
        else:
            texts = [shell_line(self.component, r)]
        return [Line("stderr", t.encode("utf-8"), "foreign_text" if t else "empty", event=foreign_event(t))
                for t in texts]

    def bad(self, kind):
        if kind == "empty":
            return [Line("stderr" if self.r.random() < 0.7 else "stdout", b"", "empty")]
        if kind == "foreign_text":
            return self.foreign()
        if kind in ("embedded_nul", "invalid_utf8"):
            return [self.corrupt(kind)]
        if kind == "truncated":
            return [self.truncated()]
        if kind == "deep_nesting":
            return [self.deep()]
        return [self.oversized()]

    def random_bad_kind(self):
        kinds = [k for k in BAD_KINDS if k != "oversized" and (k != "deep_nesting" or self.inner == "json")]
        return self.r.choice(kinds)

    def unit(self):
        """The next group of logical lines to write."""
        c = self.segments[0]["c"]
        if self.scheduled and self.scheduled[0][0] <= c["logical_lines"]:
            return self.bad(self.scheduled.pop(0)[1])
        if self.startup:
            return [self.record_line(self.startup.pop(0))]
        x = self.r.random()
        if x < self.opts.oversized_rate:
            return self.bad("oversized")
        if x < self.opts.oversized_rate + self.opts.bad_rate:
            return self.bad(self.random_bad_kind())
        lines = self.normal()
        if len(lines[0].data) > SPLIT_BYTES and self.r.random() < 0.3:
            lines.insert(1, self.foreign(single=True)[0])  # interleaved between its chunks
        return lines

    # --- envelope and writing ---
    def runtime_time(self, ln):
        base = ln.ns if ln.ns is not None else self.ns
        self.rt = max(self.rt + 1 + self.r.randint(0, 2000), base + self.r.randint(5000, 200000))
        return self.rt

    def physical(self, ln, rt):
        chunks = [ln.data[i:i + SPLIT_BYTES] for i in range(0, len(ln.data), SPLIT_BYTES)] or [b""]
        stream = ln.stream.encode()
        out = []
        for j, chunk in enumerate(chunks):
            last = j == len(chunks) - 1
            if self.runtime == "docker":
                s = chunk.decode("utf-8", "surrogateescape") + ("\n" if last else "")
                out.append(b'{"log":' + json_str(s).encode("utf-8", "surrogateescape") + b',"stream":"' +
                           stream + b'","time":"' + rfc3339(rt).encode() + b'"}\n')
            else:
                ts = rfc3339(rt + j * CRI_CHUNK_NS, off_min=self.opts.cri_tz_offset).encode()
                out.append(ts + b" " + stream + (b" F " if last else b" P ") + chunk + b"\n")
        return out

    def place(self, ln):
        """Physical lines of ln at the next runtime time (CRI chunks a little apart)."""
        rt = self.runtime_time(ln)
        phys = self.physical(ln, rt)
        if self.runtime == "cri":
            self.rt += CRI_CHUNK_NS * (len(phys) - 1)
        return rt, phys

    def count(self, ln, phys):
        c = self.segments[0]["c"]
        c["physical_lines"] += len(phys)
        c["partial_lines"] += len(phys) - 1
        c["bytes_uncompressed"] += sum(len(p) for p in phys)
        c["logical_lines"] += 1
        c["streams"][ln.stream] += 1
        if ln.event:
            c["security_events"][ln.event] = c["security_events"].get(ln.event, 0) + 1
        if ln.kind:
            c["bad"][ln.kind] += 1
            c["bad_total"] += 1
            return
        c["audit_agent_sync"] += ln.sync
        c["valid_records"] += 1
        c["levels"][ln.level] += 1
        we = ln.level in WARN_ERROR
        c["warn_error_records"] += we
        c["audit_records"] += ln.audit
        c["audit_not_warn_error"] += ln.audit and not we
        if we or ln.audit:
            self.rows.append("%s\t%s\t%s\t%d\n" % (ln.level, ln.tstr, hashlib.sha1(ln.msg.encode()).hexdigest(),
                                                   ln.audit))

    def write_unit(self, lines):
        """Writes logical lines; a second stderr line may go between the first's chunks."""
        first = lines[0]
        rt, phys = self.place(first)
        if len(phys) > 1 and len(lines) > 1 and lines[1].stream != first.stream:
            other = lines.pop(1)  # timed between the first two chunks: times never go back
            mid = self.physical(other, rt + (CRI_CHUNK_NS // 2 if self.runtime == "cri" else 0))
            self.fh.write(phys[0] + b"".join(mid) + b"".join(phys[1:]))
            self.count(other, mid)
        else:
            self.fh.write(b"".join(phys))
        self.count(first, phys)
        for ln in lines[1:]:
            p = self.place(ln)[1]
            self.fh.write(b"".join(p))
            self.count(ln, p)

    def emit(self, limit):
        """Writes the next unit, at most `limit` logical lines. Returns how many."""
        lines = self.unit()[:limit]
        n = len(lines)
        self.write_unit(lines)
        return n

    def manifest_entries(self):
        out = []
        for idx, seg in enumerate(self.segments):
            e = {"path": os.path.basename(self.path(idx, seg["compressed"])), "segment": idx,
                 "compressed": seg["compressed"], "runtime_format": self.runtime, "inner_format": self.inner,
                 "text_time": None if self.inner == "json" else ("nano" if self.text_nano else "seconds"),
                 "pod": self.pod, "namespace": self.opts.namespace, "container": self.component,
                 "container_id": self.container_id, "component": self.component}
            e.update(seg["c"])
            out.append(e)
        return out

# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def spread(r, choice, n, options):
    """Per-file choice; 'mixed' cycles through the options in random order."""
    if choice != "mixed":
        return [choice] * n
    seq = [options[i % len(options)] for i in range(n)]
    r.shuffle(seq)
    return seq


class Generator:
    def __init__(self, opts):
        self.opts = opts
        self.r = random.Random("%d:run" % opts.seed)
        self.seen = set()
        self.rotations = []
        self.files = []
        self.quota = {}
        os.makedirs(opts.out, exist_ok=True)
        k = opts.files
        runtimes = spread(self.r, opts.format, k, ("docker", "cri"))
        inners = spread(self.r, opts.inner, k, ("json", "text"))
        texts = [i for i in range(k) if inners[i] == "text"]
        nanos = dict(zip(texts, spread(self.r, opts.text_time, len(texts), ("seconds", "nano"))))
        for i in range(k):
            comp = "spire-server" if i < opts.servers else "spire-agent"
            self.quota[i] = opts.lines // k + (1 if i < opts.lines % k else 0)
            self.files.append(LogFile(self, i, comp, runtimes[i], inners[i], nanos.get(i) == "nano"))

    def planned_segment(self, i):
        """Expected logical lines of file i's current segment (to place bad kinds)."""
        o = self.opts
        if o.follow and not o.rotate_every:
            return max(1, int(o.rate * o.duration / o.files))
        return self.segment_limit(i) or max(1, self.quota[i])

    def claim(self, level, t, msg):
        """WARN/ERROR records get a run-wide unique (level, time, msg): so are their lines."""
        h = hashlib.sha1(("%s\t%s\t%s" % (level, t, msg)).encode()).digest()
        if h in self.seen:
            return False
        self.seen.add(h)
        return True

    def segment_limit(self, i):
        o = self.opts
        if o.rotate_every:
            return o.rotate_every
        if not o.follow and o.rotations:
            return max(1, self.quota[i] // (o.rotations + 1))
        return None

    def maybe_rotate(self, i):
        f = self.files[i]
        limit = self.segment_limit(i)
        rotated = len(f.segments) - 1
        if limit is None or f.segments[0]["c"]["logical_lines"] < limit:
            return
        if not self.opts.follow and not self.opts.rotate_every and rotated >= self.opts.rotations:
            return
        f.rotate(self.opts.rotate_mode)

    def run_batch(self):
        for i, f in enumerate(self.files):
            left = self.quota[i]
            while left > 0:
                left -= f.emit(left)
                if left > 0:
                    self.maybe_rotate(i)

    def run_follow(self):
        o = self.opts
        stop = []
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, lambda *_: stop.append(1))
        tick, carry = 0.1, 0.0
        start = time.monotonic()
        n_ticks = 0
        while not stop and time.monotonic() - start < o.duration:
            carry += o.rate * tick
            todo, carry = int(carry), carry - int(carry)
            while todo > 0:
                i = self.r.randrange(len(self.files))
                todo -= self.files[i].emit(todo)
                self.maybe_rotate(i)
            for f in self.files:
                f.fh.flush()
            n_ticks += 1
            delay = start + n_ticks * tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def finish(self):
        for f in self.files:
            f.fh.close()
        entries = sorted((e for f in self.files for e in f.manifest_entries()), key=lambda e: e["path"])
        totals = new_counters()
        for e in entries:
            add_counters(totals, {k: e[k] for k in totals})
        totals["files"] = len(entries)
        o = self.opts
        man = {"generator": "spire_loggen.py", "schema": 1, "seed": o.seed,
               "mode": "follow" if o.follow else "batch",
               "params": {k: v for k, v in vars(o).items() if k != "out"},
               "definitions": {"oversized_threshold_bytes": OVERSIZED_BYTES, "split_bytes": SPLIT_BYTES,
                               "max_nesting_depth": MAX_DEPTH, "classification_order": list(BAD_KINDS),
                               "warn_error_levels": list(WARN_ERROR)},
               "files": entries, "totals": totals, "rotations": self.rotations}
        write_atomic(os.path.join(o.out, "expected_kept.tsv"), "".join(r for f in self.files for r in f.rows))
        write_atomic(os.path.join(o.out, "manifest.json"), json.dumps(man, indent=1, sort_keys=True) + "\n")
        return totals


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Generate realistic SPIRE container logs with exact ground truth.")
    a = p.add_argument
    a("--out", required=True, help="output directory (flat, like /var/log/containers)")
    a("--seed", type=int, default=1)
    a("--lines", type=int, default=10000, help="logical lines in total (batch mode)")
    a("--files", type=int, default=4)
    a("--servers", type=int, default=None, help="spire-server files among --files (default max(1,(K+2)//4))")
    a("--namespace", default="spire-system")
    a("--format", choices=("docker", "cri", "mixed"), default="cri")
    a("--inner", choices=("json", "text", "mixed"), default="json")
    a("--text-time", choices=("seconds", "nano", "mixed"), default="mixed",
      help="text inner format: whole-second (log_format unset) or RFC3339Nano times")
    a("--bad-rate", type=float, default=0.002)
    a("--each-bad-kind", action="store_true", help="at least one line of every bad kind per physical file")
    a("--oversized-rate", type=float, default=0.0)
    a("--gzip", action="store_true", help="gzip rotated segments from .2 on (delaycompress)")
    a("--rotations", type=int, default=None, help="rotated segments per file in batch mode (default 2 with --gzip)")
    a("--cri-tz-offset", type=int, default=0, help="CRI timestamp offset from UTC in minutes")
    a("--no-audit", action="store_true")
    a("--follow", action="store_true")
    a("--rate", type=float, default=500.0, help="follow: logical lines per second over all files")
    a("--duration", type=float, default=10.0, help="follow: seconds")
    a("--rotate-every", type=int, default=0, help="rotate a file after N logical lines")
    a("--rotate-mode", choices=("rename", "copytruncate"), default="rename")
    a("--rotate-naming", choices=("logrotate", "kubelet"), default="logrotate",
      help="logrotate: x.log.1, x.log.2.gz; kubelet: x.log.YYYYmmdd-HHMMSS[-N][.gz]")
    a("--quiet", action="store_true")
    o = p.parse_args(argv)
    if o.rotations is None:
        o.rotations = 2 if o.gzip and not o.follow else 0
    if o.servers is None:
        o.servers = max(1, (o.files + 2) // 4)
    o.servers = min(o.servers, o.files)
    if o.files < 1 or o.lines < 0:
        p.error("--files must be >= 1 and --lines >= 0")
    return o


def main(argv=None):
    o = parse_args(argv)
    g = Generator(o)
    if o.follow:
        g.run_follow()
    else:
        g.run_batch()
    t = g.finish()
    if not o.quiet:
        print("%s: %d files, %d logical lines (%d valid, %d warn/error, %d audit, %d bad), %d bytes" % (
            o.out, t["files"], t["logical_lines"], t["valid_records"], t["warn_error_records"],
            t["audit_records"], t["bad_total"], t["bytes_uncompressed"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
