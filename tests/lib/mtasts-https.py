#!/usr/bin/python3
"""mtasts-https.py: an HTTPS server for the MTA-STS tests (RFC 8461 3.3).

Usage: mtasts-https.py --host ADDR --port N --cert PEM --key PEM
           --dir DIR [--port-file F] [--pid-file F] [--log F]

GET /.well-known/mta-sts.txt answers with DIR/<Host header>.txt as
text/plain (the Host without a port), 404 when that file is missing.
DIR/<host>.redirect holding a URL answers 301 to it instead (clients
must not follow). DIR/<host>.ctype holding a media type is sent as the
Content-Type instead of text/plain. With DIR/<host>.slow the status line
and headers go out at once and then one byte of the body a second (a
server slower than any sane bound). Each request is logged as "GET host
path status" once its reply starts; requests are served in parallel.
SIGTERM: exit 0.
"""

import argparse
import http.server
import os
import signal
import ssl
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file")
    p.add_argument("--pid-file")
    p.add_argument("--log")
    o = p.parse_args()
    logf = open(o.log, "a", buffering=1) if o.log else sys.stderr
    if o.pid_file:
        with open(o.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            base = os.path.join(o.dir, os.path.basename(host))
            status = 404
            if self.path == "/.well-known/mta-sts.txt":
                if os.path.exists(base + ".redirect"):
                    status = 301
                    self.send_response(301)
                    with open(base + ".redirect") as f:
                        self.send_header("Location", f.read().strip())
                    self.end_headers()
                elif os.path.exists(base + ".txt"):
                    status = 200
                    with open(base + ".txt", "rb") as f:
                        body = f.read()
                    ctype = "text/plain"
                    if os.path.exists(base + ".ctype"):
                        with open(base + ".ctype") as f:
                            ctype = f.read().strip()
                    self.send_response(200)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if os.path.exists(base + ".slow"):
                        self.wfile.flush()
                        logf.write("GET %s %s %d\n" % (host, self.path,
                                                        status))
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(1)
                        return
                    self.wfile.write(body)
            if status == 404:
                self.send_error(404)
            logf.write("GET %s %s %d\n" % (host, self.path, status))

    # SIGTERM: exit 0, as smtpd.py does (servers.bash waits for it)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    srv = http.server.ThreadingHTTPServer((o.host, o.port), Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(o.cert, o.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if o.port_file:
        with open(o.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(o.port_file + ".tmp", o.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
