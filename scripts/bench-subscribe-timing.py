#!/usr/bin/env python3
# Usage: scripts/bench-subscribe-timing.py BINARY N  (issue 14: known and
# unknown addresses must take the same time on POST /subscribe).
# Medians of POST /subscribe for known (active) vs unknown addresses,
# each request from its own loopback source address (the per-client limit
# is 5 per 10 minutes), interleaved, against the real server.
import os, socket, statistics, subprocess, sys, tempfile, time
binary, n = sys.argv[1], int(sys.argv[2])
port = 18000 + os.getpid() % 1000
d = tempfile.mkdtemp()
open(f"{d}/postbode.toml", "w").write(f'''[database]
url = "sqlite://postbode.db"
[secrets]
token_key = "bench-key-0123456789abcdef0123456789abcdef"
suppression_key = "bench-suppression-key-0123456789abcdef"
[newsletter]
name = "Bench"
from = "Redactie <redactie@example.org>"
base_url = "https://nieuws.example.org"
[server]
bind = "127.0.0.1:{port}"
''')
open(f"{d}/leden.csv", "w").write("email,status\n" + "".join(f"lid{i}@example.nl,active\n" for i in range(n)))
subprocess.run([binary, "subscribers", "import", "leden.csv"], cwd=d, check=True, capture_output=True)
server = subprocess.Popen([binary, "serve"], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); break
        except OSError:
            time.sleep(0.1)
    def post(src, email):
        body = f"email={email.replace('@', '%40')}&website=".encode()
        req = (f"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
               f"Origin: https://nieuws.example.org\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        s = socket.socket(); s.bind((src, 0)); s.connect(("127.0.0.1", port))
        t = time.perf_counter(); s.sendall(req); data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        took = time.perf_counter() - t; s.close()
        assert data.startswith(b"HTTP/1.1 200"), data[:200]
        return took * 1000
    known, unknown = [], []
    for i in range(n):
        # Which goes first alternates, and each waits 10 ms after the last,
        # so neither always follows the other's background work.
        pair = [lambda: known.append(post(f"127.1.{i // 250}.{i % 250 + 1}", f"lid{i}@example.nl")),
                lambda: unknown.append(post(f"127.2.{i // 250}.{i % 250 + 1}", f"nieuw{i}@example.nl"))]
        for f in (pair if i % 2 == 0 else pair[::-1]):
            time.sleep(0.01)
            f()
    q = lambda xs: statistics.quantiles(xs, n=20)
    print(f"{os.path.basename(binary)}: known median {statistics.median(known):.3f} ms (p95 {q(known)[18]:.3f}), "
          f"unknown median {statistics.median(unknown):.3f} ms (p95 {q(unknown)[18]:.3f}), n={n} each")
finally:
    server.terminate(); server.wait()
