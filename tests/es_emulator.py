#!/usr/bin/env python3
"""es_emulator.py - a strict Elasticsearch 8 stand-in for spire-shipper's tests.

No Elasticsearch server can be installed where the tests run, so this
serves the part of the ES 8.13 REST API that the shipper's elasticsearch
output uses: the root, _bulk, index templates (composable, component and
legacy), ILM policies, _count, _search, _cat/indices, _mapping, index
create/delete/refresh, single documents, and the security 401s.

The one idea: it is at least as strict as a real cluster, and answers in
its JSON shapes, so a shipper that passes against it does not fail against
Elasticsearch. NDJSON framing, content types, unknown URL parameters,
_type, duplicate JSON keys, index names, versions and conflicts, and
per-document mappings (templates, dynamic mapping with date detection,
dotted keys, strict objects, field limits, immense keyword terms) are
checked as ES 8 checks them, item by item.

Test control lives under /_emulator/ (not an ES path; no credentials):
  POST /_emulator/faults  JSON, merged into the current faults; the RNG is
                          re-seeded with "seed" on every POST
  GET  /_emulator/faults  the current faults
  GET  /_emulator/stats   requests by path and endpoint and status, bulk
                          requests and items by status, bytes received
                          (wire and decoded), gzip requests, dropped
                          connections, auth failures and successes by
                          scheme (basic, api_key), faults injected,
                          connections total/open/max concurrent, live
                          documents per index
  GET  /_emulator/docs?index=EXPR[&by_index=true]  {id: source}
  POST /_emulator/reset   no indices, templates, policies, faults or stats
  POST /_emulator/auth    JSON {"user", "password", "api_key"}, merged into
                          the credentials accepted from now on (null: none
                          of that kind; neither: no authentication), as an
                          operator fixes a user or issues a key while
                          clients keep retrying; GET: which kinds are set
                          (never the secrets)

Faults (bulk requests only, but latency_ms and down; drawn in request and
item order from one RNG, so the same requests meet the same faults):
  item_429_rate, item_503_rate, item_403_rate   per item, before it is
      executed (the item is not indexed): es_rejected_execution_exception,
      unavailable_shards_exception, security_exception
  request_503_rate, request_429_rate   the whole request, nothing indexed
  status_override   e.g. 401, 403, 413, 429, 500, 502 (nginx HTML), 503
                    for every bulk request, in ES's (or a proxy's) shape
  drop_connection_rate   close the connection instead of answering; the
      bulk is executed first (the response is lost) unless drop_before_index;
      drop_reset sends an RST instead of a FIN
  bad_response_rate   a 200 whose JSON body is cut in half
  latency_ms        delay before every ES answer
  down (with down_ms)   close the listening socket and every connection:
      connects are refused until down_ms passed or SIGUSR2 (SIGUSR1 also
      goes down); then it listens on the same port again
  oversize          an answer no client should read whole, nothing indexed:
      endless_body (chunked, never ends), huge_length (Content-Length 1 TiB),
      endless_headers, deep_items (a 200 whose item nests 100000 deep),
      deep_error (a 500 whose body nests 1000000 deep); the bytes sent
      before the client gave up are in stats oversize_bytes_sent

Usage: es_emulator.py [--port 0] [--port-file FILE] [--data-dir DIR]
                      [--user U --password P] [--api-key KEY]
                      [--tls-cert C --tls-key K] [--max-content-length 100mb]
Binds 127.0.0.1 only, writes the port to FILE once listening (tmp + rename),
serves until SIGTERM or SIGINT, then exits 0. Python 3 standard library only.
"""

import argparse
import base64
import calendar
import functools
import hashlib
import http.server
import ipaddress
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import zlib
from json.decoder import scanstring

ES_VERSION = {
    "number": "8.13.0",
    "build_flavor": "default",
    "build_type": "docker",
    "build_hash": "09df99393193b2c53d92899662a8b8b3c55b45cd",
    "build_date": "2024-03-22T03:35:46.757803203Z",
    "build_snapshot": False,
    "lucene_version": "9.10.0",
    "minimum_wire_compatibility_version": "7.17.0",
    "minimum_index_compatibility_version": "7.0.0",
}
CLUSTER_NAME = "es-emulator"
NODE_NAME = "es-emulator-0"
CLUSTER_UUID = "Qm9ndXNDbHVzdGVyVVVJRA"
WARN_AGENT = "Elasticsearch-8.13.0-09df99393193b2c53d92899662a8b8b3c55b45cd"


# --- errors, in ES's shapes ---------------------------------------------------

class EsError(Exception):
    """An Elasticsearch exception: HTTP status, type, reason, extra fields
    (index, index_uuid, shard, ...), an optional cause and auth header."""

    def __init__(self, status, etype, reason, caused_by=None, header=None,
                 headers=None, **extra):
        super().__init__(reason)
        self.status, self.etype, self.reason = status, etype, reason
        self.caused_by, self.header, self.extra = caused_by, header, extra
        self.headers = headers or {}	# HTTP response headers to add

    def obj(self, with_cause=True):
        d = {"type": self.etype, "reason": self.reason}
        d.update(self.extra)
        if self.header:
            d["header"] = self.header
        if with_cause and self.caused_by is not None:
            d["caused_by"] = self.caused_by.obj()
        return d

    def body(self):
        root = self	# a search's failure is rooted in its shards' cause
        while root.etype == "search_phase_execution_exception" and root.caused_by is not None:
            root = root.caused_by
        return {"error": dict(root_cause=[root.obj(False)], **self.obj()),
                "status": self.status}


def cause(etype, reason, caused_by=None, **extra):
    return EsError(0, etype, reason, caused_by, **extra)


class PlainError(Exception):
    """The errors ES answers with a string: {"error": "...", "status": N}."""

    def __init__(self, status, message, with_status=True):
        super().__init__(message)
        self.status, self.message, self.with_status = status, message, with_status

    def body(self):
        d = {"error": self.message}
        if self.with_status:
            d["status"] = self.status
        return d


def bad_request(reason, etype="illegal_argument_exception", **kw):
    return EsError(400, etype, reason, **kw)


def index_not_found(name, reason=None):
    return EsError(404, "index_not_found_exception", reason or "no such index [%s]" % name,
                   **{"resource.type": "index_or_alias", "resource.id": name,
                      "index_uuid": "_na_", "index": name})


def validation_failed(messages):
    text = "".join("%d: %s;" % (i + 1, m) for i, m in enumerate(messages))
    return bad_request("Validation Failed: " + text, "action_request_validation_exception")


def java_str(v):
    """A value as Java's toString() prints it (ES's 'Preview of field's value')."""
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{" + ", ".join("%s=%s" % (k, java_str(x)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(java_str(x) for x in v) + "]"
    return str(v)


def token_name(v):
    """The Jackson token a JSON value starts with, as ES names it in errors."""
    if isinstance(v, dict):
        return "START_OBJECT"
    if isinstance(v, list):
        return "START_ARRAY"
    if v is None:
        return "VALUE_NULL"
    if v is True or v is False:
        return "VALUE_BOOLEAN"
    if isinstance(v, (int, float)):
        return "VALUE_NUMBER"
    return "VALUE_STRING"


# --- strict JSON ----------------------------------------------------------------
# ES parses with strict duplicate detection and without NaN/Infinity.

class JsonError(ValueError):
    def __init__(self, message, pos=0):
        super().__init__(message)
        self.message, self.pos = message, pos


def _pairs(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise JsonError("Duplicate field '%s'" % k)
            seen.add(k)
    return d


def _no_constant(name):
    raise JsonError("Non-standard token '%s': enable "
                    "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow" % name)


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant)


def loads_strict(data):
    """bytes or str -> value; JsonError with a Jackson-like message."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError as e:
        raise JsonError("Invalid UTF-8 start byte 0x%02x" % data[e.start], e.start)
    try:
        return _DECODER.decode(text)
    except JsonError:
        raise
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":
            raise JsonError("Malformed content, found extra data after parsing", e.pos)
        if e.pos >= len(text.rstrip()):
            raise JsonError("Unexpected end-of-input", e.pos)
        raise JsonError("Unexpected character ('%s' (code %d)): %s"
                        % (text[e.pos], ord(text[e.pos]), e.msg.lower()), e.pos)
    except RecursionError:
        raise JsonError("Document nesting depth exceeds the maximum allowed")


def dumps(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


_WS = re.compile(r"[ \t\n\r]*")
_NUM = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _skip_value(s, i):
    i = _WS.match(s, i).end()
    c = s[i]
    if c == '"':
        return scanstring(s, i + 1)[1]
    if c in "{[":
        close, i = "}" if c == "{" else "]", _WS.match(s, i + 1).end()
        if s[i] == close:
            return i + 1
        while True:
            if c == "{":
                i = scanstring(s, _WS.match(s, i).end() + 1)[1]
                i = _WS.match(s, i).end() + 1
            i = _WS.match(s, _skip_value(s, i)).end()
            if s[i] != ",":
                return i + 1
            i += 1
    m = _NUM.match(s, i)
    if m:
        return m.end()
    for lit in ("true", "false", "null"):
        if s.startswith(lit, i):
            return i + len(lit)
    raise ValueError("bad JSON at %d" % i)


def _locate(s, i, path):
    i = _WS.match(s, i).end()
    if not path:
        return i
    step, c = path[0], s[i]
    opening, close = ("{", "}") if isinstance(step, str) else ("[", "]")
    if c != opening:
        return None
    i, n = i + 1, 0
    while True:
        i = _WS.match(s, i).end()
        if s[i] == close:
            return None
        if opening == "{":
            key, i = scanstring(s, i + 1)
            i = _WS.match(s, i).end() + 1
            if key == step:
                return _locate(s, i, path[1:])
        elif n == step:
            return _locate(s, i, path[1:])
        i = _WS.match(s, _skip_value(s, i)).end()
        n += 1
        if s[i] == ",":
            i += 1


def json_column(text, path):
    """The 1-based byte column of the value at path (keys and array indexes)
    in a one-line JSON document, as Jackson reports a token's location."""
    try:
        i = _locate(text, 0, path)
    except (ValueError, IndexError):
        i = None
    return 1 if i is None else len(text[:i].encode("utf-8")) + 1


# --- dates ----------------------------------------------------------------------
# ES's date formats (java.time, strict resolver) to epoch nanoseconds.

class DateParseError(ValueError):
    pass


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def month_days(y, m):
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


_OFFSET = re.compile(r"([+-])(\d\d)(?::?(\d\d)(?::?(\d\d))?)?$")


def zone_offset(z, fields):
    """Seconds east of UTC for a zone or offset id at the given local time."""
    if z == "Z":
        return 0
    m = _OFFSET.match(z)
    if not m:
        for prefix in ("UTC", "GMT", "UT"):
            if z.startswith(prefix):
                rest = z[len(prefix):]
                if not rest:
                    return 0
                m = _OFFSET.match(rest)
                break
    if m:
        secs = int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60 + int(m.group(4) or 0)
        if secs > 18 * 3600:
            raise DateParseError("Zone offset not in valid range: -18:00 to +18:00")
        return -secs if m.group(1) == "-" else secs
    try:
        import datetime
        import zoneinfo
        tz = zoneinfo.ZoneInfo(z)
        local = datetime.datetime(fields["y"], fields["M"], fields["d"], fields["H"],
                                  fields["m"], fields["s"], tzinfo=tz)
        return int(local.utcoffset().total_seconds())
    except Exception:
        raise DateParseError("Unknown time-zone ID: " + z)


def fields_to_nanos(f):
    y, mo, d = f["y"], f["M"], f["d"]
    if not 1 <= mo <= 12:
        raise DateParseError("Invalid value for MonthOfYear (valid values 1 - 12): %d" % mo)
    if not 1 <= d <= month_days(y, mo):
        raise DateParseError("Invalid date '%s %d'" % (calendar.month_name[mo].upper(), d))
    if f["H"] > 23 or f["m"] > 59 or f["s"] > 59:
        raise DateParseError("Invalid value for time field")
    off = zone_offset(f["z"], f) if f.get("z") else 0
    secs = days_from_civil(y, mo, d) * 86400 + f["H"] * 3600 + f["m"] * 60 + f["s"] - off
    return secs * 10**9 + f.get("n", 0)


_ZONE_RX = r"(?P<z>Z|[+-]\d\d(?::?\d\d(?::?\d\d)?)?|(?:UTC|GMT|UT)(?:[+-]\d\d(?::?\d\d)?)?|[A-Za-z][A-Za-z0-9_+-]*/[A-Za-z0-9_/+-]+)"
_FRAC_RX = r"(?:[.,](?P<f>\d{1,9}))"


def _optional_time_rx(strict):
    y, two, one = (r"(?P<y>\d{4}|[+-]\d{5,9})", r"\d\d", r"\d\d") if strict \
        else (r"(?P<y>[+-]?\d{1,9})", r"\d{1,2}", r"\d{1,2}")
    return re.compile(
        r"^%s(?:-(?P<M>%s)(?:-(?P<d>%s)(?:T(?:(?P<H>%s)(?::(?P<m>%s)(?::(?P<s>%s)%s?)?)?)?%s?)?)?)?$"
        % (y, two, two, one, one, one, _FRAC_RX, _ZONE_RX))


def _match_fields(m):
    g = m.groupdict()
    frac = g.get("f") or ""
    f = {"y": int(g.get("y") or 1970), "M": int(g.get("M") or 1), "d": int(g.get("d") or 1),
         "H": int(g.get("H") or 0), "m": int(g.get("m") or 0), "s": int(g.get("s") or 0),
         "n": int(frac.ljust(9, "0")) if frac else 0, "z": g.get("z")}
    if g.get("yy") is not None:
        f["y"] = 2000 + int(g["yy"])
    if g.get("h12") is not None:
        h = int(g["h12"]) % 12
        f["H"] = h + (12 if (g.get("ampm") or "").upper() == "PM" else 0)
    if g.get("Mname"):
        f["M"] = _MONTHS[g["Mname"][:3].lower()]
    return f


_MONTHS = {n[:3].lower(): i for i, n in enumerate(calendar.month_name) if n}


def regex_parser(rx):
    def parse(text):
        m = rx.match(text)
        if not m:
            raise DateParseError("Text '%s' could not be parsed at index 0" % text)
        return fields_to_nanos(_match_fields(m))
    return parse


