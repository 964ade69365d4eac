#!/usr/bin/env python3
"""Test HTTP server for lota's host integration tests: serves a directory on 127.0.0.1 and can
misbehave on purpose.

usage: http_server.py DIR PORT_FILE [--mode MODE] [--rate BYTES_PER_S] [--no-deltas]
The chosen port is written to PORT_FILE once listening. Every request is logged to stderr.

Modes that break every request: 404, 500, stall (accepts, never answers), slow (--rate).
Modes that break only the update's payload (objects/ and deltas/), so that the update check
succeeds and the pull meets the fault:
  truncate        sends half of each file, then closes (Content-Length says the whole)
  corrupt         flips bytes in each file (checksum mismatch)
  trickle         1 byte per second
  huge            an endless stream of bytes (Content-Length 4 GiB)
  redirect-loop   302 to itself, forever
  missing-commit  404 for commit objects (the branch names a commit the server does not have)
  bad-part-size   a static delta superblock whose part 0 declares 2^63 bytes (its signature then
                  fails), and parts that never end
Commit objects and their signatures (.commit, .commitmeta) are served as they are by those modes
(lota reads them first, to decide): the faults reach the content. These break them instead:
  corrupt-commit  flips bytes in each commit object
  huge-commit     an endless stream for each commit object
--no-deltas answers 404 for deltas/, so libostree pulls objects.
"""
import argparse
import functools
import http.server
import os
import socketserver
import struct
import sys
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    mode = "normal"
    rate = 0
    no_deltas = False

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))

    def do_GET(self):
        commit = self.path.endswith(".commit") or self.path.endswith(".commitmeta")
        payload = (self.path.startswith("/objects/") or self.path.startswith("/deltas/")) and not commit
        if self.mode.endswith("-commit") and self.path.endswith(".commit"):
            return HOSTILE[self.mode[:-len("-commit")]](self)
        if self.no_deltas and self.path.startswith("/deltas/"):
            return self.send_error(404)
        if payload and self.mode in HOSTILE:
            return HOSTILE[self.mode](self)
        if self.mode == "missing-commit" and self.path.endswith(".commit"):
            return self.send_error(404)
        if self.mode == "404":
            return self.send_error(404)
        if self.mode == "500":
            return self.send_error(500)
        if self.mode == "stall":
            time.sleep(3600)
            return
        return self.send_file(slow=self.mode == "slow")

    def send_bytes(self, data):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def file_data(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return None
        with open(path, "rb") as f:
            return f.read()

    def headers_for(self):
        """The file's data after a 200 header naming its full length, or None (404 sent)."""
        data = self.file_data()
        if data is not None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
        return data

    def truncate(self):
        data = self.headers_for()
        if data is not None:
            self.wfile.write(data[:len(data) // 2])
            self.close_connection = True

    def corrupt(self):
        data = self.file_data()
        if data is not None:
            self.send_bytes(bytes(b ^ 0x5a for b in data[:64]) + data[64:])

    def trickle(self):
        data = self.headers_for()
        for i in range(len(data or b"")):
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()
            time.sleep(1)

    def huge(self):
        self.send_response(200)
        self.send_header("Content-Length", str(4 << 30))
        self.end_headers()
        block = b"\0" * 65536
        for _ in range((4 << 30) // len(block)):
            self.wfile.write(block)

    def bad_part_size(self):
        if not self.path.endswith("/superblock"):
            return self.huge()
        path = self.translate_path(self.path)
        with open(path, "rb") as f:
            data = f.read()
        # Part sizes are little-endian uint64 fields: part 0's is its file's size.
        size = os.path.getsize(os.path.join(os.path.dirname(path), "0"))
        field = struct.pack("<Q", size)
        if data.count(field) != 1:
            return self.send_error(500, "cannot locate part 0's size in the superblock")
        self.send_bytes(data.replace(field, struct.pack("<Q", 1 << 63)))

    def redirect_loop(self):
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

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


HOSTILE = {
    "truncate": Handler.truncate,
    "corrupt": Handler.corrupt,
    "trickle": Handler.trickle,
    "huge": Handler.huge,
    "redirect-loop": Handler.redirect_loop,
    "bad-part-size": Handler.bad_part_size,
}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("port_file")
    ap.add_argument("--mode", default="normal",
                    choices=["normal", "404", "500", "stall", "slow", "missing-commit", "corrupt-commit",
                             "huge-commit"] + sorted(HOSTILE))
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--no-deltas", action="store_true")
    a = ap.parse_args()
    Handler.mode, Handler.rate, Handler.no_deltas = a.mode, a.rate, a.no_deltas
    srv = Server(("127.0.0.1", 0), functools.partial(Handler, directory=a.dir))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
