#!/usr/bin/env python3
"""esctl.py - talk to tests/es_emulator.py (or any ES) from shell tests without curl.

Usage: esctl.py [options] PORT|URL COMMAND [ARGS...]

  count INDEXPATTERN [QUERYJSON]   print the _count of the pattern
  faults JSON                      merge fault settings (see es_emulator.py)
  auth JSON                        merge the credentials the emulator accepts
  stats [KEY[.KEY...]]             print /_emulator/stats, or one value of it
  docs INDEX                       print {id: source} of the index (pattern)
  reset                            clear indices, templates, faults, stats
  request METHOD PATH [BODYFILE|-] print the HTTP status on the first line,
                                   then the response body

Options: -H 'Name: value' (repeatable), -D FILE (write the response's status
line and headers there), --gzip (gzip the body), --user U:P,
--api-key KEY, --cacert FILE (https; without it TLS is not verified),
--timeout SECONDS. Content-Type defaults to application/json, or
application/x-ndjson for a _bulk PATH; -H 'Content-Type:' sends none.

Exit status: 0 when an HTTP response came back (request prints any status;
the other commands want 2xx), 1 on a non-2xx answer, and curl's numbers for
transport failures: 7 connection refused, 28 timeout, 52 empty reply (the
server closed the connection), 56 connection reset, 2 usage.
Python 3 standard library only.
"""

import argparse
import base64
import gzip
import http.client
import json
import os
import socket
import ssl
import sys
import urllib.parse

EXIT_REFUSED, EXIT_TIMEOUT, EXIT_EMPTY, EXIT_RESET = 7, 28, 52, 56


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def base_url(target):
    return "http://127.0.0.1:%s" % target if target.isdigit() else target.rstrip("/")


def request(opts, method, path, body=None):
    """-> (status, body bytes); Failure with curl's exit code otherwise."""
    url = urllib.parse.urlsplit(base_url(opts.target) + path)
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/x-ndjson" if "_bulk" in url.path else "application/json"
        if opts.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
    if opts.user:
        headers["Authorization"] = "Basic " + base64.b64encode(opts.user.encode()).decode()
    if opts.api_key:
        headers["Authorization"] = "ApiKey " + opts.api_key
    for h in opts.header:
        name, _, value = h.partition(":")
        if value.strip():
            headers[name.strip()] = value.strip()
        else:
            headers.pop(name.strip(), None)
    if url.scheme == "https":
        ctx = ssl.create_default_context(cafile=opts.cacert) if opts.cacert \
            else ssl._create_unverified_context()
        conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=opts.timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=opts.timeout)
    target = url.path + ("?" + url.query if url.query else "")
    try:
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        if opts.dump_header:
            with open(opts.dump_header, "w") as f:
                f.write("HTTP/1.1 %d %s\n" % (resp.status, resp.reason))
                f.writelines("%s: %s\n" % kv for kv in resp.getheaders())
        data = resp.read()
        if resp.getheader("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return resp.status, data
    except ConnectionRefusedError as e:
        raise Failure(EXIT_REFUSED, "connection refused: %s" % e)
    except (socket.timeout, TimeoutError) as e:
        raise Failure(EXIT_TIMEOUT, "timeout: %s" % e)
    except http.client.RemoteDisconnected as e:
        raise Failure(EXIT_EMPTY, "empty reply from server: %s" % e)
    except ConnectionResetError as e:
        raise Failure(EXIT_RESET, "connection reset: %s" % e)
    except http.client.IncompleteRead as e:
        raise Failure(EXIT_RESET, "incomplete response: %s" % e)
    finally:
        conn.close()


def want_ok(status, data):
    if not 200 <= status < 300:
        raise Failure(1, "HTTP %d: %s" % (status, data.decode("utf-8", "replace")[:2000]))
    return json.loads(data) if data else None


def read_body(arg):
    if arg is None:
        return None
    if arg == "-":
        return sys.stdin.buffer.read()
    with open(arg, "rb") as f:
        return f.read()


def run(opts):
    cmd, args = opts.command, opts.args
    if cmd == "count" and len(args) in (1, 2):
        body = args[1].encode() if len(args) == 2 else None
        print(want_ok(*request(opts, "POST" if body else "GET",
                               "/%s/_count" % urllib.parse.quote(args[0], safe="*,"), body))["count"])
    elif cmd in ("faults", "auth") and len(args) == 1:
        print(json.dumps(want_ok(*request(opts, "POST", "/_emulator/" + cmd, args[0].encode())),
                         sort_keys=True))
    elif cmd == "stats" and len(args) <= 1:
        v = want_ok(*request(opts, "GET", "/_emulator/stats"))
        for k in (args[0].split(".") if args else []):
            v = v.get(k, 0) if isinstance(v, dict) else 0
        print(v if not isinstance(v, (dict, list)) else json.dumps(v, sort_keys=True))
    elif cmd == "docs" and len(args) == 1:
        path = "/_emulator/docs?index=" + urllib.parse.quote(args[0], safe="*,")
        print(json.dumps(want_ok(*request(opts, "GET", path)), sort_keys=True))
    elif cmd == "reset" and not args:
        want_ok(*request(opts, "POST", "/_emulator/reset"))
    elif cmd == "request" and len(args) in (2, 3):
        status, data = request(opts, args[0].upper(), args[1], read_body(args[2] if len(args) == 3 else None))
        sys.stdout.write("%d\n" % status)
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        if data and not data.endswith(b"\n"):
            sys.stdout.write("\n")
    else:
        raise Failure(2, "usage: esctl.py PORT|URL count|faults|auth|stats|docs|reset|request ...")


def main(argv=None):
    ap = argparse.ArgumentParser(add_help=True, usage="esctl.py [options] PORT|URL COMMAND [ARGS...]")
    ap.add_argument("-H", "--header", action="append", default=[])
    ap.add_argument("-D", "--dump-header")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--user")
    ap.add_argument("--api-key")
    ap.add_argument("--cacert")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("target")
    ap.add_argument("command")
    ap.add_argument("args", nargs="*")
    opts = ap.parse_args(argv)
    try:
        run(opts)
        sys.stdout.flush()
    except Failure as e:
        print("esctl: %s" % e, file=sys.stderr)
        return e.code
    except BrokenPipeError:		# a reader like `head -n 1` had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
