#!/usr/bin/env python3
"""Test HTTP server for lota's host integration tests: serves a directory on 127.0.0.1 and can
misbehave on purpose.

usage: http_server.py DIR PORT_FILE [--mode normal|404|500|stall|slow] [--rate BYTES_PER_S]
The chosen port is written to PORT_FILE once listening. Every request is logged to stderr.
"""
import argparse
import functools
import http.server
import os
import socketserver
import sys
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    mode = "normal"
    rate = 0

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))

    def do_GET(self):
        if self.mode == "404":
            return self.send_error(404)
        if self.mode == "500":
            return self.send_error(500)
        if self.mode == "stall":
            time.sleep(3600)
            return
        return self.send_file(slow=self.mode == "slow")

    def send_file(self, slow):
        """Files with HTTP Range support (bytes=N-), at `rate` bytes/s when slow."""
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            return self.send_error(404)
        with open(path, "rb") as f:
            data = f.read()
        start = 0
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and rng.endswith("-") and rng[6:-1].isdigit():
            start = int(rng[6:-1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        data = data[start:]
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not slow:
            self.wfile.write(data)
            return
        chunk = max(1, self.rate // 10)
        for i in range(0, len(data), chunk):
            self.wfile.write(data[i:i + chunk])
            self.wfile.flush()
            time.sleep(0.1)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("port_file")
    ap.add_argument("--mode", default="normal", choices=["normal", "404", "500", "stall", "slow"])
    ap.add_argument("--rate", type=int, default=1000)
    a = ap.parse_args()
    Handler.mode, Handler.rate = a.mode, a.rate
    srv = Server(("127.0.0.1", 0), functools.partial(Handler, directory=a.dir))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