def epoch_parser(unit_nanos, max_frac):
    rx = re.compile(r"^(-)?(\d{1,19})(?:\.(\d{1,%d}))?$" % max_frac)

    def parse(text):
        m = rx.match(text)
        if not m:
            raise DateParseError("Text '%s' could not be parsed at index 0" % text)
        whole = int(m.group(2)) * unit_nanos
        frac = int((m.group(3) or "").ljust(max_frac, "0") or 0) * (unit_nanos // 10**max_frac)
        return -(whole + frac) if m.group(1) else whole + frac
    return parse


_JAVA_LETTERS = {
    "y": lambda n: r"(?P<yy>\d\d)" if n == 2 else r"(?P<y>[+-]?\d{%d,9})" % max(n, 1),
    "u": lambda n: r"(?P<yy>\d\d)" if n == 2 else r"(?P<y>[+-]?\d{%d,9})" % max(n, 1),
    "M": lambda n: r"(?P<M>\d{1,2})" if n == 1 else r"(?P<M>\d\d)" if n == 2
    else r"(?P<Mname>[A-Za-z]{3,9})",
    "d": lambda n: r"(?P<d>\d{1,2})" if n == 1 else r"(?P<d>\d\d)",
    "H": lambda n: r"(?P<H>\d{1,2})" if n == 1 else r"(?P<H>\d\d)",
    "h": lambda n: r"(?P<h12>\d{1,2})" if n == 1 else r"(?P<h12>\d\d)",
    "a": lambda n: r"(?P<ampm>AM|PM|am|pm)",
    "m": lambda n: r"(?P<m>\d{1,2})" if n == 1 else r"(?P<m>\d\d)",
    "s": lambda n: r"(?P<s>\d{1,2})" if n == 1 else r"(?P<s>\d\d)",
    "S": lambda n: r"(?P<f>\d{%d})" % n,
    "n": lambda n: r"(?P<f>\d{1,9})",
    "X": lambda n: r"(?P<z>Z|[+-]\d\d(?::?\d\d)?)",
    "x": lambda n: r"(?P<z>[+-]\d\d(?::?\d\d)?)",
    "Z": lambda n: r"(?P<z>Z|[+-]\d\d:?\d\d)",
    "z": lambda n: _ZONE_RX,
    "V": lambda n: _ZONE_RX,
    "E": lambda n: r"(?:[A-Za-z]{3,9})",
    "G": lambda n: r"(?:AD|BC)",
}


def java_pattern_parser(p):
    """A subset of java.time's DateTimeFormatter patterns, strictly."""
    out, i, seen = [], 0, set()
    while i < len(p):
        c = p[i]
        if c == "'":
            j = p.find("'", i + 1)
            if j < 0:
                raise DateParseError("Pattern ends with an incomplete string literal: " + p)
            out.append(re.escape(p[i + 1:j]) if j > i + 1 else "'")
            i = j + 1
        elif c == "[":
            out.append("(?:")
            i += 1
        elif c == "]":
            out.append(")?")
            i += 1
        elif c.isalpha():
            j = i
            while j < len(p) and p[j] == c:
                j += 1
            if c not in _JAVA_LETTERS:
                raise DateParseError("Unknown pattern letter: " + c)
            rx = _JAVA_LETTERS[c](j - i)
            name = re.search(r"\?P<(\w+)>", rx)
            if name and name.group(1) in seen:	# a field twice: unname the copy
                rx = rx.replace("?P<%s>" % name.group(1), "?:")
            elif name:
                seen.add(name.group(1))
            out.append(rx)
            i = j
        else:
            if c in "#{}":
                raise DateParseError("Pattern includes reserved character: '%s'" % c)
            out.append(re.escape(c))
            i += 1
    try:
        return regex_parser(re.compile("^" + "".join(out) + "$"))
    except re.error as e:
        raise DateParseError("Invalid format: %s" % e)


_NAMED_PATTERNS = {
    "basic_date": "yyyyMMdd", "basic_date_time": "yyyyMMdd'T'HHmmss.SSSZ",
    "basic_date_time_no_millis": "yyyyMMdd'T'HHmmssZ", "basic_time": "HHmmss.SSSZ",
    "basic_time_no_millis": "HHmmssZ", "basic_t_time": "'T'HHmmss.SSSZ",
    "basic_t_time_no_millis": "'T'HHmmssZ", "date": "yyyy-MM-dd", "date_hour": "yyyy-MM-dd'T'HH",
    "date_hour_minute": "yyyy-MM-dd'T'HH:mm", "date_hour_minute_second": "yyyy-MM-dd'T'HH:mm:ss",
    "date_hour_minute_second_fraction": "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "date_hour_minute_second_millis": "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "date_time": "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "date_time_no_millis": "yyyy-MM-dd'T'HH:mm:ssZ",
    "hour": "HH", "hour_minute": "HH:mm", "hour_minute_second": "HH:mm:ss",
    "hour_minute_second_fraction": "HH:mm:ss.SSS", "hour_minute_second_millis": "HH:mm:ss.SSS",
    "time": "HH:mm:ss.SSSZ", "time_no_millis": "HH:mm:ssZ", "t_time": "'T'HH:mm:ss.SSSZ",
    "t_time_no_millis": "'T'HH:mm:ssZ", "year": "yyyy", "year_month": "yyyy-MM",
    "year_month_day": "yyyy-MM-dd",
}


def _named_parser(name):
    base = name[7:] if name.startswith("strict_") else name
    if base in ("date_optional_time", "date_optional_time_nanos"):
        return regex_parser(_optional_time_rx(name.startswith("strict_")))
    if name == "epoch_millis":
        return epoch_parser(10**6, 6)
    if name == "epoch_second":
        return epoch_parser(10**9, 9)
    if base in _NAMED_PATTERNS:	# ES's named formats take 1 to 9 fraction digits
        return java_pattern_parser(_NAMED_PATTERNS[base].replace("SSS", "n"))
    return None


class DateFormat:
    """A date field's format: '||'-separated names or java.time patterns."""
    _cache = {}

    def __init__(self, spec):
        self.spec = spec
        self.parsers = []
        for part in spec.split("||"):
            parser = _named_parser(part.strip()) or java_pattern_parser(part)
            self.parsers.append(parser)

    @classmethod
    def get(cls, spec):
        fmt = cls._cache.get(spec)
        if fmt is None:
            try:
                fmt = cls._cache[spec] = DateFormat(spec)
            except DateParseError as e:
                raise bad_request("Invalid format: [%s]: %s" % (spec, e), "mapper_parsing_exception")
        return fmt

    def parse(self, text):
        last = None
        for parser in self.parsers:
            try:
                return parser(text)
            except DateParseError as e:
                last = e
        if len(self.parsers) > 1:
            raise DateParseError("Failed to parse with all enclosed parsers")
        raise last


DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"
DEFAULT_DYNAMIC_DATE_FORMATS = ["strict_date_optional_time", "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z"]
MAX_NANOS = 2**63 - 1


def date_text(v):
    """A JSON value as the text a date parser sees (numbers as written)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


# --- mappings ---------------------------------------------------------------------
# A mapping compiles to a tree of ObjectMapper and FieldMapper; each field
# has a check(value) that returns None or an Invalid, so that a document
# is validated with one dict lookup and one call per field.

INT_RANGES = {"long": (-2**63, 2**63 - 1), "integer": (-2**31, 2**31 - 1),
              "short": (-2**15, 2**15 - 1), "byte": (-128, 127), "unsigned_long": (0, 2**64 - 1)}
FLOAT_MAX = {"double": 1.7976931348623157e308, "float": 3.4028234663852886e38,
             "half_float": 65504.0, "scaled_float": 1.7976931348623157e308}
STRING_TYPES = {"keyword", "text", "match_only_text", "wildcard", "constant_keyword", "version",
                "search_as_you_type", "annotated_text", "counted_keyword"}
TEXT_LIKE = {"text", "match_only_text", "search_as_you_type", "annotated_text"}
OTHER_TYPES = {"geo_point", "geo_shape", "point", "shape", "integer_range", "float_range",
               "long_range", "double_range", "date_range", "ip_range", "completion",
               "token_count", "dense_vector", "sparse_vector", "rank_feature", "rank_features",
               "histogram", "aggregate_metric_double", "percolator", "join", "murmur3", "binary"}
_LEAF = {"type", "meta", "copy_to", "store", "doc_values", "index", "fields", "script",
         "on_script_error"}
_NUMBER = _LEAF | {"coerce", "ignore_malformed", "null_value", "time_series_dimension",
                   "time_series_metric"}
PARAMS = {
    "keyword": _LEAF | {"eager_global_ordinals", "ignore_above", "index_options", "norms",
                        "null_value", "similarity", "normalizer", "split_queries_on_whitespace",
                        "time_series_dimension"},
    "text": {"type", "meta", "copy_to", "store", "index", "fields", "analyzer", "search_analyzer",
             "search_quote_analyzer", "eager_global_ordinals", "fielddata",
             "fielddata_frequency_filter", "index_options", "index_prefixes", "index_phrases",
             "norms", "position_increment_gap", "similarity", "term_vector"},
    "match_only_text": {"type", "meta", "copy_to", "fields"},
    "wildcard": {"type", "meta", "copy_to", "fields", "ignore_above", "null_value"},
    "constant_keyword": {"type", "meta", "value"},
    "date": _LEAF | {"format", "locale", "ignore_malformed", "null_value", "print_format"},
    "boolean": _LEAF | {"null_value", "ignore_malformed"},
    "ip": _LEAF | {"ignore_malformed", "null_value", "time_series_dimension"},
    "binary": {"type", "meta", "copy_to", "store", "doc_values"},
    "flattened": {"type", "meta", "copy_to", "depth_limit", "doc_values", "eager_global_ordinals",
                  "ignore_above", "index", "index_options", "null_value", "similarity",
                  "split_queries_on_whitespace", "time_series_dimensions"},
    "alias": {"type", "path"},
    "object": {"type", "properties", "dynamic", "enabled", "subobjects"},
    "nested": {"type", "properties", "dynamic", "enabled", "include_in_parent", "include_in_root"},
}
PARAMS["date_nanos"] = PARAMS["date"]
for _t in INT_RANGES:
    PARAMS[_t] = _NUMBER
for _t in FLOAT_MAX:
    PARAMS[_t] = _NUMBER | ({"scaling_factor"} if _t == "scaled_float" else set())
KNOWN_TYPES = set(PARAMS) | STRING_TYPES | OTHER_TYPES
METADATA_FIELDS = {"_id", "_index", "_source", "_routing", "_seq_no", "_version", "_primary_term",
                   "_field_names", "_ignored", "_nested_path", "_tsid", "_ts_routing_hash",
                   "_data_stream_timestamp"}
ROOT_MAPPING_KEYS = {"properties", "dynamic", "date_detection", "numeric_detection",
                     "dynamic_date_formats", "dynamic_templates", "_source", "_routing", "_meta",
                     "runtime", "enabled", "subobjects", "_field_names", "_data_stream_timestamp"}
DYNAMIC_VALUES = {True: "true", False: "false", "true": "true", "false": "false",
                  "strict": "strict", "runtime": "runtime"}


def mapping_error(reason):
    return bad_request(reason, "mapper_parsing_exception")


class Invalid:
    """Why a value does not fit a field: the cause ES reports, whether
    ignore_malformed may skip it, or an error that replaces the usual one."""
    __slots__ = ("cause", "malformed", "top")

    def __init__(self, cause, malformed=True, top=None):
        self.cause, self.malformed, self.top = cause, malformed, top


NOT_TEXT = Invalid(cause("illegal_state_exception", "Can't get text on a START_OBJECT at 1:{col}"),
                   malformed=False)
NOT_NUMERIC = {"START_OBJECT": Invalid(cause(
    "x_content_parse_exception",
    "[1:{col}] Current token (START_OBJECT) not numeric, can not use numeric value accessors"),
    malformed=False)}


def not_numeric(v):
    return NOT_NUMERIC.get(token_name(v)) or Invalid(cause(
        "x_content_parse_exception", "[1:{col}] Current token (%s) not numeric, can not use "
        "numeric value accessors" % token_name(v).replace("VALUE_BOOLEAN", "VALUE_TRUE"
                                                         if v else "VALUE_FALSE")))


def check_string(v):
    return NOT_TEXT if v.__class__ is dict else None


def check_any(v):
    return None


def keyword_check(full, ignore_above):
    def check(v):
        if v.__class__ is dict:
            return NOT_TEXT
        if v.__class__ is str and len(v) > 8191:
            if ignore_above is not None and len(v) > ignore_above:
                return None
            n = len(v.encode("utf-8", "surrogatepass"))
            if n > 32766:
                return immense_term(full, v, n)
        return None
    return check


def immense_term(full, v, n):
    prefix = "[" + ", ".join(str(b) for b in v.encode("utf-8", "surrogatepass")[:30]) + "]"
    tail = "bytes can be at most 32766 in length; got %d" % n
    top = EsError(400, "illegal_argument_exception",
                  "Document contains at least one immense term in field=\"%s\" (whose UTF8 "
                  "encoding is longer than the max length 32766), all of which were skipped.  "
                  "Please correct the analyzer to not produce such terms.  The prefix of the "
                  "first immense term is: '%s...', original message: %s" % (full, prefix, tail),
                  cause("max_bytes_length_exceeded_exception", tail))
    return Invalid(None, malformed=False, top=top)


def _number_text(v, coerce):
    """A numeric JSON string as ES reads it: None for "" (null), else Decimal-ish float/int."""
    if not coerce:
        return Invalid(cause("illegal_argument_exception",
                             "[coerce] is false, cannot coerce string [%s] to a number" % v))
    s = v.strip() if v[:1].isspace() or v[-1:].isspace() else v
    try:
        return int(s)
    except ValueError:
        try:
            f = float(s)
        except ValueError:
            return Invalid(cause("illegal_argument_exception", 'For input string: "%s"' % v))
        return f


NULL = object()


def number_value(v, coerce):
    """A numeric field's JSON value: NULL for "" (ES reads it as null), a
    number for a numeric string (when coercing), an Invalid, or v itself."""
    if v.__class__ is str:
        return NULL if v == "" else _number_text(v, coerce)
    return v


def int_check(tname, coerce):
    lo, hi = INT_RANGES[tname]
    article = "an" if tname[0] in "aeiou" else "a"

    def check(v):
        v = number_value(v, coerce)
        if v is NULL or v.__class__ is Invalid:
            return None if v is NULL else v
        c = v.__class__
        if c is int:
            if lo <= v <= hi:
                return None
            return Invalid(cause("illegal_argument_exception",
                                 "Value [%s] is out of range for %s %s" % (v, article, tname)))
        if c is float:
            if v != v or v in (float("inf"), float("-inf")):
                return Invalid(cause("illegal_argument_exception", "Value [%s] has a decimal part" % v))
            if not coerce and v != int(v):
                return Invalid(cause("illegal_argument_exception", "Value [%s] has a decimal part" % v))
            return check(int(v))
        return not_numeric(v)
    return check


def float_check(tname, coerce):
    top = FLOAT_MAX[tname]

    def check(v):
        v = number_value(v, coerce)
        if v is NULL or v.__class__ is Invalid:
            return None if v is NULL else v
        c = v.__class__
        if c is int or c is float:
            if v != v or abs(v) > top:
                return Invalid(cause("illegal_argument_exception",
                                     "[%s] supports only finite values, but got [%s]"
                                     % (tname, "Infinity" if v == v else "NaN")))
            return None
        return not_numeric(v)
    return check


def bool_check(v):
    if v is True or v is False or v == "true" or v == "false" or v == "":
        return None
    if v.__class__ is dict:
        return NOT_TEXT
    return Invalid(cause("illegal_argument_exception", "Failed to parse value [%s] as only [true] "
                         "or [false] are allowed." % java_str(v)))


def date_check(fmt, nanos):
    def check(v):
        if v.__class__ is dict:
            return NOT_TEXT
        text = v if v.__class__ is str else date_text(v)
        try:
            n = fmt.parse(text)
        except DateParseError as e:
            return Invalid(cause("illegal_argument_exception", "failed to parse date field [%s] "
                                 "with format [%s]" % (text, fmt.spec),
                                 cause("date_time_parse_exception", str(e))))
        if nanos and (n < 0 or n > MAX_NANOS):
            where = "before the epoch in 1970" if n < 0 else "after 2262-04-11T23:47:16.854775807"
            return Invalid(cause("illegal_argument_exception", "date[%s] is %s and cannot be "
                                 "stored in nanosecond resolution" % (text, where)))
        return None
    return check


def ip_check(v):
    if v.__class__ is dict:
        return NOT_TEXT
    try:
        ipaddress.ip_address(v if v.__class__ is str else java_str(v))
        return None
    except ValueError:
        return Invalid(cause("illegal_argument_exception",
                             "'%s' is not an IP string literal." % java_str(v)))


def binary_check(v):
    try:
        base64.b64decode(v, validate=True) if v.__class__ is str else 1 / 0
        return None
    except Exception:
        return Invalid(cause("illegal_argument_exception", "Illegal base64 character"),
                       malformed=False)


def make_check(t, spec, full, mapping):
    coerce = spec.get("coerce", mapping.coerce) not in (False, "false")
    if t == "keyword":
        return keyword_check(full, spec.get("ignore_above"))
    if t in STRING_TYPES:
        return check_string
    if t in INT_RANGES:
        return int_check(t, coerce)
    if t in FLOAT_MAX:
        return float_check(t, coerce)
    if t in ("date", "date_nanos"):
        return date_check(DateFormat.get(spec.get("format", DEFAULT_DATE_FORMAT)), t == "date_nanos")
    if t == "boolean":
        return bool_check
    if t == "ip":
        return ip_check
    if t == "binary":
        return binary_check
    if t == "alias":
        top = EsError(400, "document_parsing_exception",
                      "Cannot write to a field alias [%s]." % full)
        return lambda v: Invalid(None, False, top)
    return check_any


class FieldMapper:
    __slots__ = ("full", "type", "spec", "check", "subfields", "ignore_malformed", "fmt")

    def __init__(self, full, t, spec, mapping):
        self.full, self.type, self.spec = full, t, spec
        self.check = make_check(t, spec, full, mapping)
        self.ignore_malformed = spec.get("ignore_malformed", mapping.ignore_malformed) in (True, "true")
        self.fmt = DateFormat.get(spec.get("format", DEFAULT_DATE_FORMAT)) \
            if t in ("date", "date_nanos") else None
        self.subfields = ()

    def count(self):
        return 1 + len(self.subfields)

    def to_json(self):
        d = {"type": self.type}
        d.update((k, v) for k, v in self.spec.items() if k not in ("type", "fields"))
        if self.subfields:
            d["fields"] = {s.full.rsplit(".", 1)[1]: s.to_json() for s in self.subfields}
        return d


class ObjectMapper:
    __slots__ = ("full", "children", "dyn", "own_dynamic", "enabled", "nested", "extra")

    def __init__(self, full, dyn, own_dynamic=None, enabled=True, nested=False, extra=None):
        self.full, self.children, self.dyn = full, {}, dyn
        self.own_dynamic, self.enabled, self.nested = own_dynamic, enabled, nested
        self.extra = extra or {}

    def child_path(self, name):
        return self.full + "." + name if self.full else name

    def count(self):
        return 1

    def to_json(self):
        d = {"type": "nested"} if self.nested else {}
        if self.own_dynamic is not None:
            d["dynamic"] = self.own_dynamic
        if not self.enabled:
            d["enabled"] = False
        d.update(self.extra)
        if self.children:
            d["properties"] = {k: self.children[k].to_json() for k in sorted(self.children)}
        return d


def compile_mapper(name, full, spec, mapping, parent, multi=False):
    if not isinstance(spec, dict):
        raise mapping_error("Expected map for property [fields] on field [%s] but got a %s"
                            % (name, "class java.lang.String"))
    t = spec.get("type")
    if t is None and multi:
        raise mapping_error("No type specified for field [%s]" % name)
    if t is None or t in ("object", "nested"):
        if multi:
            raise mapping_error("Type [%s] cannot be used in multi field" % (t or "object"))
        return compile_object(name, full, spec, mapping, parent, t == "nested")
    if not isinstance(t, str) or t not in KNOWN_TYPES:
        raise mapping_error("No handler for type [%s] declared on field [%s]" % (t, name))
    allowed = PARAMS.get(t)
    for p in spec:
        if allowed is not None and p not in allowed:
            raise mapping_error("unknown parameter [%s] on mapper [%s] of type [%s]" % (p, full, t))
    if t == "scaled_float" and "scaling_factor" not in spec:
        raise mapping_error("Field [scaling_factor] is required")
    ia = spec.get("ignore_above")
    if ia is not None and (not isinstance(ia, int) or isinstance(ia, bool)):
        raise mapping_error("Failed to parse mapping: failed to parse field [ignore_above]")
    fm = FieldMapper(full, t, spec, mapping)
    fields = spec.get("fields") or {}
    if not isinstance(fields, dict):
        raise mapping_error("Expected map for property [fields] on field [%s] but got a class "
                            "java.lang.String" % name)
    fm.subfields = tuple(compile_mapper(n, full + "." + n, s, mapping, parent, True)
                         for n, s in fields.items())
    return fm


def dynamic_value(v, where):
    if v is None:
        return None
    if not isinstance(v, (str, bool)) or v not in DYNAMIC_VALUES:
        raise mapping_error("Could not convert [%s.dynamic] to boolean" % where)
    return DYNAMIC_VALUES[v]


def compile_object(name, full, spec, mapping, parent, nested):
    allowed = PARAMS["nested" if nested else "object"]
    extra = [k for k in spec if k not in allowed]
    if extra:
        raise mapping_error("Mapping definition for [%s] has unsupported parameters:  %s"
                            % (name, " ".join("[%s : %s]" % (k, java_str(spec[k])) for k in extra)))
    own = dynamic_value(spec.get("dynamic"), name)
    om = ObjectMapper(full, own or parent.dyn, own, spec.get("enabled", True) not in (False, "false"),
                      nested, {k: spec[k] for k in ("subobjects", "include_in_parent",
                                                     "include_in_root") if k in spec})
    add_properties(om, spec.get("properties") or {}, mapping)
    return om


def add_properties(om, props, mapping):
    if not isinstance(props, dict):
        raise mapping_error("Expected map for property [properties] on field [%s] but got a "
                            "class java.lang.String" % (om.full or "_doc"))
    for name, spec in props.items():
        if name == "" or name.strip() == "":
            raise mapping_error("field name cannot be an empty string")
        parts, target = name.split("."), om	# dotted names are objects, as in documents
        for p in parts[:-1]:
            child = target.children.get(p)
            if not isinstance(child, ObjectMapper):
                child = target.children[p] = ObjectMapper(target.child_path(p), target.dyn)
            target = child
        leaf = parts[-1]
        target.children[leaf] = compile_mapper(leaf, target.child_path(leaf), spec, mapping, target)


def count_fields(om):
    n = 0
    for c in om.children.values():
        n += c.count()
        if isinstance(c, ObjectMapper):
            n += count_fields(c)
    return n


def glob_rx(pattern):
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.S)


class DynamicTemplate:
    def __init__(self, name, spec):
        if not isinstance(spec, dict) or not ("mapping" in spec or "runtime" in spec):
            raise mapping_error("template must have a mapping or runtime: [%s]" % name)
        self.name, self.spec = name, spec
        regex = spec.get("match_pattern") == "regex"

        def rx_list(key):
            v = spec.get(key)
            if v is None:
                return None
            vs = v if isinstance(v, list) else [v]
            return [re.compile(x) if regex and key in ("match", "unmatch") else glob_rx(x) for x in vs]
        self.match, self.unmatch = rx_list("match"), rx_list("unmatch")
        self.path_match, self.path_unmatch = rx_list("path_match"), rx_list("path_unmatch")
        mmt = spec.get("match_mapping_type")
        self.types = None if mmt in (None, "*") else set(mmt if isinstance(mmt, list) else [mmt])

    def matches(self, full, leaf, dtype):
        if self.types is not None and dtype not in self.types:
            return False
        for rxs, s, want in ((self.match, leaf, True), (self.unmatch, leaf, False),
                             (self.path_match, full, True), (self.path_unmatch, full, False)):
            if rxs is not None and any(r.match(s) for r in rxs) != want:
                return False
        return True

    def mapping_for(self, leaf, dtype):
        if "mapping" not in self.spec:
            return None		# a runtime field: not indexed here
        default = {"string": "text", "double": "float"}.get(dtype, dtype)

        def subst(v):
            if isinstance(v, str):
                return v.replace("{name}", leaf).replace("{dynamic_type}", default)
            if isinstance(v, dict):
                return {subst(k): subst(x) for k, x in v.items()}
            if isinstance(v, list):
                return [subst(x) for x in v]
            return v
        m = subst(self.spec["mapping"])
        if "type" not in m and not (dtype == "object" and "properties" in m):
            m["type"] = default
        return m


class Mapping:
    """An index's mappings: the mapper tree, dynamic settings and limits."""

    def __init__(self, spec, settings):
        spec = dict(spec or {})
        if len(spec) == 1 and isinstance(spec.get("_doc"), dict):
            spec = dict(spec["_doc"])		# the one type name ES 8 still unwraps
        unknown = [k for k in spec if k not in ROOT_MAPPING_KEYS]
        if unknown:
            raise mapping_error("Root mapping definition has unsupported parameters:  %s"
                                % " ".join("[%s : %s]" % (k, java_str(spec[k])) for k in unknown))
        self.spec = spec
        self.total_limit = int(settings.get("index.mapping.total_fields.limit", 1000))
        self.depth_limit = int(settings.get("index.mapping.depth.limit", 20))
        self.ignore_malformed = settings.get("index.mapping.ignore_malformed") == "true"
        self.coerce = settings.get("index.mapping.coerce") != "false"
        self.date_detection = spec.get("date_detection", True) not in (False, "false")
        self.numeric_detection = spec.get("numeric_detection", False) in (True, "true")
        formats = spec.get("dynamic_date_formats", DEFAULT_DYNAMIC_DATE_FORMATS)
        self.date_formats = [(f, DateFormat.get(f)) for f in formats]
        tmpls = spec.get("dynamic_templates") or []
        if not isinstance(tmpls, list) or any(not isinstance(t, dict) or len(t) != 1 for t in tmpls):
            raise mapping_error("Dynamic template syntax error. An array of named objects is expected.")
        self.templates = [DynamicTemplate(*next(iter(t.items()))) for t in tmpls]
        own = dynamic_value(spec.get("dynamic"), "_doc")
        self.root = ObjectMapper("", own or "true", own, spec.get("enabled", True) is not False)
        add_properties(self.root, spec.get("properties") or {}, self)
        self.field_count = count_fields(self.root)
        self.version = 1

    def lookup(self, name):
        """A field name (dotted, possibly a multi-field or inside a flattened
        field) -> (mapper, source path); (None, name) when unmapped."""
        node, i, parts = self.root, 0, name.split(".")
        while i < len(parts):
            child = node.children.get(parts[i]) if isinstance(node, ObjectMapper) else None
            if child is None:
                return None, name
            i += 1
            if isinstance(child, FieldMapper):
                if i == len(parts):
                    return child, name
                if child.type == "flattened":
                    return child, name
                sub = ".".join(parts[i:])
                for s in child.subfields:
                    if s.full == child.full + "." + sub:
                        return s, child.full
                return None, name
            node = child
        return node, name

    def dynamic_template(self, full, leaf, dtype):
        for t in self.templates:
            if t.matches(full, leaf, dtype):
                return t
        return None

    def detect(self, v):
        """The dynamic type ES gives a new field's first value, and its format."""
        if v.__class__ is dict:
            return "object", None
        if v is True or v is False:
            return "boolean", None
        if v.__class__ is int:
            return "long", None
        if v.__class__ is float:
            return "double", None
        numeric = is_number_text(v)
        if self.date_detection and not numeric:	# ES refuses pure numbers ("2024")
            for spec, fmt in self.date_formats:
                try:
                    fmt.parse(v)
                    return "date", spec
                except DateParseError:
                    pass
        if self.numeric_detection and numeric:
            return ("long" if re.match(r"^\s*[+-]?\d+\s*$", v) else "double"), None
        return "string", None

    def new_field_spec(self, full, leaf, v):
        dtype, fmt = self.detect(v)
        t = self.dynamic_template(full, leaf, dtype)
        if t is not None:
            return t.mapping_for(leaf, dtype)
        if dtype == "string":
            return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
        if dtype == "date":
            return {"type": "date"} if fmt == DEFAULT_DYNAMIC_DATE_FORMATS[0] \
                else {"type": "date", "format": fmt}
        return {"type": {"double": "float"}.get(dtype, dtype)}

    def to_json(self):
        d = {k: v for k, v in self.spec.items() if k != "properties"}
        if self.root.own_dynamic is not None:
            d["dynamic"] = self.root.own_dynamic
        if self.root.children:
            d["properties"] = self.root.to_json()["properties"]
        return d


def is_number_text(v):
    """Whether Java's Long.parseLong or Double.parseDouble would take v."""
    try:
        float(v)
        return True
    except ValueError:
        return False


def merge_mapping_specs(base, over):
    """Template composition: later mappings win, object properties merge."""
    out = dict(base)
    for k, v in (over or {}).items():
        if k == "properties" and isinstance(v, dict) and isinstance(out.get(k), dict):
            props = dict(out[k])
            for name, fspec in v.items():
                old = props.get(name)
                if isinstance(old, dict) and isinstance(fspec, dict) and "properties" in old \
                        and "properties" in fspec:
                    props[name] = merge_mapping_specs(old, fspec)
                else:
                    props[name] = fspec
            out[k] = props
        elif k == "dynamic_templates" and isinstance(v, list) and isinstance(out.get(k), list):
            names = {next(iter(t)) for t in v if isinstance(t, dict) and t}
            out[k] = [t for t in out[k] if next(iter(t), None) not in names] + v
        else:
            out[k] = v
    return out


# --- documents against mappings ------------------------------------------------------

class DocError(EsError):
    """A document that its index's mapping rejects; kpath (innermost key
    first) locates the value in the source for ES's [line:col] prefix."""

    def __init__(self, etype, reason, caused_by=None, located=True):
        super().__init__(400, etype, reason, caused_by)
        self.kpath, self.located = [], located


def copy_cause(c):
    """A cause chain of our own, for locate_error to fill in the column."""
    if c is None:
        return None
    return EsError(c.status, c.etype, c.reason, copy_cause(c.caused_by), c.header, **c.extra)


def document_error(reason, caused_by=None):
    return DocError("document_parsing_exception", reason, caused_by)


class DocParse:
    """Validates one document against (and extends) an index's mapping the
    way ES 8's DocumentParser does; a failed document leaves no mapping."""

    def __init__(self, mapping, doc_id):
        self.mapping, self.doc_id = mapping, doc_id
        self.added, self.new_fields = [], 0

    def run(self, source):
        root = self.mapping.root
        try:
            if root.enabled:
                self.walk(root, source, True)
            if self.added:
                self.check_limits()
        except BaseException:
            for obj, name in reversed(self.added):
                del obj.children[name]
            raise
        if self.added:
            self.mapping.field_count += self.new_fields
            self.mapping.version += 1

    def walk(self, obj, d, at_root=False):
        children = obj.children
        for k, v in d.items():
            try:
                child = children.get(k)
                if child is None and ("." in k or not k.strip()):
                    self.dotted(obj, k, v)
                    continue
                if child is None and at_root and k in METADATA_FIELDS:
                    raise document_error("Field [%s] is a metadata field and cannot be added inside "
                                         "a document. Use the index API request parameters." % k)
                self.field(obj, k, child, v)
            except DocError as e:
                e.kpath.append(k)
                raise

    def field(self, obj, k, child, v):
        if child is None:
            if v is None:
                return
            child = self.dynamic(obj, k, v)
            if child is None:
                return
        if child.__class__ is FieldMapper:
            if v.__class__ is list:
                self.leaf_list(child, v)
            elif v is not None:
                self.leaf(child, v)
        else:
            self.object_value(child, k, v)

    def leaf(self, fm, v):
        inv = fm.check(v)
        if inv is not None:
            self.invalid(fm, v, inv)
        for sub in fm.subfields:
            inv = sub.check(v)
            if inv is not None:
                self.invalid(sub, v, inv)

    def leaf_list(self, fm, values):
        for i, x in enumerate(values):
            try:
                if x.__class__ is list:
                    self.leaf_list(fm, x)
                elif x is not None:
                    self.leaf(fm, x)
            except DocError as e:
                e.kpath.append(i)
                raise

    def invalid(self, fm, v, inv):
        if inv.malformed and fm.ignore_malformed:
            return
        if inv.top is not None:
            e = DocError(inv.top.etype, inv.top.reason, inv.top.caused_by, located=False)
            raise e
        raise document_error("failed to parse field [%s] of type [%s] in document with id '%s'. "
                             "Preview of field's value: '%s'"
                             % (fm.full, fm.type, self.doc_id, java_str(v)), copy_cause(inv.cause))

    def object_value(self, om, k, v):
        if v is None or not om.enabled:
            return
        if v.__class__ is dict:
            self.walk(om, v)
        elif v.__class__ is list:
            for i, x in enumerate(v):
                try:
                    self.object_value(om, k, x)
                except DocError as e:
                    e.kpath.append(i)
                    raise
        else:
            raise document_error("object mapping for [%s] tried to parse field [%s] as object, "
                                 "but found a concrete value" % (om.full, k))

    def dotted(self, obj, k, v):
        if k == "" or not k.strip() or any(not p.strip() for p in k.split(".")):
            if k == "":
                msg = "field name cannot be an empty string"
            elif any(p and not p.strip() for p in k.split(".")):
                msg = "field name cannot contain only whitespace: ['%s']" % k
            else:
                msg = "field name starting or ending with a [.] makes object resolution " \
                      "ambiguous: [%s]" % k
            raise document_error("failed to parse: " + msg, cause("illegal_argument_exception", msg))
        parts, cur = k.split("."), obj
        for p in parts[:-1]:
            child = cur.children.get(p)
            if child is None:
                if cur.dyn == "strict":
                    raise self.strict(cur, p)
                if cur.dyn != "true" or v is None:
                    return
                child = self.add(cur, p, {"type": "object"})
            elif child.__class__ is FieldMapper:
                if child.type == "flattened":
                    return
                raise document_error("Could not dynamically add mapping for field [%s]. Existing "
                                     "mapping for [%s] must be of type object but found [%s]."
                                     % (k, child.full, child.type))
            elif not child.enabled:
                return
            cur = child
        last = parts[-1]
        self.field(cur, last, cur.children.get(last), v)

    def strict(self, obj, k):
        return DocError("strict_dynamic_mapping_exception",
                        "mapping set to strict, dynamic introduction of [%s] within [%s] is not "
                        "allowed" % (k, obj.full or "_doc"))

    def dynamic(self, obj, k, v):
        if obj.dyn == "strict":
            raise self.strict(obj, k)
        if obj.dyn != "true":
            return None
        sample = v
        while sample.__class__ is list:
            sample = next((x for x in sample if x is not None and x != []), None)
            if sample is None:
                return None
        full = obj.child_path(k)
        spec = self.mapping.new_field_spec(full, k, sample)
        return None if spec is None else self.add(obj, k, spec)

    def add(self, obj, k, spec):
        full = obj.child_path(k)
        try:
            m = compile_mapper(k, full, spec, self.mapping, obj)
        except EsError as e:
            raise document_error(e.reason)
        if isinstance(m, ObjectMapper) and full.count(".") + 1 > self.mapping.depth_limit:
            raise DocError("illegal_argument_exception", "Limit of mapping depth [%d] has been "
                           "exceeded due to object field [%s]" % (self.mapping.depth_limit, full),
                           located=False)
        obj.children[k] = m
        self.added.append((obj, k))
        self.new_fields += m.count()
        return m

    def check_limits(self):
        if self.mapping.field_count + self.new_fields > self.mapping.total_limit:
            raise DocError("illegal_argument_exception", "Limit of total fields [%d] has been "
                           "exceeded while adding new fields [%d]"
                           % (self.mapping.total_limit, self.new_fields), located=False)


def locate_error(e, text):
    """ES's '[1:col] ' prefix and the column in 'Can't get text' causes."""
    if not isinstance(e, DocError) or not e.located:
        return e
    col = json_column(text, list(reversed(e.kpath)))
    e.reason = "[1:%d] %s" % (col, e.reason)
    c = e.caused_by
    while c is not None:
        c.reason = c.reason.replace("{col}", str(col))
        c = c.caused_by
    e.located = False
    return e


# --- settings -----------------------------------------------------------------------

SETTING_NAMES = {
    "index.number_of_shards", "index.number_of_replicas", "index.refresh_interval", "index.codec",
    "index.auto_expand_replicas", "index.hidden", "index.priority", "index.default_pipeline",
    "index.final_pipeline", "index.routing_path", "index.mode", "index.look_ahead_time",
    "index.look_back_time", "index.number_of_routing_shards", "index.gc_deletes",
    "index.load_fixed_bitset_filters_eagerly", "index.format", "index.data_path",
    "index.check_on_startup", "index.compound_format", "index.flush_after_merge", "index.frozen",
    "index.verified_before_close", "index.source_only", "index.fast_refresh"}
SETTING_PREFIXES = (
    "index.analysis.", "index.routing.", "index.blocks.", "index.translog.", "index.merge.",
    "index.search.", "index.indexing.", "index.similarity.", "index.store.", "index.sort.",
    "index.unassigned.", "index.write.", "index.shard.", "index.highlight.", "index.max_",
    "index.time_series.", "index.lifecycle.", "index.soft_deletes.", "index.queries.",
    "index.requests.", "index.recovery.", "index.xpack.", "index.plugin.", "index.mapping.",
    "index.query.", "index.ccr.", "index.downsample.", "index.rollup.", "index.fielddata.",
    "index.percolator.", "index.warmer.", "index.bloom_filter_for_id_field.", "index.dense_vector.",
    "index.resize.", "index.version.")
PRIVATE_SETTINGS = {"index.uuid", "index.creation_date", "index.provided_name",
                    "index.version.created"}
INT_SETTINGS = {"index.number_of_shards": (1, 1024), "index.number_of_replicas": (0, None),
                "index.mapping.total_fields.limit": (0, None), "index.mapping.depth.limit": (1, None),
                "index.mapping.nested_fields.limit": (0, None), "index.max_result_window": (1, None),
                "index.priority": (0, None)}
BOOL_SETTINGS = {"index.hidden", "index.mapping.ignore_malformed", "index.mapping.coerce"}
TIME_VALUE = re.compile(r"^(-1|0|\d+(\.\d+)?(nanos|micros|ms|s|m|h|d))$")
SIZE_VALUE = re.compile(r"^(-1|0|\d+(\.\d+)?(b|kb|mb|gb|tb|pb))$", re.I)


def flatten_settings(obj, prefix=""):
    flat = {}
    for k, v in (obj or {}).items():
        key = prefix + k
        if isinstance(v, dict):
            flat.update(flatten_settings(v, key + "."))
        elif v is not None:
            flat[key] = [setting_text(x) for x in v] if isinstance(v, list) else setting_text(v)
    return flat


def setting_text(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def normalize_settings(obj):
    """Index settings as ES keeps them: flat, 'index.'-prefixed, strings."""
    if not isinstance(obj, dict):
        raise bad_request("Failed to load settings from [%s]" % java_str(obj), "settings_exception")
    flat = {}
    for k, v in flatten_settings(obj).items():
        flat[k if k.startswith("index.") else "index." + k] = v
    for k, v in flat.items():
        validate_setting(k, v)
    return flat


def validate_setting(k, v):
    if k in PRIVATE_SETTINGS:
        raise bad_request("private index setting [%s] can not be set explicitly" % k)
    if k not in SETTING_NAMES and not k.startswith(SETTING_PREFIXES):
        raise bad_request("unknown setting [%s] please check that any required plugins are "
                          "installed, or check the breaking changes documentation for removed "
                          "settings" % k)
    if k in INT_SETTINGS:
        lo, hi = INT_SETTINGS[k]
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise bad_request("Failed to parse value [%s] for setting [%s]" % (v, k))
        if n < lo or (hi is not None and n > hi):
            raise bad_request("Failed to parse value [%s] for setting [%s] must be %s %d"
                              % (v, k, ">=" if n < lo else "<=", lo if n < lo else hi))
    if k in BOOL_SETTINGS and v not in ("true", "false"):
        raise bad_request("Failed to parse value [%s] as only [true] or [false] are allowed." % v)
    if k == "index.refresh_interval" and not TIME_VALUE.match(v):
        raise bad_request("failed to parse setting [%s] with value [%s] as a time value: unit is "
                          "missing or unrecognized" % (k, v))


def nest_settings(flat):
    out = {}
    for k in sorted(flat):
        node, parts = out, k.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = flat[k]
    return out


def parse_size(text):
    m = re.match(r"^(\d+)\s*(b|kb|mb|gb|tb)?$", str(text).strip().lower())
    if not m:
        raise ValueError("not a byte size: %s" % text)
    return int(m.group(1)) * 1024 ** ["b", "kb", "mb", "gb", "tb"].index(m.group(2) or "b")


# --- names --------------------------------------------------------------------------

INVALID_NAME_CHARS = ' "*\\<|,>/?'


def check_index_name(name):
    def invalid(why):
        return EsError(400, "invalid_index_name_exception", "Invalid index name [%s], %s" % (name, why),
                       index_uuid="_na_", index=name)
    if name != name.lower():
        raise invalid("must be lowercase")
    if name in (".", ".."):
        raise invalid("must not be '.' or '..'")
    if name[:1] in ("_", "-", "+"):
        raise invalid("must not start with '_', '-', or '+'")
    if any(c in INVALID_NAME_CHARS for c in name):
        raise invalid("must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]")
    if ":" in name:
        raise invalid("must not contain ':'")
    if "#" in name:
        raise invalid("must not contain '#'")
    if len(name.encode("utf-8")) > 255:
        raise invalid("index name is too long, (%d > 255)" % len(name.encode("utf-8")))
    if name == "":
        raise invalid("must not be empty")


_GLOB_CACHE = {}


def simple_match(pattern, name):
    rx = _GLOB_CACHE.get(pattern)
    if rx is None:
        rx = _GLOB_CACHE[pattern] = glob_rx(pattern)
    return rx.match(name) is not None


def globs_intersect(a, b):
    """Whether some name matches both '*' patterns (ES's template overlap)."""
    memo = {}

    def f(i, j):
        key = (i, j)
        if key not in memo:
            if i == len(a):
                r = all(c == "*" for c in b[j:])
            elif j == len(b):
                r = all(c == "*" for c in a[i:])
            elif a[i] == "*":
                r = f(i + 1, j) or f(i, j + 1)
            elif b[j] == "*":
                r = f(i, j + 1) or f(i + 1, j)
            else:
                r = a[i] == b[j] and f(i + 1, j + 1)
            memo[key] = r
        return memo[key]
    return f(0, 0)


def unknown_field(where, key, text=None):
    col = json_column(text, [key]) if text else 2
    return bad_request("[1:%d] [%s] unknown field [%s]" % (col, where, key), "x_content_parse_exception")


def uid(seed):
    return base64.urlsafe_b64encode(hashlib.sha1(seed.encode()).digest()[:16]).decode().rstrip("=")


# --- indices ------------------------------------------------------------------------

class Doc:
    __slots__ = ("source", "version", "seq_no", "shard")

    def __init__(self, source, version, seq_no, shard):
        self.source, self.version, self.seq_no, self.shard = source, version, seq_no, shard


class Index:
    def __init__(self, name, settings, mapping_spec, serial):
        self.name = name
        s = {"index.number_of_shards": "1", "index.number_of_replicas": "1"}
        s.update(settings)
        s.update({"index.uuid": uid("%s/%d" % (name, serial)), "index.provided_name": name,
                  "index.creation_date": str(int(time.time() * 1000)),
                  "index.version.created": "8503000"})
        self.settings, self.uuid = s, s["index.uuid"]
        self.shards, self.replicas = int(s["index.number_of_shards"]), int(s["index.number_of_replicas"])
        self.mapping = Mapping(mapping_spec, s)
        self.docs, self.live, self.deleted = {}, 0, 0
        self.seq = [-1] * self.shards
        self.bytes = 0
        self.aliases = {}

    def shard_of(self, doc_id):
        return zlib.crc32(doc_id.encode("utf-8", "surrogatepass")) % self.shards

    def next_seq(self, shard):
        self.seq[shard] += 1
        return self.seq[shard]

    def shards_header(self):
        return {"total": 1 + self.replicas, "successful": 1, "failed": 0}

    def health(self):
        return "yellow" if self.replicas > 0 else "green"

    def sources(self):
        for doc_id, d in self.docs.items():
            if d.source is not None:
                yield doc_id, d

    def describe(self):
        return {"aliases": {a: c for a, c in self.aliases.items()},
                "mappings": self.mapping.to_json(),
                "settings": nest_settings(self.settings)}


ILM_ACTIONS = {
    "hot": {"set_priority", "unfollow", "rollover", "readonly", "downsample", "shrink",
            "forcemerge", "searchable_snapshot"},
    "warm": {"set_priority", "unfollow", "readonly", "downsample", "allocate", "migrate", "shrink",
             "forcemerge"},
    "cold": {"set_priority", "unfollow", "readonly", "downsample", "searchable_snapshot",
             "allocate", "migrate", "freeze"},
    "frozen": {"unfollow", "searchable_snapshot"},
    "delete": {"wait_for_snapshot", "delete"},
}
ALL_ILM_ACTIONS = set().union(*ILM_ACTIONS.values())
ROLLOVER_KEYS = {"max_age", "max_docs", "max_size", "max_primary_shard_size",
                 "max_primary_shard_docs", "min_age", "min_docs", "min_size",
                 "min_primary_shard_size", "min_primary_shard_docs"}


def time_value_ms(text, setting):
    m = re.match(r"^(\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)$", str(text))
    if not m:
        raise bad_request("failed to parse setting [%s] with value [%s] as a time value: unit is "
                          "missing or unrecognized" % (setting, text))
    mult = {"nanos": 1e-6, "micros": 1e-3, "ms": 1, "s": 1e3, "m": 6e4, "h": 3.6e6, "d": 8.64e7}
    return float(m.group(1)) * mult[m.group(2)]


def validate_ilm_policy(body, text):
    if not isinstance(body, dict):
        raise bad_request("request body is required", "parse_exception")
    for k in body:
        if k != "policy":
            raise unknown_field("put_lifecycle_request", k, text)
    policy = body.get("policy")
    if not isinstance(policy, dict):
        raise bad_request("[1:2] Required [policy]", "x_content_parse_exception")
    for k in policy:
        if k not in ("phases", "_meta", "deprecated"):
            raise unknown_field("lifecycle_policy", k, text)
    phases = policy.get("phases")
    if not isinstance(phases, dict):
        raise bad_request("[1:2] Required [phases]", "x_content_parse_exception")
    out, last_age, last_name = {}, 0.0, None
    for name in ("hot", "warm", "cold", "frozen", "delete"):
        if name in phases:
            age = validate_ilm_phase(name, phases[name], text)
            if last_name is not None and age < last_age:
                raise bad_request("Your policy is configured to run the [%s] phase (min_age: %s) "
                                  "before the [%s] phase (min_age: %s). You should change the phase "
                                  "timing so that the phases will execute in the order of hot, warm, "
                                  "then cold." % (name, phases[name].get("min_age", "0ms"), last_name,
                                                  phases[last_name].get("min_age", "0ms")))
            last_age, last_name = age, name
            out[name] = dict(min_age=phases[name].get("min_age", "0ms"),
                             actions=phases[name].get("actions", {}))
    for name in phases:
        if name not in ILM_ACTIONS:
            raise bad_request("Timeseries lifecycle does not support phase [%s]" % name)
    hot = phases.get("hot", {}).get("actions", {})
    needs = sorted(a for a in ("forcemerge", "shrink", "searchable_snapshot", "downsample")
                   if a in hot)
    if needs and "rollover" not in hot:
        raise bad_request("the [%s] action(s) may not be used in the [hot] phase without an "
                          "accompanying [rollover] action" % ", ".join(needs))
    policy = dict(policy, phases=out)
    return policy


def validate_ilm_phase(name, phase, text):
    if not isinstance(phase, dict):
        raise bad_request("[1:2] [phase] failed to parse", "x_content_parse_exception")
    for k in phase:
        if k not in ("min_age", "actions"):
            raise unknown_field("phase", k, text)
    age = time_value_ms(phase["min_age"], "min_age") if "min_age" in phase else 0.0
    actions = phase.get("actions", {})
    if not isinstance(actions, dict):
        raise bad_request("[1:2] [phase] failed to parse field [actions]", "x_content_parse_exception")
    for a, conf in actions.items():
        if a not in ALL_ILM_ACTIONS:
            raise bad_request("[1:2] [phase] failed to parse field [actions]",
                              "x_content_parse_exception",
                              caused_by=cause("named_object_not_found_exception",
                                              "[1:2] unknown field [%s]" % a))
        if a not in ILM_ACTIONS[name]:
            raise bad_request("invalid action [%s] defined in phase [%s]" % (a, name))
        if a == "rollover":
            validate_rollover(conf if isinstance(conf, dict) else {}, text)
    return age


def validate_rollover(conf, text):
    for k, v in conf.items():
        if k not in ROLLOVER_KEYS:
            raise unknown_field("rollover", k, text)
        if k.endswith("_age"):
            time_value_ms(v, k)
        elif k.endswith("_size") and not SIZE_VALUE.match(str(v)):
            raise bad_request("failed to parse setting [%s] with value [%s] as a size in bytes: unit "
                              "is missing or unrecognized" % (k, v))
    if not any(k.startswith("max_") for k in conf):
        raise bad_request("At least one max_* rollover condition must be set.")


TEMPLATE_KEYS = {"settings", "mappings", "aliases", "lifecycle"}
INDEX_TEMPLATE_KEYS = {"index_patterns", "template", "composed_of", "priority", "version", "_meta",
                       "data_stream", "allow_auto_create", "ignore_missing_component_templates",
                       "deprecated"}
LEGACY_TEMPLATE_KEYS = {"index_patterns", "order", "version", "settings", "mappings", "aliases"}


def check_index_patterns(name, patterns, kind):
    if patterns is None:
        raise validation_failed(["index patterns are missing"])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise validation_failed(["index patterns are missing"])
    problems = []
    for p in patterns:
        if " " in p:
            problems.append("index_pattern [%s] must not contain a space" % p)
        if "," in p:
            problems.append("index_pattern [%s] must not contain a ','" % p)
        if "#" in p:
            problems.append("index_pattern [%s] must not contain a '#'" % p)
        if p.startswith("_"):
            problems.append("index_pattern [%s] must not start with '_'" % p)
        if any(c in '\\/?"<>|' for c in p):
            problems.append("index_pattern [%s] must not contain the following characters "
                            "[\\, /, ?, \", <, >, |]" % p)
    if problems:
        raise EsError(400, "invalid_index_template_exception", "%s [%s] invalid, cause [Validation "
                      "Failed: %s;]" % (kind, name, ";".join(
                          "%d: %s" % (i + 1, m) for i, m in enumerate(problems))))
    return patterns


def check_template_part(t, text, where="template"):
    if t is None:
        return {}
    if not isinstance(t, dict):
        raise bad_request("[1:2] [%s] failed to parse" % where, "x_content_parse_exception")
    for k in t:
        if k not in TEMPLATE_KEYS:
            raise unknown_field(where, k, text)
    out = dict(t)
    if "settings" in t:
        out["settings"] = normalize_settings(t["settings"] or {})
    return out


class Cluster:
    """Every index, alias, data stream, template and policy, behind one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        self.indices, self.aliases, self.data_streams = {}, {}, {}
        self.index_templates, self.component_templates, self.legacy_templates = {}, {}, {}
        self.policies, self.serial = {}, 0

    # templates
    def put_index_template(self, name, body, text, create):
        if not isinstance(body, dict):
            raise bad_request("request body is required", "parse_exception")
        for k in body:
            if k not in INDEX_TEMPLATE_KEYS:
                raise unknown_field("index_template", k, text)
        patterns = check_index_patterns(name, body.get("index_patterns"), "index_template")
        prio = body.get("priority", 0)
        if not isinstance(prio, int) or isinstance(prio, bool) or prio < 0:
            raise validation_failed(["index template priority must be >= 0"])
        if create and name in self.index_templates:
            raise bad_request("index template [%s] already exists" % name)
        stored = {"index_patterns": patterns,
                  "template": check_template_part(body.get("template"), text),
                  "composed_of": list(body.get("composed_of") or [])}
        for k in ("priority", "version", "_meta", "data_stream", "allow_auto_create",
                  "ignore_missing_component_templates", "deprecated"):
            if k in body:
                stored[k] = body[k]
        self.check_components(name, stored)
        self.check_overlap(name, patterns, prio)
        self.check_composition(name, stored)
        self.index_templates[name] = stored
        return {"acknowledged": True}

    def check_components(self, name, stored):
        ignore = set(stored.get("ignore_missing_component_templates") or [])
        missing = [c for c in stored["composed_of"]
                   if c not in self.component_templates and c not in ignore]
        if missing:
            raise EsError(400, "invalid_index_template_exception",
                          "index_template [%s] invalid, cause [index template [%s] specifies "
                          "component templates [%s] that do not exist]"
                          % (name, name, ", ".join(missing)))

    def check_overlap(self, name, patterns, prio):
        clash = {}
        for other, t in self.index_templates.items():
            if other != name and t.get("priority", 0) == prio:
                hits = [p for p in t["index_patterns"] if any(globs_intersect(p, q) for q in patterns)]
                if hits:
                    clash[other] = t["index_patterns"]
        if clash:
            raise bad_request(
                "index template [%s] has index patterns %s matching patterns from existing templates "
                "[%s] with patterns (%s) that have the same priority [%d], multiple index templates "
                "may not match during index creation, please use a different priority"
                % (name, "[" + ", ".join(patterns) + "]", ", ".join(sorted(clash)),
                   ",".join("%s => [%s]" % (k, ", ".join(v)) for k, v in sorted(clash.items())),
                   prio))

    def check_composition(self, name, stored):
        settings, spec, _ = self.compose_parts([stored])
        if "data_stream" in stored:
            spec = with_timestamp(spec)
        try:
            Mapping(spec, settings)
        except EsError as e:
            composed = "with component templates [%s] " % ", ".join(stored["composed_of"]) \
                if stored["composed_of"] else ""
            raise bad_request("composable template [%s] template after composition %sis invalid"
                              % (name, composed),
                              caused_by=cause("mapper_parsing_exception",
                                              "Failed to parse mapping: " + e.reason,
                                              cause(e.etype, e.reason)))

    def put_component_template(self, name, body, text, create):
        if not isinstance(body, dict):
            raise bad_request("request body is required", "parse_exception")
        for k in body:
            if k not in ("template", "version", "_meta", "deprecated"):
                raise unknown_field("component_template", k, text)
        if "template" not in body:
            raise bad_request("[1:2] Required [template]", "x_content_parse_exception")
        if create and name in self.component_templates:
            raise bad_request("component template [%s] already exists" % name)
        stored = dict(body, template=check_template_part(body["template"], text))
        try:
            Mapping(stored["template"].get("mappings"), stored["template"].get("settings", {}))
        except EsError as e:
            raise mapping_error("Failed to parse mapping: " + e.reason)
        self.component_templates[name] = stored
        return {"acknowledged": True}

    def put_legacy_template(self, name, body, text):
        if not isinstance(body, dict):
            raise bad_request("request body is required", "parse_exception")
        for k in body:
            if k not in LEGACY_TEMPLATE_KEYS:
                raise bad_request("unknown key [%s] in the template " % k)
        stored = {"order": body.get("order", 0),
                  "index_patterns": check_index_patterns(name, body.get("index_patterns"),
                                                         "index_template"),
                  "settings": normalize_settings(body.get("settings") or {}),
                  "mappings": body.get("mappings") or {}, "aliases": body.get("aliases") or {}}
        if "version" in body:
            stored["version"] = body["version"]
        try:
            Mapping(stored["mappings"], stored["settings"])
        except EsError as e:
            raise mapping_error("Failed to parse mapping: " + e.reason)
        self.legacy_templates[name] = stored
        return {"acknowledged": True}

    def compose_parts(self, parts_of):
        """Settings, mapping spec and aliases merged from templates in order."""
        settings, spec, aliases = {}, {}, {}
        for t in parts_of:
            chain = [self.component_templates[c]["template"] for c in t.get("composed_of", [])
                     if c in self.component_templates]
            chain.append(t.get("template", t))
            for part in chain:
                settings.update(part.get("settings") or {})
                spec = merge_mapping_specs(spec, part.get("mappings"))
                aliases.update(part.get("aliases") or {})
        return settings, spec, aliases

    def matching_template(self, index_name):
        best = None
        for name, t in self.index_templates.items():
            if any(simple_match(p, index_name) for p in t["index_patterns"]):
                if best is None or t.get("priority", 0) > best[1].get("priority", 0):
                    best = (name, t)
        return best

    def templates_for(self, index_name):
        """The composable template that applies, else the legacy ones by order."""
        best = self.matching_template(index_name)
        if best:
            return best[0], [best[1]]
        legacy = sorted(((t["order"], n, t) for n, t in self.legacy_templates.items()
                         if any(simple_match(p, index_name) for p in t["index_patterns"])))
        return None, [{"template": {"settings": t["settings"], "mappings": t["mappings"],
                                    "aliases": t["aliases"]}} for _, _, t in legacy]

    def put_policy(self, name, body, text):
        policy = validate_ilm_policy(body, text)
        old = self.policies.get(name)
        self.policies[name] = {"version": old["version"] + 1 if old else 1,
                               "modified_date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                               "policy": policy}
        return {"acknowledged": True}

    def policy_users(self, name):
        return {"indices": sorted(i.name for i in self.indices.values()
                                  if i.settings.get("index.lifecycle.name") == name),
                "data_streams": [],
                "composable_templates": sorted(
                    n for n, t in self.index_templates.items()
                    if t.get("template", {}).get("settings", {}).get("index.lifecycle.name") == name)}

    # indices
    def create_index(self, name, body=None, auto=False, data_stream=False, parts=None):
        check_index_name(name)
        if parts is None:
            parts = self.templates_for(name)[1]
        if body:
            parts = parts + [{"template": {"settings": normalize_settings(body.get("settings") or {}),
                                           "mappings": body.get("mappings"),
                                           "aliases": body.get("aliases")}}]
        settings, spec, aliases = self.compose_parts(parts)
        if data_stream:
            spec = with_timestamp(spec)
            settings.setdefault("index.hidden", "true")
        self.serial += 1
        idx = Index(name, settings, spec, self.serial)
        self.indices[name] = idx
        for alias, conf in (aliases or {}).items():
            self.add_alias(alias, idx, conf or {})
        return idx

    def add_alias(self, alias, idx, conf):
        idx.aliases[alias] = conf
        self.aliases.setdefault(alias, {})[idx.name] = conf

    def delete_index(self, idx):
        del self.indices[idx.name]
        for alias in idx.aliases:
            members = self.aliases.get(alias, {})
            members.pop(idx.name, None)
            if not members:
                self.aliases.pop(alias, None)
        for ds, backing in list(self.data_streams.items()):
            if idx.name in backing:
                backing.remove(idx.name)
                if not backing:
                    del self.data_streams[ds]

    def resolve(self, expr, ignore_unavailable=False, allow_no_indices=True):
        """An index expression (comma list, wildcards, -exclusions, _all,
        aliases, data streams) -> the concrete indices, in name order."""
        chosen = []
        for part in (expr or "_all").split(","):
            if part.startswith("-") and chosen:
                drop = set(self.resolve_one(part[1:], True))
                chosen = [n for n in chosen if n not in drop]
                continue
            chosen.extend(n for n in self.resolve_one(part, ignore_unavailable) if n not in chosen)
        if not chosen and not allow_no_indices:
            raise index_not_found(expr)
        return [self.indices[n] for n in sorted(chosen)]

    def resolve_one(self, part, ignore_unavailable):
        if part in ("_all", "*"):
            return [n for n, i in self.indices.items() if i.settings.get("index.hidden") != "true"]
        if "*" in part:
            hidden_ok = part.startswith(".")
            names = [n for n, i in self.indices.items()
                     if simple_match(part, n) and (hidden_ok or (i.settings.get("index.hidden") != "true"
                                                                 and not n.startswith(".")))]
            for a, members in self.aliases.items():
                if simple_match(part, a):
                    names.extend(members)
            for ds, backing in self.data_streams.items():
                if simple_match(part, ds):
                    names.extend(backing)
            return names
        if part in self.indices:
            return [part]
        if part in self.aliases:
            return list(self.aliases[part])
        if part in self.data_streams:
            return list(self.data_streams[part])
        if ignore_unavailable:
            return []
        raise index_not_found(part)


def with_timestamp(spec):
    props = dict(spec.get("properties") or {})
    props.setdefault("@timestamp", {"type": "date"})
    return dict(spec, properties=props)


# --- faults and stats -------------------------------------------------------------------

FAULT_DEFAULTS = {
    "item_429_rate": 0.0, "item_503_rate": 0.0, "item_403_rate": 0.0,
    "request_503_rate": 0.0, "request_429_rate": 0.0, "bad_response_rate": 0.0,
    "drop_connection_rate": 0.0, "drop_before_index": False, "drop_reset": False,
    "latency_ms": 0, "down": False, "down_ms": None, "status_override": None, "seed": 1,
    "oversize": None,
}
OVERSIZE = ("endless_body", "huge_length", "endless_headers", "deep_items", "deep_error")


class Faults:
    """Injected failures of bulk requests, drawn from one seeded RNG in
    request and item order: the same requests meet the same faults."""

    def __init__(self, seed=1):
        self.conf = dict(FAULT_DEFAULTS, seed=seed)
        self.rng = random.Random(seed)

    def update(self, changes):
        if not isinstance(changes, dict):
            raise bad_request("faults: a JSON object of " + ", ".join(sorted(FAULT_DEFAULTS)))
        for k, v in changes.items():
            if k not in FAULT_DEFAULTS:
                raise bad_request("faults: unknown key [%s]; known: %s" % (k, ", ".join(sorted(FAULT_DEFAULTS))))
            want = type(FAULT_DEFAULTS[k])
            if k.endswith("_rate") and (not isinstance(v, (int, float)) or isinstance(v, bool)
                                        or not 0 <= v <= 1):
                raise bad_request("faults: [%s] must be a number from 0 to 1" % k)
            if want is bool and not isinstance(v, bool):
                raise bad_request("faults: [%s] must be true or false" % k)
            if k in ("latency_ms", "seed", "down_ms", "status_override") and v is not None and (
                    not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise bad_request("faults: [%s] must be a non-negative integer or null" % k)
            if k == "oversize" and v is not None and v not in OVERSIZE:
                raise bad_request("faults: [oversize] must be null or one of " + ", ".join(OVERSIZE))
        self.conf.update(changes)
        self.rng = random.Random(self.conf["seed"])

    def draw(self, name):
        rate = self.conf[name]
        return rate > 0 and self.rng.random() < rate


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests, self.endpoints = {}, {}
            self.counters = {"bulk_requests": 0, "bulk_items": 0, "bytes_received": 0,
                             "bytes_decoded": 0, "gzip_requests": 0, "dropped_connections": 0,
                             "auth_failures": 0, "auth_api_key": 0, "auth_basic": 0,
                             "connections_total": 0,
                             "oversize_bytes_sent": 0}
            self.items, self.faults = {}, {}
            self.open = self.max_open = 0

    def add(self, key, n=1):
        with self.lock:
            self.counters[key] += n

    def fault(self, name):
        with self.lock:
            self.faults[name] = self.faults.get(name, 0) + 1

    def request(self, path, endpoint, status):
        with self.lock:
            for table, key in ((self.requests, path), (self.endpoints, endpoint)):
                row = table.setdefault(key, {})
                row[str(status)] = row.get(str(status), 0) + 1

    def bulk_items(self, statuses):
        with self.lock:
            self.counters["bulk_items"] += len(statuses)
            for s in statuses:
                self.items[str(s)] = self.items.get(str(s), 0) + 1

    def connection(self, delta):
        with self.lock:
            self.open += delta
            if delta > 0:
                self.counters["connections_total"] += 1
                self.max_open = max(self.max_open, self.open)

    def snapshot(self, cluster):
        with self.lock:
            d = dict(self.counters, requests=self.requests, endpoints=self.endpoints,
                     items_by_status=self.items, faults_injected=self.faults,
                     connections_open=self.open, max_concurrent_connections=self.max_open)
            d = json.loads(dumps(d))
        with cluster.lock:
            d["documents"] = {n: i.live for n, i in sorted(cluster.indices.items())}
        return d


def rejected_item():
    return EsError(429, "es_rejected_execution_exception",
                   "rejected execution of org.elasticsearch.action.support.replication."
                   "TransportWriteAction$1/WrappedActionListener{org.elasticsearch.action.support."
                   "replication.ReplicationOperation$$Lambda$6436/0x0000000801b6a628@4f1d7d55} on "
                   "EsThreadPoolExecutor[name = %s/write, queue capacity = 10000, org.elasticsearch."
                   "common.util.concurrent.EsThreadPoolExecutor@51d4bad1[Running, pool size = 8, "
                   "active threads = 8, queued tasks = 10000, completed tasks = 4711]]" % NODE_NAME)


def unavailable_item(index, n):
    return EsError(503, "unavailable_shards_exception",
                   "[%s][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest "
                   "[[%s][0]] containing [%d] requests]" % (index, index, n))


def forbidden_item(index, user):
    return EsError(403, "security_exception",
                   "action [indices:data/write/bulk[s]] is unauthorized for user [%s] with "
                   "effective roles [viewer] on indices [%s], this action is granted by the index "
                   "privileges [create_doc,create,index,write,all]" % (user, index))


# --- bulk ---------------------------------------------------------------------------

BULK_ACTIONS = ("create", "index", "update", "delete")
BULK_META = {"_index", "_id", "routing", "op_type", "version", "version_type", "if_seq_no",
             "if_primary_term", "retry_on_conflict", "pipeline", "require_alias",
             "require_data_stream", "list_executed_pipelines", "_source"}
UPDATE_KEYS = {"doc", "upsert", "doc_as_upsert", "script", "scripted_upsert", "detect_noop",
               "_source", "if_seq_no", "if_primary_term", "retry_on_conflict"}


class BulkRequest:
    __slots__ = ("action", "line", "index", "id", "op_type", "version", "version_type",
                 "if_seq_no", "if_primary_term", "pipeline", "require_alias",
                 "require_data_stream", "source", "update", "type", "target")

    def __init__(self, action, line, index, pipeline, require_alias):
        self.action, self.line, self.index = action, line, index
        self.id = self.op_type = self.version = self.if_seq_no = self.if_primary_term = None
        self.version_type, self.pipeline, self.require_alias = "internal", pipeline, require_alias
        self.require_data_stream, self.source, self.update, self.type = False, None, None, None
        self.target = None


def x_content_error(e, line_no=1):
    col = getattr(e, "pos", 0) + 1
    return bad_request("[%d:%d] %s" % (line_no, col, e.message if isinstance(e, JsonError) else e),
                       "x_content_parse_exception")


def meta_text(v):
    return java_str(v) if not isinstance(v, str) else v


def parse_action(obj, line, url_index, params, allow_type):
    if not isinstance(obj, dict):
        raise bad_request("Malformed action/metadata line [%d], expected START_OBJECT but found [%s]"
                          % (line, token_name(obj)))
    if not obj:
        raise bad_request("Malformed action/metadata line [%d], expected FIELD_NAME but found "
                          "[END_OBJECT]" % line)
    action, meta = next(iter(obj.items()))
    if action not in BULK_ACTIONS:
        raise bad_request("Malformed action/metadata line [%d], expected field [create], [delete], "
                          "[index] or [update] but found [%s]" % (line, action))
    if not isinstance(meta, dict):
        raise bad_request("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT "
                          "but found [%s]" % (line, token_name(meta)))
    r = BulkRequest(action, line, url_index, params.get("pipeline"),
                    params.get("require_alias") in ("", "true"))
    for k, v in meta.items():
        if isinstance(v, list) or (isinstance(v, dict) and k not in ("_source", "dynamic_templates")):
            raise bad_request("Malformed action/metadata line [%d], expected a simple value for field "
                              "[%s] but found [%s]" % (line, k, token_name(v)))
        if v is None or isinstance(v, dict):
            continue
        if k == "_type" and allow_type:
            r.type = meta_text(v)
        elif k not in BULK_META:
            raise bad_request("Action/metadata line [%d] contains an unknown parameter [%s]" % (line, k))
        elif k == "_index":
            r.index = meta_text(v)
        elif k == "_id":
            r.id = meta_text(v)
        elif k in ("require_alias", "require_data_stream"):
            setattr(r, k, v in (True, "true"))
        elif k in ("version", "if_seq_no", "if_primary_term"):
            try:
                setattr(r, k, int(v))
            except (TypeError, ValueError):
                raise bad_request('For input string: "%s"' % v, "x_content_parse_exception")
        elif k in ("op_type", "version_type", "pipeline"):
            setattr(r, k, meta_text(v))
    return r


def parse_update_body(raw, line):
    try:
        body = loads_strict(raw)
    except JsonError as e:
        raise x_content_error(e)
    if not isinstance(body, dict):
        raise bad_request("[1:1] Malformed content, must start with an object", "x_content_parse_exception")
    for k in body:
        if k not in UPDATE_KEYS:
            raise unknown_field("UpdateRequest", k, raw.decode("utf-8", "replace"))
    for k in ("doc", "upsert"):
        if k in body and not isinstance(body[k], dict):
            raise bad_request("[1:2] [UpdateRequest] failed to parse field [%s]" % k,
                              "x_content_parse_exception")
    return body


def parse_bulk(body, url_index, params, allow_type):
    """The NDJSON body -> BulkRequests, raising ES's whole-request errors."""
    lines = body.split(b"\n")
    tail, reqs, pending, n = lines.pop(), [], None, 0
    for raw in lines:
        n += 1
        if pending is not None:
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if pending.action == "update":
                pending.update = parse_update_body(raw, n)
            pending.source = raw
            reqs.append(pending)
            pending = None
            continue
        if not raw.strip(b" \t\r"):
            continue
        try:
            obj = loads_strict(raw)
        except JsonError as e:
            raise x_content_error(e)
        r = parse_action(obj, n, url_index, params, allow_type)
        if r.action == "delete":
            reqs.append(r)
        else:
            pending = r
    if tail:
        raise bad_request("The bulk request must be terminated by a newline [\\n]")
    validate_bulk(reqs)
    return reqs


def validate_bulk(reqs):
    problems = []
    for r in reqs:
        if r.index is None:
            problems.append("index is missing")
        if r.id is not None and r.id == "":
            problems.append("if _id is specified it must not be empty")
        elif r.id is not None and len(r.id.encode("utf-8")) > 512:
            problems.append("id [%s] is too long, must be no longer than 512 bytes but was: %d"
                            % (r.id, len(r.id.encode("utf-8"))))
        if r.action in ("update", "delete") and r.id is None:
            problems.append("id is missing")
        if r.action == "update" and r.update is not None and not (
                "doc" in r.update or "script" in r.update or "upsert" in r.update):
            problems.append("script or doc is missing")
        if r.version is not None and r.version_type == "internal":
            problems.append("internal versioning can not be used for optimistic concurrency "
                            "control. Please use `if_seq_no` and `if_primary_term` instead")
        if (r.action == "create" or r.op_type == "create") and r.version_type != "internal":
            problems.append("create operations only support internal versioning. use index instead")
    if not reqs:
        problems.append("no requests added")
    if problems:
        raise validation_failed(problems)


def deep_merge(base, doc):
    out = dict(base)
    for k, v in doc.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class Writer:
    """Executes bulk items (and the single-document APIs) on the cluster,
    under its lock, with ES's versions, conflicts and results."""

    def __init__(self, cluster, faults, stats, user):
        self.cluster, self.faults, self.stats, self.user = cluster, faults, stats, user

    def bulk(self, reqs, refresh, start):
        items, statuses, errors = [], [], False
        with self.cluster.lock:
            for r in reqs:
                item = self.item(r, refresh)
                items.append({r.action: item})
                statuses.append(item["status"])
                errors = errors or "error" in item
        self.stats.bulk_items(statuses)
        return {"errors": errors, "took": int((time.monotonic() - start) * 1000), "items": items}

    def injected(self, r):
        for name, make in (("item_429_rate", lambda: rejected_item()),
                           ("item_503_rate", lambda: unavailable_item(r.index, 1)),
                           ("item_403_rate", lambda: forbidden_item(r.index, self.user))):
            if self.faults.draw(name):
                self.stats.fault(name)
                return make()
        return None

    def item(self, r, refresh):
        try:
            e = self.injected(r)
            if e is not None:
                raise e
            result = self.run(r)
            if refresh and result["status"] < 300:
                result["forced_refresh"] = True
            return result
        except EsError as e:
            name = r.target.name if r.target is not None else r.index
            return {"_index": name, "_id": r.id, "status": e.status, "error": e.obj()}

    def run(self, r):
        """One write, raising its error; the result has ES's item shape."""
        r.target = self.cluster_target(r)
        if r.pipeline not in (None, "", "_none"):
            raise bad_request("pipeline with id [%s] does not exist" % r.pipeline)
        return self.execute(r.target, r)

    def execute(self, idx, r):
        if r.action == "delete":
            return self.delete(idx, r)
        if r.action == "update":
            return self.update(idx, r)
        return self.index(idx, r, r.action == "create" or r.op_type == "create", r.source)

    def cluster_target(self, r):
        c, name = self.cluster, r.index
        if name in c.aliases:
            members = c.aliases[name]
            writers = [n for n, conf in members.items() if conf.get("is_write_index")]
            if not writers and len(members) == 1:
                writers = list(members)
            if len(writers) != 1:
                raise bad_request("no write index is defined for alias [%s]. The write index may be "
                                  "explicitly disabled using is_write_index=false or the alias points "
                                  "to multiple indices without one being designated as a write index"
                                  % name)
            return c.indices[writers[0]]
        if r.require_alias:
            raise index_not_found(name, "no such index [%s] and [require_alias] request flag is [true] "
                                  "and [%s] is not an alias" % (name, name))
        if name in c.data_streams:
            self.check_data_stream_op(r)
            return c.indices[c.data_streams[name][-1]]
        if name in c.indices:
            return c.indices[name]
        check_index_name(name)
        if r.action == "delete":
            raise index_not_found(name)
        return self.auto_create(r)

    def check_data_stream_op(self, r):
        if r.action != "create" and r.op_type != "create":
            raise bad_request("only write ops with an op_type of create are allowed in data streams")

    def auto_create(self, r):
        c, name = self.cluster, r.index
        best = c.matching_template(name)
        if best and "data_stream" in best[1]:
            self.check_data_stream_op(r)
            backing = ".ds-%s-%s-000001" % (name, time.strftime("%Y.%m.%d", time.gmtime()))
            idx = c.create_index(backing, data_stream=True, parts=[best[1]])
            c.data_streams[name] = [backing]
            return idx
        if best and best[1].get("allow_auto_create") is False:
            raise index_not_found(name, "no such index [%s] and composable template [%s] forbids "
                                  "index auto creation" % (name, best[0]))
        if r.require_data_stream:
            raise bad_request("index [%s] does not exist and [require_data_stream] is true but no "
                              "matching composable template with data_stream enabled exists" % name)
        return c.create_index(name, auto=True)

    def new_id(self):
        self.cluster.serial += 1
        return uid("auto-id/%d" % self.cluster.serial)[:20]

    def parse_source(self, idx, doc_id, raw):
        if not raw.strip(b" \t\r\n"):
            raise DocError("document_parsing_exception", "failed to parse, document is empty",
                           located=False)
        try:
            text = raw.decode("utf-8")
            obj = loads_strict(text)
        except (JsonError, UnicodeDecodeError) as e:
            msg = e.message if isinstance(e, JsonError) else "Invalid UTF-8 middle byte"
            raise DocError("document_parsing_exception", "[1:%d] failed to parse: %s"
                           % (getattr(e, "pos", 0) + 1, msg),
                           cause("json_parse_exception", msg), located=False)
        if not isinstance(obj, dict):
            raise DocError("document_parsing_exception", "[1:1] Malformed content, must start with "
                           "an object", located=False)
        if idx.name.startswith(".ds-") and "@timestamp" not in obj:
            raise DocError("document_parsing_exception", "[1:%d] data stream timestamp field "
                           "[@timestamp] is missing" % (len(raw) + 1), located=False)
        return text, obj

    def conflict(self, idx, doc_id, reason, shard):
        return EsError(409, "version_conflict_engine_exception", "[%s]: version conflict, %s"
                       % (doc_id, reason), index_uuid=idx.uuid, shard=str(shard), index=idx.name)

    def check_versions(self, idx, r, doc_id, old, create, shard):
        live = old is not None and old.source is not None
        if create and live:
            raise self.conflict(idx, doc_id, "document already exists (current version [%d])"
                                % old.version, shard)
        if r.if_seq_no is not None:
            if not live:
                raise self.conflict(idx, doc_id, "required seqNo [%d], primary term [%d] but no "
                                    "document was found" % (r.if_seq_no, r.if_primary_term or 0), shard)
            if old.seq_no != r.if_seq_no or (r.if_primary_term or 1) != 1:
                raise self.conflict(idx, doc_id, "required seqNo [%d], primary term [%d]. current "
                                    "document has seqNo [%d] and primary term [1]"
                                    % (r.if_seq_no, r.if_primary_term or 0, old.seq_no), shard)
        if r.version_type in ("external", "external_gte") and r.version is not None and live:
            if r.version < old.version or (r.version == old.version and r.version_type == "external"):
                raise self.conflict(idx, doc_id, "current version [%d] is higher or equal to the one "
                                    "provided [%d]" % (old.version, r.version), shard)

    def index(self, idx, r, create, raw, obj=None):
        doc_id = r.id if r.id is not None else self.new_id()
        r.id = doc_id
        if obj is None:
            text, obj = self.parse_source(idx, doc_id, raw)
        else:
            text = dumps(obj)
            raw = text.encode("utf-8")
        try:
            DocParse(idx.mapping, doc_id).run(obj)
        except DocError as e:
            raise locate_error(e, text)
        shard = idx.shard_of(doc_id)
        old = idx.docs.get(doc_id)
        self.check_versions(idx, r, doc_id, old, create, shard)
        live = old is not None and old.source is not None
        version = r.version if r.version_type in ("external", "external_gte") and r.version \
            else (old.version + 1 if old else 1)
        seq = idx.next_seq(shard)
        idx.docs[doc_id] = Doc(raw, version, seq, shard)
        idx.bytes += len(raw)
        if live:
            idx.deleted += 1
        else:
            idx.live += 1
        return self.result(idx, doc_id, version, "updated" if live else "created", seq,
                           200 if live else 201)

    def result(self, idx, doc_id, version, result, seq, status):
        return {"_index": idx.name, "_id": doc_id, "_version": version, "result": result,
                "_shards": idx.shards_header(), "_seq_no": seq, "_primary_term": 1, "status": status}

    def delete(self, idx, r):
        shard = idx.shard_of(r.id)
        old = idx.docs.get(r.id)
        self.check_versions(idx, r, r.id, old, False, shard)
        seq = idx.next_seq(shard)
        if old is None or old.source is None:
            version = old.version + 1 if old else 1
            idx.docs[r.id] = Doc(None, version, seq, shard)
            return self.result(idx, r.id, version, "not_found", seq, 404)
        idx.docs[r.id] = Doc(None, old.version + 1, seq, shard)
        idx.live -= 1
        idx.deleted += 1
        return self.result(idx, r.id, old.version + 1, "deleted", seq, 200)

    def update(self, idx, r):
        body, old = r.update, idx.docs.get(r.id)
        if old is None or old.source is None:
            if "upsert" in body:
                return self.index(idx, r, True, None, body["upsert"])
            if body.get("doc_as_upsert") in (True, "true"):
                return self.index(idx, r, True, None, body["doc"])
            raise EsError(404, "document_missing_exception", "[%s]: document missing" % r.id,
                          index_uuid=idx.uuid, shard=str(idx.shard_of(r.id)), index=idx.name)
        if "script" in body:
            raise bad_request("es_emulator does not run scripts: use [doc] in update requests")
        current = json.loads(old.source)
        merged = deep_merge(current, body["doc"])
        if merged == current and body.get("detect_noop", True) not in (False, "false"):
            res = self.result(idx, r.id, old.version, "noop", old.seq_no, 200)
            res["_shards"] = {"total": 0, "successful": 0, "failed": 0}
            return res
        return self.index(idx, r, False, None, merged)


# --- queries ----------------------------------------------------------------------------
# Enough of the query DSL for tests to check what arrived: a query compiles,
# per index, to a predicate over a document's source.

TOKEN_RX = re.compile(r"\w+", re.UNICODE)


def tokens(v):
    return [t.lower() for t in TOKEN_RX.findall(v if isinstance(v, str) else java_str(v))]


def values_at(node, path, out=None):
    """Every non-null leaf value at a dotted path, through dotted keys and arrays."""
    out = [] if out is None else out
    if isinstance(node, list):
        for x in node:
            values_at(x, path, out)
    elif isinstance(node, dict):
        for k, v in node.items():
            if k == path:
                _flatten(v, out)
            elif path.startswith(k) and path[len(k):len(k) + 1] == ".":
                values_at(v, path[len(k) + 1:], out)
    return out


def _flatten(v, out):
    if isinstance(v, list):
        for x in v:
            _flatten(x, out)
    elif v is not None:
        out.append(v)


def parsing_error(reason, etype="parsing_exception"):
    return EsError(400, etype, reason, line=1, col=1)


def kind_of(mapper):
    if mapper is None:
        return None
    if isinstance(mapper, ObjectMapper):
        return "object"
    t = mapper.type
    if t in TEXT_LIKE:
        return "text"
    if t in INT_RANGES or t in FLOAT_MAX:
        return "number"
    if t in ("date", "date_nanos"):
        return "date"
    if t == "boolean":
        return "boolean"
    return "keyword"


def keyword_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else java_str(v)


class FieldRef:
    """A field of one index as a query sees it: how to read and compare it."""

    def __init__(self, idx, name, now):
        self.name, self.idx, self.now = name, idx, now
        self.mapper, self.path = idx.mapping.lookup(name)
        self.kind = kind_of(self.mapper)

    def values(self, src):
        return values_at(src, self.path)

    def convert(self, v, round_up=False):
        """A doc or query value in the field's comparable form, or None."""
        try:
            if self.kind == "number":
                return float(v) if not isinstance(v, bool) else None
            if self.kind == "date":
                return date_math(date_text(v), self.mapper.fmt, self.now, round_up)
            if self.kind == "boolean":
                return {True: True, False: False, "true": True, "false": False}.get(v)
            if self.kind in ("keyword", "text"):
                return keyword_text(v)
        except (ValueError, TypeError, DateParseError):
            return None
        return None

    def equals(self, v, case_insensitive=False):
        if self.kind in (None, "object"):
            return None
        if self.kind == "text":
            t = keyword_text(v)
            t = t.lower() if case_insensitive else t
            return lambda x: t in tokens(x)
        target = self.convert(v)
        if target is None:
            raise parsing_error("failed to create query: For input string: \"%s\"" % java_str(v),
                                "query_shard_exception")
        if self.kind == "keyword" and case_insensitive:
            target = target.lower()
            return lambda x: keyword_text(x).lower() == target
        conv = self.convert
        return lambda x: conv(x) == target

    def predicate(self, test):
        if test is None:
            return lambda src, doc_id: False
        return lambda src, doc_id: any(test(x) for x in self.values(src))


def date_math(text, fmt, now_ns, round_up=False):
    if text.startswith("now"):
        base, ops = now_ns, text[3:]
    elif "||" in text:
        anchor, ops = text.split("||", 1)
        base = fmt.parse(anchor)
    else:
        return fmt.parse(text)
    import datetime
    secs, ns = divmod(base, 10**9)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    for op, num, unit in re.findall(r"([+-/])(\d*)([yMwdhHms])", ops):
        if op == "/":
            t, ns = round_date(t, unit, round_up), (10**9 - 10**6 if round_up else 0)
        else:
            t = shift_date(t, int(num or 1) * (-1 if op == "-" else 1), unit)
    return int(calendar.timegm(t.timetuple())) * 10**9 + ns


def shift_date(t, n, unit):
    import datetime
    if unit in "yM":
        months = t.month - 1 + n * (12 if unit == "y" else 1)
        y, m = t.year + months // 12, months % 12 + 1
        return t.replace(year=y, month=m, day=min(t.day, month_days(y, m)))
    secs = {"w": 604800, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return t + datetime.timedelta(seconds=n * secs)


def round_date(t, unit, up):
    import datetime
    if unit == "y":
        r = t.replace(month=1, day=1, hour=0, minute=0, second=0)
        return shift_date(r, 1, "y") - datetime.timedelta(seconds=1) if up else r
    if unit == "M":
        r = t.replace(day=1, hour=0, minute=0, second=0)
        return shift_date(r, 1, "M") - datetime.timedelta(seconds=1) if up else r
    if unit == "w":
        r = (t - datetime.timedelta(days=t.weekday())).replace(hour=0, minute=0, second=0)
        return r + datetime.timedelta(days=7, seconds=-1) if up else r
    fields = {"d": dict(hour=0, minute=0, second=0), "h": dict(minute=0, second=0),
              "H": dict(minute=0, second=0), "m": dict(second=0), "s": {}}[unit]
    r = t.replace(microsecond=0, **fields)
    span = {"d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return r + datetime.timedelta(seconds=span - 1) if up else r


def single_field(body, name, value_key):
    if not isinstance(body, dict) or not body:
        raise parsing_error("[%s] query malformed, no start_object after query name" % name)
    if len(body) > 1:
        keys = list(body)
        raise parsing_error("[%s] query doesn't support multiple fields, found [%s] and [%s]"
                            % (name, keys[0], keys[1]))
    field, spec = next(iter(body.items()))
    if isinstance(spec, dict):
        if value_key not in spec:
            raise parsing_error("[%s] query does not support [%s]" % (name, next(iter(spec), "")))
        return field, spec[value_key], spec
    return field, spec, {}


def q_match_all(body, idx, now):
    return None


def q_match_none(body, idx, now):
    return lambda src, doc_id: False


def q_term(body, idx, now):
    field, v, opts = single_field(body, "term", "value")
    ref = FieldRef(idx, field, now)
    return ref.predicate(ref.equals(v, opts.get("case_insensitive") is True))


def q_terms(body, idx, now):
    fields = [k for k in body if k != "boost"]
    if len(fields) != 1 or not isinstance(body[fields[0]], list):
        raise parsing_error("[terms] query requires a field with an array of values")
    ref = FieldRef(idx, fields[0], now)
    tests = [t for t in (ref.equals(v) for v in body[fields[0]]) if t]
    return ref.predicate((lambda x: any(t(x) for t in tests)) if tests else None)


def q_match(body, idx, now, phrase=False):
    field, text, opts = single_field(body, "match_phrase" if phrase else "match", "query")
    ref = FieldRef(idx, field, now)
    if ref.kind != "text":
        return ref.predicate(ref.equals(text))
    want = tokens(text)
    if not want:
        return lambda src, doc_id: False
    if phrase:
        n = len(want)

        def test(x):
            have = tokens(x)
            return any(have[i:i + n] == want for i in range(len(have) - n + 1))
    elif str(opts.get("operator", "or")).lower() == "and":
        test = lambda x: set(want) <= set(tokens(x))
    else:
        test = lambda x: bool(set(want) & set(tokens(x)))
    return ref.predicate(test)


def q_match_phrase(body, idx, now):
    return q_match(body, idx, now, True)


def q_range(body, idx, now):
    if not isinstance(body, dict) or len(body) != 1 or not isinstance(next(iter(body.values())), dict):
        raise parsing_error("[range] query malformed, no start_object after query name")
    field, spec = next(iter(body.items()))
    ref = FieldRef(idx, field, now)
    if ref.kind in (None, "object"):
        return lambda src, doc_id: False
    if "format" in spec and ref.kind == "date":
        ref.mapper = FieldMapper(ref.mapper.full, ref.mapper.type,
                                 dict(ref.mapper.spec, format=spec["format"]), idx.mapping)
    bounds = []
    for op, up in (("gte", False), ("gt", True), ("lte", True), ("lt", False)):
        if spec.get(op) is not None:
            b = ref.convert(spec[op], up)
            if b is None:
                raise parsing_error("failed to parse [%s] of [range] query" % java_str(spec[op]),
                                    "query_shard_exception")
            bounds.append((op, b))
    conv = ref.convert

    def test(x):
        v = conv(x)
        if v is None:
            return False
        for op, b in bounds:
            if (op == "gte" and not v >= b) or (op == "gt" and not v > b) or \
                    (op == "lte" and not v <= b) or (op == "lt" and not v < b):
                return False
        return True
    return ref.predicate(test)


def q_exists(body, idx, now):
    ref = FieldRef(idx, body.get("field") if isinstance(body, dict) else None, now)
    if ref.mapper is None:
        return lambda src, doc_id: False
    return lambda src, doc_id: any(v != {} for v in ref.values(src))


def q_ids(body, idx, now):
    ids = set(str(v) for v in (body or {}).get("values", []))
    return lambda src, doc_id: doc_id in ids


def q_prefix(body, idx, now, glob=False):
    field, v, _ = single_field(body, "wildcard" if glob else "prefix", "value")
    ref = FieldRef(idx, field, now)
    if ref.kind in (None, "object"):
        return lambda src, doc_id: False
    rx = re.compile("^" + ".*".join(re.escape(p).replace(r"\?", ".") for p in str(v).split("*"))
                    + "$", re.S) if glob else None
    fits = (lambda s: rx.match(s) is not None) if glob else (lambda s: s.startswith(str(v)))
    if ref.kind == "text":
        return ref.predicate(lambda x: any(fits(t) for t in tokens(x)))
    return ref.predicate(lambda x: fits(keyword_text(x)))


def q_wildcard(body, idx, now):
    return q_prefix(body, idx, now, True)


def q_bool(body, idx, now):
    def clauses(key):
        v = body.get(key, [])
        return [compile_query(q, idx, now) for q in (v if isinstance(v, list) else [v])]
    must = clauses("must") + clauses("filter")
    should, must_not = clauses("should"), clauses("must_not")
    msm = body.get("minimum_should_match")
    msm = (0 if must else 1) if msm is None else 1 if str(msm).endswith("%") else int(msm)
    all_ok = lambda p: p is None

    def test(src, doc_id):
        for p in must:
            if not (all_ok(p) or p(src, doc_id)):
                return False
        for p in must_not:
            if all_ok(p) or p(src, doc_id):
                return False
        if should and msm:
            hits = sum(1 for p in should if all_ok(p) or p(src, doc_id))
            return hits >= msm
        return True
    return test


def q_constant_score(body, idx, now):
    return compile_query(body.get("filter"), idx, now)


def q_query_string(body, idx, now):
    text = body.get("query", "*") if isinstance(body, dict) else "*"
    return lucene_query(str(text), idx, now, body.get("default_field") if isinstance(body, dict) else None)


def lucene_query(text, idx, now, default_field=None):
    """A small subset of Lucene syntax: *, field:value, terms joined by AND/OR."""
    text = text.strip()
    if text in ("", "*", "*:*"):
        return None
    ors = [p for p in re.split(r"\s+OR\s+", text)]
    if len(ors) > 1:
        preds = [lucene_query(p, idx, now, default_field) for p in ors]
        return lambda src, doc_id: any(p is None or p(src, doc_id) for p in preds)
    ands = [p for p in re.split(r"\s+AND\s+", text)]
    preds = []
    for term in ands:
        field, _, value = term.partition(":") if ":" in term else (default_field, "", term)
        value = value.strip().strip('"')
        if field is None:
            want = tokens(value)
            preds.append(lambda src, doc_id, w=want: any(set(w) <= set(tokens(x))
                                                         for x in all_strings(src)))
        elif value == "*":
            preds.append(q_exists({"field": field}, idx, now))
        else:
            preds.append(q_match({field: value}, idx, now))
    return lambda src, doc_id: all(p(src, doc_id) for p in preds)


def all_strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from all_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_strings(v)
    elif node is not None:
        yield node


QUERIES = {"match_all": q_match_all, "match_none": q_match_none, "term": q_term, "terms": q_terms,
           "match": q_match, "match_phrase": q_match_phrase, "range": q_range, "exists": q_exists,
           "ids": q_ids, "prefix": q_prefix, "wildcard": q_wildcard, "bool": q_bool,
           "constant_score": q_constant_score, "query_string": q_query_string,
           "simple_query_string": q_query_string}


def compile_query(q, idx, now):
    """A query -> predicate(source, id), or None for 'everything'."""
    if q is None:
        return None
    if not isinstance(q, dict) or len(q) != 1:
        raise parsing_error("[_na] query malformed, must start with start_object")
    kind, body = next(iter(q.items()))
    fn = QUERIES.get(kind)
    if fn is None:
        raise EsError(400, "parsing_exception", "unknown query [%s]" % kind, line=1, col=1,
                      caused_by=cause("named_object_not_found_exception",
                                      "[1:1] unknown field [%s]" % kind))
    return fn(body if body is not None else {}, idx, now)


# --- search, count, cat -------------------------------------------------------------------

SEARCH_KEYS = {"query", "size", "from", "sort", "_source", "track_total_hits", "timeout",
               "version", "seq_no_primary_term", "post_filter", "search_after", "min_score",
               "track_scores", "fields", "docvalue_fields", "stored_fields", "explain",
               "terminate_after"}
UNSUPPORTED_SEARCH_KEYS = {"aggs", "aggregations", "collapse", "highlight", "suggest", "pit",
                           "runtime_mappings", "script_fields", "rescore", "knn", "indices_boost"}


def now_nanos():
    return time.time_ns()


def matching_docs(idxs, query, now, post_filter=None):
    """(index, id, doc, source) for every matching document, in index order."""
    for idx in idxs:
        preds = [p for p in (compile_query(query, idx, now), compile_query(post_filter, idx, now)) if p]
        for doc_id, d in idx.sources():
            if not preds:
                yield idx, doc_id, d, None
                continue
            src = json.loads(d.source)
            if all(p(src, doc_id) for p in preds):
                yield idx, doc_id, d, src


def count(cluster, expr, body, params):
    query = None
    if body:
        for k in body:
            if k != "query":
                raise parsing_error("request does not support [%s]" % k)
        query = body.get("query")
    if params.get("q"):
        query = {"query_string": {"query": params["q"], "default_field": params.get("df")}}
    with cluster.lock:
        idxs = resolve_for_read(cluster, expr, params)
        now = now_nanos()
        if query is None or query == {"match_all": {}}:
            n = sum(i.live for i in idxs)
        else:
            n = sum(1 for _ in matching_docs(idxs, query, now))
        shards = sum(i.shards for i in idxs)
    return {"count": n, "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0}}


def resolve_for_read(cluster, expr, params):
    return cluster.resolve(expr, params.get("ignore_unavailable") == "true",
                           params.get("allow_no_indices") != "false")


def sort_spec(spec):
    """ES sort syntax -> [(field, descending, missing)]."""
    if spec is None:
        return []
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for it in items:
        if isinstance(it, str):
            field, _, order = it.partition(":")
            out.append((field, (order or ("desc" if field == "_score" else "asc")) == "desc", "_last"))
        elif isinstance(it, dict) and len(it) == 1:
            field, o = next(iter(it.items()))
            if isinstance(o, dict):
                out.append((field, o.get("order", "asc") == "desc", o.get("missing", "_last")))
            else:
                out.append((field, o == "desc", "_last"))
        else:
            raise parsing_error("[sort] malformed: " + java_str(it))
    return out


def sort_key_fn(field, desc, idxs, now):
    if field in ("_doc", "_score"):
        return None
    refs = {}
    for idx in idxs:
        ref = FieldRef(idx, field, now)
        if ref.mapper is None:
            raise EsError(400, "search_phase_execution_exception", "all shards failed",
                          caused_by=cause("query_shard_exception", "No mapping found for [%s] in order "
                                          "to sort on" % field, index_uuid=idx.uuid, index=idx.name),
                          phase="query", grouped=True)
        if ref.kind == "text" and not ref.mapper.spec.get("fielddata"):
            raise EsError(400, "search_phase_execution_exception", "all shards failed",
                          caused_by=cause("illegal_argument_exception", "Fielddata is disabled on [%s] "
                                          "in [%s]. Text fields are not optimised for operations that "
                                          "require per-document field data like aggregations and "
                                          "sorting, so these operations are disabled by default. Please "
                                          "use a keyword field instead. Alternatively, set "
                                          "fielddata=true on [%s] in order to load field data by "
                                          "uninverting the inverted index. Note that this can use "
                                          "significant memory." % (field, idx.name, field)),
                          phase="query", grouped=True)
        refs[idx.name] = ref

    def key(hit):
        ref = refs[hit[0].name]
        vals = [v for v in (ref.convert(x) for x in ref.values(hit[3])) if v is not None]
        if not vals:
            return None
        return max(vals) if desc else min(vals)
    return key


def sort_value(ref_kind, v, mapper):
    if ref_kind == "date" and v is not None:
        return v if mapper.type == "date_nanos" else v // 10**6
    if ref_kind == "boolean" and v is not None:
        return 1 if v else 0
    if ref_kind == "number" and v is not None and mapper.type in INT_RANGES:
        return int(v)
    return v


def filter_source(src, spec):
    """_source filtering: false, a list of includes, or includes/excludes."""
    if spec is None or spec is True:
        return src
    if spec is False:
        return None
    if isinstance(spec, (str, list)):
        includes, excludes = spec, []
    else:
        includes = spec.get("includes", spec.get("include", []))
        excludes = spec.get("excludes", spec.get("exclude", []))
    includes = [includes] if isinstance(includes, str) else list(includes)
    excludes = [excludes] if isinstance(excludes, str) else list(excludes)

    def keep(path, node, incl):
        out = {}
        for k, v in node.items():
            p = path + "." + k if path else k
            if any(simple_match(x, p) for x in excludes):
                continue
            whole = not incl or any(simple_match(x, p) for x in incl)
            if isinstance(v, dict):
                sub = keep(p, v, [] if whole else incl)
                if sub or (whole and not v):
                    out[k] = sub
            elif whole:
                out[k] = v
        return out
    return keep("", src, includes)


def search(cluster, expr, body, params):
    body = body or {}
    for k in body:
        if k in UNSUPPORTED_SEARCH_KEYS:
            raise bad_request("es_emulator does not implement [%s] in _search" % k)
        if k not in SEARCH_KEYS:
            raise parsing_error("Unknown key for a START_OBJECT in [%s]." % k)
    size = int(params.get("size", body.get("size", 10)))
    start = int(params.get("from", body.get("from", 0)))
    query = body.get("query")
    if params.get("q"):
        query = {"query_string": {"query": params["q"], "default_field": params.get("df")}}
    sorts = sort_spec(params["sort"].split(",") if params.get("sort") else body.get("sort"))
    track = body.get("track_total_hits", params.get("track_total_hits", 10000))
    t0 = time.monotonic()
    with cluster.lock:
        idxs = resolve_for_read(cluster, expr, params)
        window = min([int(i.settings.get("index.max_result_window", 10000)) for i in idxs] or [10000])
        if start + size > window:
            raise EsError(400, "search_phase_execution_exception", "all shards failed",
                          caused_by=cause("illegal_argument_exception", "Result window is too large, "
                                          "from + size must be less than or equal to: [%d] but was [%d]. "
                                          "See the scroll api for a more efficient way to request large "
                                          "data sets. This limit can be set by changing the "
                                          "[index.max_result_window] index level setting."
                                          % (window, start + size)), phase="query", grouped=True)
        now = now_nanos()
        hits = list(matching_docs(idxs, query, now, body.get("post_filter")))
        if sorts:	# sorting reads every hit; otherwise only the page is read
            hits = [(i, d_id, d, src if src is not None else json.loads(d.source))
                    for i, d_id, d, src in hits]
        sort_fields = []
        for field, desc, missing in reversed(sorts):
            kf = sort_key_fn(field, desc, idxs, now)
            if kf is None:
                continue
            present = [h for h in hits if kf(h) is not None]
            absent = [h for h in hits if kf(h) is None]
            present.sort(key=kf, reverse=desc)
            hits = present + absent if missing != "_first" else absent + present
            sort_fields.insert(0, (field, kf))
        total = len(hits)
        page = hits[start:start + size]
        out = [hit_json(h, body, params, sorts, sort_fields, idxs, now) for h in page]
        shards = sum(i.shards for i in idxs)
    hits_obj = {"max_score": None if sorts or not out else 1.0, "hits": out}
    if track is not False and track != "false":
        limit = None if track in (True, "true") else int(track)
        hits_obj["total"] = {"value": total if limit is None else min(total, limit),
                             "relation": "gte" if limit is not None and total > limit else "eq"}
        if params.get("rest_total_hits_as_int") == "true":
            hits_obj["total"] = total
    return {"took": int((time.monotonic() - t0) * 1000), "timed_out": False,
            "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0},
            "hits": dict([("total", hits_obj.pop("total"))] if "total" in hits_obj else [],
                         **hits_obj)}


def hit_json(h, body, params, sorts, sort_fields, idxs, now):
    idx, doc_id, d, src = h
    src = json.loads(d.source) if src is None else src
    hit = {"_index": idx.name, "_id": doc_id, "_score": None if sorts else 1.0}
    if body.get("version") or params.get("version") == "true":
        hit["_version"] = d.version
    if body.get("seq_no_primary_term"):
        hit["_seq_no"], hit["_primary_term"] = d.seq_no, 1
    src_spec = body.get("_source", None)
    if "_source" in params:
        src_spec = params["_source"] not in ("false",) and (
            params["_source"].split(",") if params["_source"] not in ("", "true") else True)
    filtered = filter_source(src, src_spec)
    if filtered is not None:
        hit["_source"] = filtered
    if sorts:
        vals = []
        for field, kf in sort_fields:
            ref = FieldRef(idx, field, now)
            vals.append(sort_value(ref.kind, kf(h), ref.mapper))
        hit["sort"] = vals
    return hit


CAT_COLUMNS = ["health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted",
               "store.size", "pri.store.size", "dataset.size"]
CAT_ALIASES = {"h": "health", "s": "status", "i": "index", "idx": "index", "id": "uuid",
               "p": "pri", "shards.primary": "pri", "r": "rep", "shards.replica": "rep",
               "dc": "docs.count", "docsCount": "docs.count", "dd": "docs.deleted",
               "ss": "store.size", "storeSize": "store.size"}


def human_bytes(n, unit=None):
    if unit:
        return str(int(n // 1024 ** ["b", "kb", "mb", "gb", "tb"].index(unit.lower())))
    for u, f in (("tb", 1024**4), ("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if n >= f:
            return ("%.1f" % (n / f)).rstrip("0").rstrip(".") + u
    return "%db" % n


def cat_indices(cluster, expr, params):
    with cluster.lock:
        idxs = cluster.resolve(expr or "*", True, True)
        rows = []
        for i in idxs:
            size = human_bytes(i.bytes, params.get("bytes"))
            rows.append({"health": i.health(), "status": "open", "index": i.name, "uuid": i.uuid,
                         "pri": str(i.shards), "rep": str(i.replicas), "docs.count": str(i.live),
                         "docs.deleted": str(i.deleted), "store.size": size, "pri.store.size": size,
                         "dataset.size": size})
    cols = [CAT_ALIASES.get(c, c) for c in params["h"].split(",")] if params.get("h") else CAT_COLUMNS
    for c in cols:
        if c not in CAT_COLUMNS:
            raise bad_request("header [%s] does not exist" % c)
    if params.get("s"):
        for s in reversed(params["s"].split(",")):
            name, _, order = s.partition(":")
            name = CAT_ALIASES.get(name, name)
            num = name in ("docs.count", "docs.deleted", "pri", "rep")
            rows.sort(key=lambda r: int(r[name]) if num else r[name], reverse=order == "desc")
    rows = [{c: r[c] for c in cols} for r in rows]
    if params.get("format") == "json":
        return rows
    widths = {c: max([len(c) if params.get("v") is not None else 0] + [len(r[c]) for r in rows])
              for c in cols}
    lines = [" ".join(c.ljust(widths[c]) for c in cols).rstrip()] if params.get("v") is not None else []
    lines += [" ".join(r[c].ljust(widths[c]) for c in cols).rstrip() for r in rows]
    return "".join(line + "\n" for line in lines)


# --- the REST API -----------------------------------------------------------------------

COMMON_PARAMS = {"pretty", "human", "error_trace", "filter_path", "source", "source_content_type"}
WRITE_PARAMS = {"wait_for_active_shards", "refresh", "routing", "timeout", "pipeline",
                "require_alias", "require_data_stream", "if_seq_no", "if_primary_term", "version",
                "version_type", "op_type"}
BULK_PARAMS = {"wait_for_active_shards", "refresh", "routing", "timeout", "_source",
               "_source_excludes", "_source_includes", "pipeline", "require_alias",
               "require_data_stream", "list_executed_pipelines"}
MASTER = {"master_timeout", "timeout"}
TEMPLATE_PARAMS = MASTER | {"create", "cause", "flat_settings", "local", "include_defaults", "order"}
READ_PARAMS = {"ignore_unavailable", "allow_no_indices", "expand_wildcards", "ignore_throttled",
               "routing", "preference"}
COUNT_PARAMS = READ_PARAMS | {"q", "df", "default_operator", "analyzer", "analyze_wildcard",
                              "lenient", "min_score", "terminate_after"}
SEARCH_PARAMS = COUNT_PARAMS | {
    "size", "from", "sort", "_source", "_source_includes", "_source_excludes", "track_total_hits",
    "timeout", "rest_total_hits_as_int", "scroll", "search_type", "request_cache", "version",
    "seq_no_primary_term", "stored_fields", "docvalue_fields", "explain", "stats", "typed_keys",
    "batched_reduce_size", "pre_filter_shard_size", "max_concurrent_shard_requests",
    "allow_partial_search_results", "ccs_minimize_roundtrips", "track_scores",
    "include_named_queries_score", "suggest_field", "suggest_mode", "suggest_size", "suggest_text"}
CAT_PARAMS = {"format", "h", "s", "v", "bytes", "health", "help", "pri", "local", "master_timeout",
              "expand_wildcards", "time", "include_unloaded_segments"}
HEALTH_PARAMS = MASTER | {"wait_for_status", "level", "local", "wait_for_nodes", "wait_for_events",
                          "wait_for_no_relocating_shards", "wait_for_no_initializing_shards",
                          "wait_for_active_shards", "expand_wildcards"}
INDEX_PARAMS = MASTER | READ_PARAMS | {"wait_for_active_shards", "flat_settings", "include_defaults",
                                       "local", "features", "write_index_only"}
DOC_PARAMS = WRITE_PARAMS | {"stored_fields", "_source", "_source_includes", "_source_excludes",
                             "realtime", "preference"}

ROUTES = [
    ((), {"GET": "root", "HEAD": "root"}, set()),
    (("_bulk",), {"POST": "bulk", "PUT": "bulk"}, BULK_PARAMS),
    (("_index_template",), {"GET": "get_index_templates"}, TEMPLATE_PARAMS),
    (("_index_template", "{name}"), {"PUT": "put_index_template", "POST": "put_index_template",
                                     "GET": "get_index_templates", "HEAD": "head_index_template",
                                     "DELETE": "delete_index_template"}, TEMPLATE_PARAMS),
    (("_component_template",), {"GET": "get_component_templates"}, TEMPLATE_PARAMS),
    (("_component_template", "{name}"), {"PUT": "put_component_template",
                                         "POST": "put_component_template",
                                         "GET": "get_component_templates",
                                         "HEAD": "head_component_template",
                                         "DELETE": "delete_component_template"}, TEMPLATE_PARAMS),
    (("_template",), {"GET": "get_legacy_templates"}, TEMPLATE_PARAMS),
    (("_template", "{name}"), {"PUT": "put_legacy_template", "POST": "put_legacy_template",
                               "GET": "get_legacy_templates", "HEAD": "head_legacy_template",
                               "DELETE": "delete_legacy_template"}, TEMPLATE_PARAMS),
    (("_ilm", "policy"), {"GET": "get_policies"}, MASTER),
    (("_ilm", "policy", "{name}"), {"PUT": "put_policy", "GET": "get_policies",
                                    "DELETE": "delete_policy"}, MASTER),
    (("_count",), {"GET": "count", "POST": "count"}, COUNT_PARAMS),
    (("_search",), {"GET": "search", "POST": "search"}, SEARCH_PARAMS),
    (("_cat", "indices"), {"GET": "cat_indices"}, CAT_PARAMS),
    (("_cat", "indices", "{index}"), {"GET": "cat_indices"}, CAT_PARAMS),
    (("_cluster", "health"), {"GET": "health"}, HEALTH_PARAMS),
    (("_cluster", "health", "{index}"), {"GET": "health"}, HEALTH_PARAMS),
    (("_mapping",), {"GET": "get_mapping"}, INDEX_PARAMS),
    (("_refresh",), {"GET": "refresh", "POST": "refresh"}, READ_PARAMS),
    (("_security", "_authenticate"), {"GET": "authenticate"}, set()),
    (("{index}", "_bulk"), {"POST": "bulk", "PUT": "bulk"}, BULK_PARAMS),
    (("{index}", "_count"), {"GET": "count", "POST": "count"}, COUNT_PARAMS),
    (("{index}", "_search"), {"GET": "search", "POST": "search"}, SEARCH_PARAMS),
    (("{index}", "_mapping"), {"GET": "get_mapping", "PUT": "put_mapping", "POST": "put_mapping"},
     INDEX_PARAMS),
    (("{index}", "_refresh"), {"GET": "refresh", "POST": "refresh"}, READ_PARAMS),
    (("{index}", "_settings"), {"GET": "get_settings"}, INDEX_PARAMS),
    (("{index}", "_doc", "{id}"), {"GET": "get_doc", "HEAD": "get_doc", "PUT": "put_doc",
                                   "POST": "put_doc", "DELETE": "delete_doc"}, DOC_PARAMS),
    (("{index}", "_doc"), {"POST": "put_doc"}, DOC_PARAMS),
    (("{index}", "_create", "{id}"), {"PUT": "create_doc", "POST": "create_doc"}, DOC_PARAMS),
    (("{index}",), {"GET": "get_index", "HEAD": "head_index", "PUT": "put_index",
                    "DELETE": "delete_index"}, INDEX_PARAMS),
]
JSON_TYPES = {"application/json", "application/x-ndjson"}
COMPAT_TYPES = {"application/vnd.elasticsearch+json", "application/vnd.elasticsearch+x-ndjson"}


def match_route(method, segments, uri):
    for pattern, methods, params in ROUTES:
        if len(pattern) != len(segments):
            continue
        args = {}
        for p, s in zip(pattern, segments):
            if p.startswith("{"):
                if p == "{index}" and (s.startswith("_") and s != "_all" or s == ""):
                    break
                args[p[1:-1]] = s
            elif p != s:
                break
        else:
            if method not in methods:
                raise PlainError(405, "Incorrect HTTP method for uri [%s] and method [%s], allowed: "
                                 "[%s]" % (uri, method, ", ".join(sorted(methods))))
            return methods[method], args, params
    raise PlainError(400, "no handler found for uri [%s] and method [%s]" % (uri, method), False)


def check_params(path, params, allowed):
    bad = sorted(k for k in params if k not in allowed and k not in COMMON_PARAMS)
    if bad:
        raise bad_request("request [%s] contains unrecognized parameter%s: %s"
                          % (path, "s" if len(bad) > 1 else "", ", ".join("[%s]" % b for b in bad)))


def media_type(value):
    """'application/json; charset=UTF-8' -> ('application/json', {'charset': 'utf-8'})."""
    parts = [p.strip() for p in value.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].lower(), params


def compat_version(value):
    if not value:
        return None
    mt, params = media_type(value)
    return params.get("compatible-with") if mt in COMPAT_TYPES else None


def check_content_type(headers):
    """ES 8 refuses a body whose Content-Type it cannot parse (406); a
    compatible-with media type must be matched by the Accept header."""
    values = headers.get_all("Content-Type") or []
    if not values:
        raise PlainError(406, "Content-Type header is missing")
    mt, params = media_type(values[0])
    charset = params.get("charset")
    ok = (mt in JSON_TYPES or (mt in COMPAT_TYPES and params.get("compatible-with") in ("7", "8"))) \
        and charset in (None, "utf-8")
    if not ok or len(values) > 1:
        raise PlainError(406, "Content-Type header [%s] is not supported" % ", ".join(values))
    ct, accept = params.get("compatible-with"), compat_version(headers.get("Accept"))
    if ct and accept != ct:
        raise EsError(400, "media_type_header_exception", "Invalid media-type value on headers "
                      "[Accept, Content-Type]",
                      cause("status_exception", "A compatible version is required on both "
                            "Content-Type and Accept headers if either one has requested a "
                            "compatible version and the compatible versions must match. Accept=%s, "
                            "Content-Type=%s" % (headers.get("Accept"), values[0])))
    return int(ct) if ct else None


def filter_path(obj, spec):
    """ES's filter_path: comma-separated dotted paths with * and ** wildcards."""
    paths = [p.split(".") for p in spec.split(",") if p]
    excl = [[p[0][1:]] + p[1:] for p in paths if p[0].startswith("-") and len(p[0]) > 1]
    incl = [p for p in paths if not p[0].startswith("-")]

    def walk(node, pats):
        if not pats:
            return node
        if any(p == [] for p in pats):
            return node
        if isinstance(node, list):
            out = [walk(x, pats) for x in node]
            return [x for x in out if x is not None]
        if not isinstance(node, dict):
            return None
        out = {}
        for k, v in node.items():
            nxt = []
            for p in pats:
                if p[0] == "**":
                    nxt += [p, p[1:]]
                elif simple_match(p[0], k):
                    nxt.append(p[1:])
            if nxt:
                sub = walk(v, nxt)
                if sub is not None and sub != {} and sub != []:
                    out[k] = sub
        return out
    result = walk(obj, incl) if incl else obj
    for p in excl:
        result = drop_path(result, p)
    return result if result is not None else {}


def drop_path(node, path):
    if not isinstance(node, dict) or not path:
        return node
    out = {}
    for k, v in node.items():
        if simple_match(path[0], k):
            if len(path) > 1:
                out[k] = drop_path(v, path[1:])
        else:
            out[k] = v
    return out


class Request:
    __slots__ = ("method", "uri", "path", "params", "headers", "body", "user", "compat", "fault")

    def __init__(self, method, uri, path, params, headers, body):
        self.method, self.uri, self.path, self.params = method, uri, path, params
        self.headers, self.body, self.user, self.compat = headers, body, None, None
        self.fault = (False, False)	# (drop the connection, truncate the response)

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self, required=True):
        if not self.body:
            if required:
                raise bad_request("request body is required", "parse_exception")
            return None
        try:
            return loads_strict(self.body)
        except JsonError as e:
            raise x_content_error(e)


class Response:
    """A status, a payload (JSON value, text, bytes or None) and headers;
    close, drop and truncate shape how it is sent, after runs once it is."""
    __slots__ = ("status", "payload", "headers", "close", "drop", "truncate", "after", "oversize")

    def __init__(self, status, payload, headers=None):
        self.status, self.payload, self.headers = status, payload, list(headers or [])
        self.close = self.drop = self.truncate = False
        self.after = self.oversize = None


def error_response(e):
    r = Response(e.status, e.body())
    for k, v in (getattr(e, "headers", None) or {}).items():
        for x in (v if isinstance(v, list) else [v]):
            r.headers.append((k, x))
    return r


def warning(text):
    return ("Warning", '299 %s "%s"' % (WARN_AGENT, text))


def listing(store, name, key, render, kind):
    """GET of templates or policies: all, a name, a comma list or wildcards."""
    if name is None:
        names = sorted(store)
    else:
        names = []
        for part in name.split(","):
            hits = [n for n in sorted(store) if simple_match(part, n)]
            if not hits and "*" not in part:
                raise EsError(404, "resource_not_found_exception", "%s matching [%s] not found"
                              % (kind, part))
            names += [h for h in hits if h not in names]
    return [{"name": n, key: render(store[n])} for n in names]


def render_template_part(t):
    out = dict(t)
    if "settings" in out:
        out["settings"] = nest_settings(out["settings"])
    return out


TEMPLATE_KINDS = {	# kind -> Cluster store, Cluster put method, JSON key, name in errors
    "index": ("index_templates", "put_index_template", "index_template", "index template"),
    "component": ("component_templates", "put_component_template", "component_template",
                  "component template"),
}


class Api:
    """One method per ES endpoint; each gets the Request and the path args."""

    def __init__(self, emu):
        self.emu, self.cluster = emu, emu.cluster

    def root(self, req, a):
        return Response(200, {"name": NODE_NAME, "cluster_name": CLUSTER_NAME,
                              "cluster_uuid": CLUSTER_UUID, "version": ES_VERSION,
                              "tagline": "You Know, for Search"})

    def authenticate(self, req, a):
        kind = "api_key" if req.user == "api_key" else "realm"
        return Response(200, {"username": req.user, "roles": ["superuser"], "full_name": None,
                              "email": None, "metadata": {}, "enabled": True,
                              "authentication_realm": {"name": "reserved", "type": "reserved"},
                              "lookup_realm": {"name": "reserved", "type": "reserved"},
                              "authentication_type": kind})

    # bulk
    def bulk(self, req, a):
        emu, start = self.emu, time.monotonic()
        emu.stats.add("bulk_requests")
        refresh = req.params.get("refresh")
        if refresh not in (None, "", "true", "false", "wait_for"):
            raise bad_request("Unknown value for refresh: [%s]." % refresh)
        early = emu.request_fault(req)
        if early is not None:
            return early
        if not req.body:
            raise bad_request("request body is required", "parse_exception")
        reqs = parse_bulk(req.body, a.get("index"), req.params, req.compat == 7)
        resp = Response(200, Writer(self.cluster, emu.faults, emu.stats, req.user)
                        .bulk(reqs, refresh in ("", "true"), start))
        if req.compat == 7 and any(r.type for r in reqs):
            resp.headers.append(warning("[types removal] Specifying types in bulk requests is "
                                        "deprecated."))
        emu.response_fault(req, resp)
        return resp

    # templates and policies: composable and component templates alike
    def put_template(self, req, a, kind):
        store, put, _, _ = TEMPLATE_KINDS[kind]
        with self.cluster.lock:
            return Response(200, getattr(self.cluster, put)(
                a["name"], req.json(), req.text(), req.params.get("create") == "true"))

    def get_templates(self, req, a, kind):
        store, _, key, what = TEMPLATE_KINDS[kind]
        with self.cluster.lock:
            items = listing(getattr(self.cluster, store), a.get("name"), key,
                            lambda t: dict(t, template=render_template_part(t["template"])), what)
        return Response(200, {key + "s": items})

    def head_template(self, req, a, kind):
        return Response(200 if a["name"] in getattr(self.cluster, TEMPLATE_KINDS[kind][0]) else 404,
                        None)

    put_index_template = functools.partialmethod(put_template, kind="index")
    get_index_templates = functools.partialmethod(get_templates, kind="index")
    head_index_template = functools.partialmethod(head_template, kind="index")
    put_component_template = functools.partialmethod(put_template, kind="component")
    get_component_templates = functools.partialmethod(get_templates, kind="component")
    head_component_template = functools.partialmethod(head_template, kind="component")

    def delete_from(self, store, name, missing):
        with self.cluster.lock:
            names = [n for part in name.split(",") for n in sorted(store) if simple_match(part, n)]
            if not names:
                raise EsError(404, "resource_not_found_exception", missing % name)
            for n in names:
                del store[n]
        return Response(200, {"acknowledged": True})

    def delete_index_template(self, req, a):
        return self.delete_from(self.cluster.index_templates, a["name"], "index_template [%s] missing")

    def delete_component_template(self, req, a):
        with self.cluster.lock:
            users = sorted(n for n, t in self.cluster.index_templates.items()
                           if a["name"] in t.get("composed_of", []))
            if users:
                raise bad_request("component templates [%s] cannot be removed as they are still in "
                                  "use by index templates [%s]" % (a["name"], ", ".join(users)))
        return self.delete_from(self.cluster.component_templates, a["name"], "%s")

    def put_legacy_template(self, req, a):
        with self.cluster.lock:
            res = self.cluster.put_legacy_template(a["name"], req.json(), req.text())
        return Response(200, res, [warning("Legacy index templates are deprecated in favor of "
                                           "composable templates.")])

    def get_legacy_templates(self, req, a):
        with self.cluster.lock:
            store = self.cluster.legacy_templates
            try:
                items = listing(store, a.get("name"), "t", render_template_part, "template")
            except EsError:
                return Response(404, {})
        return Response(200, {i["name"]: i["t"] for i in items})

    def head_legacy_template(self, req, a):
        return Response(200 if a["name"] in self.cluster.legacy_templates else 404, None)

    def delete_legacy_template(self, req, a):
        return self.delete_from(self.cluster.legacy_templates, a["name"], "index_template [%s] missing")

    def put_policy(self, req, a):
        with self.cluster.lock:
            return Response(200, self.cluster.put_policy(a["name"], req.json(), req.text()))

    def get_policies(self, req, a):
        with self.cluster.lock:
            c = self.cluster
            if a.get("name") and a["name"] not in c.policies:
                raise EsError(404, "resource_not_found_exception",
                              "Lifecycle policy not found: %s" % a["name"])
            names = [a["name"]] if a.get("name") else sorted(c.policies)
            return Response(200, {n: dict(c.policies[n], in_use_by=c.policy_users(n)) for n in names})

    def delete_policy(self, req, a):
        with self.cluster.lock:
            c, name = self.cluster, a["name"]
            if name not in c.policies:
                raise EsError(404, "resource_not_found_exception", "Lifecycle policy not found: %s" % name)
            users = c.policy_users(name)["indices"]
            if users:
                raise bad_request("Cannot delete policy [%s]. It is in use by one or more indices: [%s]"
                                  % (name, ", ".join(users)))
            del c.policies[name]
        return Response(200, {"acknowledged": True})

    # reads
    def count(self, req, a):
        return Response(200, count(self.cluster, a.get("index"), req.json(False), req.params))

    def search(self, req, a):
        return Response(200, search(self.cluster, a.get("index"), req.json(False), req.params))

    def cat_indices(self, req, a):
        return Response(200, cat_indices(self.cluster, a.get("index"), req.params))

    def health(self, req, a):
        with self.cluster.lock:
            idxs = self.cluster.resolve(a.get("index"), True, True) if a.get("index") \
                else list(self.cluster.indices.values())
            pri = sum(i.shards for i in idxs)
            unassigned = sum(i.shards * i.replicas for i in idxs)
        return Response(200, {
            "cluster_name": CLUSTER_NAME, "status": "yellow" if unassigned else "green",
            "timed_out": False, "number_of_nodes": 1, "number_of_data_nodes": 1,
            "active_primary_shards": pri, "active_shards": pri, "relocating_shards": 0,
            "initializing_shards": 0, "unassigned_shards": unassigned, "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0 * pri / (pri + unassigned) if pri else 100.0})

    def get_mapping(self, req, a):
        with self.cluster.lock:
            idxs = resolve_for_read(self.cluster, a.get("index"), req.params)
            return Response(200, {i.name: {"mappings": i.mapping.to_json()} for i in idxs})

    def put_mapping(self, req, a):
        body = req.json()
        with self.cluster.lock:
            for idx in self.cluster.resolve(a["index"]):
                check_mapping_update(idx.mapping.root, (body or {}).get("properties") or {})
                spec = merge_mapping_specs(idx.mapping.to_json(), body)
                mapping = Mapping(spec, idx.settings)
                mapping.version = idx.mapping.version + 1
                idx.mapping = mapping
        return Response(200, {"acknowledged": True})

    def refresh(self, req, a):
        with self.cluster.lock:
            idxs = resolve_for_read(self.cluster, a.get("index"), req.params)
            total = sum(i.shards * (1 + i.replicas) for i in idxs)
            ok = sum(i.shards for i in idxs)
        return Response(200, {"_shards": {"total": total, "successful": ok, "failed": 0}})

    def get_settings(self, req, a):
        with self.cluster.lock:
            idxs = resolve_for_read(self.cluster, a["index"], req.params)
            return Response(200, {i.name: {"settings": nest_settings(i.settings)} for i in idxs})

    def get_index(self, req, a):
        with self.cluster.lock:
            idxs = resolve_for_read(self.cluster, a["index"], req.params)
            return Response(200, {i.name: i.describe() for i in idxs})

    def head_index(self, req, a):
        with self.cluster.lock:
            try:
                found = bool(self.cluster.resolve(a["index"], False, False))
            except EsError:
                found = False
        return Response(200 if found else 404, None)

    def put_index(self, req, a):
        body = req.json(False) or {}
        for k in body:
            if k not in ("settings", "mappings", "aliases"):
                raise bad_request("unknown key [%s] for create index" % k, "parse_exception")
        with self.cluster.lock:
            name = a["index"]
            if name in self.cluster.indices:
                idx = self.cluster.indices[name]
                raise EsError(400, "resource_already_exists_exception", "index [%s/%s] already exists"
                              % (name, idx.uuid), index_uuid=idx.uuid, index=name)
            self.cluster.create_index(name, body)
        return Response(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})

    def delete_index(self, req, a):
        expr = a["index"]
        if "*" in expr or expr == "_all":
            raise bad_request("Wildcard expressions or all indices are not allowed")
        with self.cluster.lock:
            for idx in self.cluster.resolve(expr, req.params.get("ignore_unavailable") == "true"):
                self.cluster.delete_index(idx)
        return Response(200, {"acknowledged": True})

    # documents
    def single_index(self, name):
        idxs = self.cluster.resolve(name)
        if len(idxs) != 1:
            raise bad_request("alias [%s] has more than one index associated with it [%s], can't "
                              "execute a single index op" % (name, ", ".join(i.name for i in idxs)))
        return idxs[0]

    def get_doc(self, req, a):
        with self.cluster.lock:
            idx = self.single_index(a["index"])
            d = idx.docs.get(a["id"])
            if d is None or d.source is None:
                return Response(404, {"_index": idx.name, "_id": a["id"], "found": False})
            src = filter_source(json.loads(d.source), req.params.get("_source") not in ("false",) or False)
            body = {"_index": idx.name, "_id": a["id"], "_version": d.version, "_seq_no": d.seq_no,
                    "_primary_term": 1, "found": True}
            if src is not None:
                body["_source"] = src
            return Response(200, body)

    def write_one(self, req, a, action):
        p = req.params
        r = BulkRequest(action, 1, a["index"], p.get("pipeline"), p.get("require_alias") == "true")
        r.id = a.get("id")
        r.op_type = p.get("op_type")
        for k in ("if_seq_no", "if_primary_term", "version"):
            if k in p:
                setattr(r, k, int(p[k]))
        r.version_type = p.get("version_type", "internal")
        if action != "delete":
            if not req.body:
                raise bad_request("request body is required", "parse_exception")
            r.source = req.body
        validate_bulk([r])
        with self.cluster.lock:
            res = Writer(self.cluster, self.emu.faults, self.emu.stats, req.user).run(r)
        status = res.pop("status")
        return Response(status, res)

    def put_doc(self, req, a):
        return self.write_one(req, a, "index")

    def create_doc(self, req, a):
        return self.write_one(req, a, "create")

    def delete_doc(self, req, a):
        return self.write_one(req, a, "delete")


def check_mapping_update(om, props):
    for name, spec in props.items():
        cur = om.children.get(name)
        if cur is None or not isinstance(spec, dict):
            continue
        t = spec.get("type", "object" if "properties" in spec else None)
        if isinstance(cur, FieldMapper):
            if t in (None, "object", "nested"):
                raise bad_request("can't merge a non object mapping [%s] with an object mapping"
                                  % cur.full)
            if t != cur.type:
                raise bad_request("mapper [%s] cannot be changed from type [%s] to [%s]"
                                  % (cur.full, cur.type, t))
        elif t not in (None, "object", "nested"):
            raise bad_request("can't merge a non object mapping [%s] with an object mapping" % cur.full)
        else:
            check_mapping_update(cur, spec.get("properties") or {})


# --- HTTP ---------------------------------------------------------------------------------

CHALLENGES = ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]
AUTH_KEYS = ("user", "password", "api_key")	# what POST /_emulator/auth sets


class TooLarge(Exception):
    pass


def auth_error(reason, **extra):
    return EsError(401, "security_exception", reason, header={"WWW-Authenticate": CHALLENGES},
                   headers={"WWW-Authenticate": CHALLENGES}, **extra)


def nginx_page(status):
    title = "%d %s" % (status, http.server.BaseHTTPRequestHandler.responses.get(status, ("",))[0])
    return ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (title, title))


class Handler(http.server.BaseHTTPRequestHandler):
    """One client connection (keep-alive); ES sends no Server or Date header."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_response(self, code, message=None):
        self.send_response_only(code, message)

    def handle_expect_100(self):
        n = self.headers.get("Content-Length", "")
        if n.isdigit() and int(n) > self.server.max_content:
            self.send_413(urllib.parse.urlsplit(self.path).path)
            return False
        return super().handle_expect_100()

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        if not n.strip().isdigit():
            raise PlainError(400, "Invalid Content-Length [%s]" % n)
        if int(n) > self.server.max_content:
            raise TooLarge()
        return self.rfile.read(int(n))

    def read_chunked(self):
        parts, total = [], 0
        while True:
            size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > self.server.max_content:
                raise TooLarge()
            parts.append(self.rfile.read(size))
            self.rfile.readline(65537)

    def decode_body(self, wire):
        enc = self.headers.get("Content-Encoding", "").strip().lower()
        stats, limit = self.server.stats, self.server.max_content
        stats.add("bytes_received", len(wire))
        if enc in ("gzip", "x-gzip", "deflate", "x-deflate") and wire:
            if "gzip" in enc:
                stats.add("gzip_requests")
            out, data = [], wire
            try:
                while data:
                    d = zlib.decompressobj(47 if "gzip" in enc else 15)
                    out.append(d.decompress(data, limit + 1 - sum(map(len, out))))
                    if sum(map(len, out)) > limit or d.unconsumed_tail:
                        raise TooLarge()
                    if not d.eof:
                        raise zlib.error("truncated stream")
                    data = d.unused_data
            except zlib.error as e:
                raise bad_request("failed to decompress the request body (Content-Encoding: %s): %s"
                                  % (enc, e))
            wire = b"".join(out)
        stats.add("bytes_decoded", len(wire))
        return wire

    def send_413(self, path):
        self.close_connection = True
        self.send_response(413)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.server.stats.request(path, "?", 413)
        self.server.log(self.command, self.path, 413, 0)

    def dispatch(self):
        emu, uri = self.server, self.path
        split = urllib.parse.urlsplit(uri)
        path = split.path or "/"
        self.params = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        try:
            body = self.decode_body(self.read_body())
        except TooLarge:
            return self.send_413(path)
        except (EsError, PlainError) as e:
            self.close_connection = True
            return self.send(Response(e.status, e.body()), path, "?")
        if path == "/_emulator" or path.startswith("/_emulator/"):
            resp = emu.control(self.command, path, self.params, body)
            self.send(resp, path, "emulator")
            if resp.after:
                resp.after()
            return
        req = Request(self.command, uri, path, self.params, self.headers, body)
        endpoint = "?"
        try:
            req.user = emu.authenticate(self.headers, uri)
            segs = tuple(urllib.parse.unquote(s) for s in path.strip("/").split("/")) \
                if path.strip("/") else ()
            endpoint, args, allowed = match_route(self.command, segs, uri)
            check_params(path, self.params, allowed)
            if body:
                req.compat = check_content_type(self.headers)
            resp = getattr(emu.api, endpoint)(req, args)
        except EsError as e:
            resp = error_response(e)
        except PlainError as e:
            resp = Response(e.status, e.body())
        except Exception as e:	# a bug here, not ES behaviour: say so loudly
            import traceback
            traceback.print_exc()
            resp = Response(500, {"error": {"type": "es_emulator_bug", "reason": repr(e)},
                                  "status": 500})
        latency = emu.faults.conf["latency_ms"]
        if latency:
            time.sleep(latency / 1000.0)
        self.send(resp, path, endpoint)

    def encode(self, resp):
        payload, ctype = resp.payload, None
        if payload is None:
            return b"", None
        if isinstance(payload, bytes):
            return payload, None
        if isinstance(payload, str):
            return payload.encode("utf-8"), "text/plain; charset=UTF-8"
        if "filter_path" in self.params:
            payload = filter_path(payload, self.params["filter_path"])
        if "pretty" in self.params and self.params["pretty"] != "false":
            text = json.dumps(payload, indent=2, separators=(",", " : "), ensure_ascii=False) + "\n"
        else:
            text = dumps(payload)
        compat = compat_version(self.headers.get("Accept"))
        ctype = "application/vnd.elasticsearch+json;compatible-with=%s" % compat if compat \
            else "application/json"
        return text.encode("utf-8"), ctype

    def send_oversize(self, mode, path, endpoint):
        """An answer without end (an "oversize" fault), until the client
        hangs up; a cap keeps a client that never does from filling a disk
        of logs: it then gets a connection closed mid-answer."""
        emu, sent, cap = self.server, 0, 4 << 30
        self.close_connection = True
        head = b"HTTP/1.1 200 OK\r\nX-elastic-product: Elasticsearch\r\n" \
               b"content-type: application/json\r\n"
        fill, end = b" " * 65536, b""
        if mode == "endless_headers":
            fill = (b"X-Padding: " + b"p" * 1000 + b"\r\n") * 64
        elif mode == "huge_length":
            head += b"content-length: %d\r\n\r\n" % (1 << 40)
        else:
            head += b"transfer-encoding: chunked\r\n\r\n"
            fill = b"%x\r\n%s\r\n" % (len(fill), fill)
        try:
            self.wfile.write(head)
            while sent < cap:
                self.wfile.write(fill)
                sent += len(fill)
            end = b"0\r\n\r\n" if mode == "endless_body" else end
            self.wfile.write(end)
        finally:
            emu.stats.add("oversize_bytes_sent", sent)
            emu.stats.request(path, endpoint, "oversize")
            emu.log(self.command, self.path, 200, sent)

    def send(self, resp, path, endpoint):
        emu = self.server
        if resp.oversize in ("endless_body", "huge_length", "endless_headers"):
            return self.send_oversize(resp.oversize, path, endpoint)
        if resp.drop:
            self.close_connection = True
            if emu.faults.conf["drop_reset"]:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            emu.stats.add("dropped_connections")
            emu.stats.request(path, endpoint, "dropped")
            emu.log(self.command, self.path, 0, 0)
            return
        data, ctype = self.encode(resp)
        extra = [(k, v) for k, v in resp.headers if k.lower() != "content-type"]
        ctype = next((v for k, v in resp.headers if k.lower() == "content-type"), ctype)
        if resp.truncate and data:
            data = data[:max(1, len(data) // 2)]
        gz = data and not emu.tls and "gzip" in self.headers.get("Accept-Encoding", "").lower()
        if gz:
            c = zlib.compressobj(3, zlib.DEFLATED, 31)
            data = c.compress(data) + c.flush()
        self.send_response(resp.status)
        self.send_header("X-elastic-product", "Elasticsearch")
        if ctype:
            self.send_header("content-type", ctype)
        if gz:
            self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        if resp.close:
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        emu.stats.request(path, endpoint, resp.status)
        emu.log(self.command, self.path, resp.status, len(data))


class Emulator:
    """The server: listener, connections, auth, faults, control endpoints."""

    def __init__(self, args):
        self.cluster, self.stats = Cluster(), Stats()
        self.seed = args.seed
        self.faults = Faults(args.seed)
        self.api = Api(self)
        self.user, self.password, self.api_key = args.user, args.password, args.api_key
        self.max_content = parse_size(args.max_content_length)
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)
        self.port, self.listener, self.conns = args.port, None, set()
        self.lock, self.stopping = threading.Lock(), threading.Event()
        self.log_lock, self.log_file = threading.Lock(), None
        if args.data_dir:
            os.makedirs(args.data_dir, exist_ok=True)
            self.log_file = open(os.path.join(args.data_dir, "requests.log"), "a", buffering=1)

    def log(self, method, uri, status, n):
        if self.log_file:
            with self.log_lock:
                self.log_file.write("%.3f %s %s %s %d\n" % (time.time(), method, uri, status, n))

    # listening, and going down and up
    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(128)
        self.port, self.listener = s.getsockname()[1], s

    def go_down(self):
        with self.lock:
            self.faults.conf["down"] = True
            if self.listener is not None:	# shutdown first: a select() in the
                try:				# accept loop would keep it listening
                    self.listener.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.listener.close()
                self.listener = None
            for c in list(self.conns):
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def go_up(self):
        with self.lock:
            self.faults.conf["down"] = False
            for _ in range(50):
                if self.listener is not None or self.stopping.is_set():
                    return
                try:
                    self.listen()
                except OSError as e:
                    print("es_emulator: cannot listen again on port %d: %s" % (self.port, e),
                          file=sys.stderr)
                    time.sleep(0.1)

    def accept_loop(self):
        while not self.stopping.is_set():
            s = self.listener
            if s is None:
                time.sleep(0.02)
                continue
            try:
                ready = select.select([s], [], [], 0.2)[0]
                if not ready:
                    continue
                conn, addr = s.accept()
            except (OSError, ValueError):
                continue
            threading.Thread(target=self.serve_connection, args=(conn, addr), daemon=True).start()

    def serve_connection(self, conn, addr):
        with self.lock:
            if self.listener is None:
                conn.close()
                return
            self.conns.add(conn)
        self.stats.connection(+1)
        sock = conn
        try:
            conn.settimeout(300)
            if self.tls is not None:
                sock = self.tls.wrap_socket(conn, server_side=True)
            Handler(sock, addr, self)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            self.stats.connection(-1)
            with self.lock:
                self.conns.discard(conn)
            try:
                sock.close()
            except OSError:
                pass

    def shutdown(self):
        self.stopping.set()
        self.go_down()
        if self.log_file:
            self.log_file.close()

    # auth
    def authenticate(self, headers, uri):
        if self.user is None and self.api_key is None:
            return "elastic"
        try:
            user = self.check_credentials(headers.get("Authorization"), uri)
        except EsError:
            self.stats.add("auth_failures")
            raise
        self.stats.add("auth_api_key" if user == "api_key" else "auth_basic")
        return user

    def set_auth(self, changes):
        if not isinstance(changes, dict) or any(k not in AUTH_KEYS for k in changes) or \
                any(v is not None and not isinstance(v, str) for v in changes.values()):
            raise bad_request("auth: a JSON object of user, password, api_key (strings or null)")
        with self.lock:
            for k, v in changes.items():
                setattr(self, k, "" if k == "password" and v is None else v)
        return self.auth_kinds()

    def auth_kinds(self):
        return {"basic": self.user is not None, "api_key": self.api_key is not None}

    def check_credentials(self, h, uri):
        if not h:
            raise auth_error("missing authentication credentials for REST request [%s]" % uri)
        scheme, _, cred = h.strip().partition(" ")
        scheme, cred = scheme.lower(), cred.strip()
        anonymous = "unable to authenticate with provided credentials and anonymous access is not " \
                    "allowed for this request"
        if scheme == "basic":
            try:
                user, _, pw = base64.b64decode(cred, validate=True).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise auth_error(anonymous)
            if self.user is not None and user == self.user and pw == self.password:
                return user
            raise auth_error("unable to authenticate user [%s] for REST request [%s]" % (user, uri))
        if scheme == "apikey":
            if self.api_key is not None and cred == self.api_key:
                return "api_key"
            raise auth_error(anonymous, additional_unsuccessful_credentials=
                             "API key: unable to find apikey with id %s" % cred[:8])
        raise auth_error(anonymous)

    # faults of a bulk request as a whole
    def request_fault(self, req):
        f = self.faults
        with self.cluster.lock:
            if f.conf["oversize"]:
                self.stats.fault("oversize")
                return self.oversize(f.conf["oversize"])
            status = f.conf["status_override"]
            if status:
                self.stats.fault("status_override")
                return self.override(status, req)
            for name in ("request_503_rate", "request_429_rate"):
                if f.draw(name):
                    self.stats.fault(name)
                    return self.override(503 if "503" in name else 429, req)
            drop, truncate = f.draw("drop_connection_rate"), f.draw("bad_response_rate")
        req.fault = (drop, truncate)
        if drop:
            self.stats.fault("drop_connection_rate")
        if truncate:
            self.stats.fault("bad_response_rate")
        if drop and f.conf["drop_before_index"]:
            r = Response(0, None)
            r.drop = True
            return r
        return None

    def oversize(self, mode):
        if mode == "deep_items":	# a bulk response but for its depth
            n = 100000
            return Response(200, b'{"took":1,"errors":false,"items":[{"index":{"x":' + b"[" * n
                            + b"]" * n + b',"status":201}}]}', [("Content-Type", "application/json")])
        if mode == "deep_error":
            n = 1000000
            return Response(500, b"[" * n + b"]" * n, [("Content-Type", "application/json")])
        r = Response(200, None)
        r.oversize = mode
        return r

    def response_fault(self, req, resp):
        resp.drop, resp.truncate = req.fault

    def override(self, status, req):
        if status == 401:
            return error_response(auth_error("unable to authenticate user [%s] for REST request [%s]"
                                             % (req.user, req.uri)))
        if status == 403:
            return error_response(EsError(403, "security_exception",
                                          "action [indices:data/write/bulk] is unauthorized for user "
                                          "[%s] with effective roles [viewer], this action is granted "
                                          "by the index privileges [create_doc,create,index,write,all]"
                                          % req.user))
        if status == 413:
            r = Response(413, b"")
            r.close = True
            return r
        if status == 429:
            return error_response(EsError(429, "es_rejected_execution_exception",
                                          "rejected execution of coordinating operation "
                                          "[coordinating_and_primary_bytes=%d, replica_bytes=0, "
                                          "all_bytes=%d, coordinating_operation_bytes=%d, "
                                          "max_coordinating_and_primary_bytes=107374182]"
                                          % ((107374182,) * 2 + (len(req.body),))))
        if status == 503:
            return error_response(EsError(503, "cluster_block_exception",
                                          "blocked by: [SERVICE_UNAVAILABLE/2/no master];"))
        if status in (502, 504):
            return Response(status, nginx_page(status), [("Content-Type", "text/html")])
        return error_response(EsError(status, "exception", "es_emulator: injected status [%d]" % status))

    # /_emulator/
    def control(self, method, path, params, body):
        name = path[len("/_emulator"):].strip("/")
        try:
            if name == "faults" and method in ("POST", "PUT"):
                changes = loads_strict(body) if body.strip() else {}
                with self.cluster.lock:
                    self.faults.update(changes)
                resp = Response(200, dict(self.faults.conf))
                if changes.get("down") is True:
                    resp.after = self.down_for(self.faults.conf.get("down_ms"))
                elif changes.get("down") is False:
                    self.go_up()
                return resp
            if name == "faults" and method == "GET":
                return Response(200, dict(self.faults.conf))
            if name == "auth" and method in ("POST", "PUT"):
                return Response(200, self.set_auth(loads_strict(body) if body.strip() else {}))
            if name == "auth" and method == "GET":
                return Response(200, self.auth_kinds())
            if name == "stats" and method == "GET":
                return Response(200, self.stats.snapshot(self.cluster))
            if name == "reset" and method == "POST":
                with self.cluster.lock:
                    self.cluster.reset()
                    self.faults.__init__(self.seed)
                self.stats.reset()
                return Response(200, {"acknowledged": True})
            if name == "docs" and method == "GET":
                return Response(200, self.docs(params))
        except JsonError as e:
            return Response(400, {"error": "es_emulator: " + e.message, "status": 400})
        except EsError as e:
            return Response(e.status, e.body())
        return Response(404, {"error": "es_emulator: no control endpoint [%s %s]; there are "
                              "GET|POST /_emulator/faults, GET|POST /_emulator/auth, GET "
                              "/_emulator/stats, POST /_emulator/reset, GET "
                              "/_emulator/docs?index=EXPR[&by_index=true]"
                              % (method, path), "status": 404})

    def down_for(self, ms):
        def after():
            self.go_down()
            if ms:
                t = threading.Timer(ms / 1000.0, self.go_up)
                t.daemon = True
                t.start()
        return after

    def docs(self, params):
        if not params.get("index"):
            raise bad_request("es_emulator: docs needs ?index=EXPR")
        with self.cluster.lock:
            idxs = self.cluster.resolve(params["index"], True, True)
            if params.get("by_index") == "true":
                return {i.name: {d_id: json.loads(d.source) for d_id, d in i.sources()} for i in idxs}
            out, where = {}, {}
            for i in idxs:
                for d_id, d in i.sources():
                    if d_id in out:
                        raise bad_request("es_emulator: id [%s] is in indices [%s] and [%s]: use "
                                          "by_index=true" % (d_id, where[d_id], i.name))
                    out[d_id], where[d_id] = json.loads(d.source), i.name
            return out


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


def parse_args(argv):
    ap = argparse.ArgumentParser(description="A strict Elasticsearch 8 emulator for tests.")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--data-dir", help="keep a request log (requests.log) here")
    ap.add_argument("--user", help="require HTTP basic auth as this user")
    ap.add_argument("--password", default="", help="the user's password")
    ap.add_argument("--api-key", help="accept 'Authorization: ApiKey KEY' (KEY as given here)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate")
    ap.add_argument("--tls-key", help="and this PEM key")
    ap.add_argument("--max-content-length", default="100mb",
                    help="ES's http.max_content_length (default 100mb): larger bodies get 413")
    ap.add_argument("--seed", type=int, default=1, help="the fault RNG's initial seed")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    try:
        parse_size(args.max_content_length)
    except ValueError as e:
        ap.error(str(e))
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    emu = Emulator(args)
    try:
        emu.listen()
    except OSError as e:
        print("es_emulator: cannot listen on 127.0.0.1:%d: %s" % (args.port, e), file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *a: emu.stopping.set())
    signal.signal(signal.SIGINT, lambda *a: emu.stopping.set())
    signal.signal(signal.SIGUSR1, lambda *a: emu.go_down())
    signal.signal(signal.SIGUSR2, lambda *a: emu.go_up())
    threading.Thread(target=emu.accept_loop, daemon=True).start()
    if args.port_file:
        write_port_file(args.port_file, emu.port)
    print("es_emulator: listening on %s://127.0.0.1:%d" % ("https" if emu.tls else "http", emu.port),
          file=sys.stderr)
    while not emu.stopping.wait(0.5):
        pass
    emu.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
