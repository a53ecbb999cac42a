"""A real local Hugging Face Hub for the tests: olah (PyPI, pinned in the Makefile's .venv-hub) in offline mode,
serving the mirrors of tests/hub_mirrors.py on 127.0.0.1, plus the Hub cache layout for what olah cannot serve.

The pieces, each a small function: `start_olah` / `stop_olah` (by the pid we started), `write_hub_cache` (the
`models--<org>--<name>/snapshots/<commit>/` layout of huggingface_hub's cache, filled from the mirrors' git trees) and
`hub_env` (the environment variables that make a subprocess, such as papermill running the notebook, resolve the
colab profile's ids through the libraries' own code). See the `local_hub` fixture in conftest.py for what is served
by which.
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
OLAH_CLI = ROOT / ".venv-hub" / "bin" / "olah-cli"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def olah_config(mirrors, repos, port):
    """olah's TOML configuration: offline (never contacts huggingface.co), serving the git mirrors under `mirrors`."""
    return (f'[basic]\nhost = "127.0.0.1"\nport = {port}\nrepos-path = "{repos}"\n'
            f'mirrors-path = ["{mirrors}"]\n\n[accessibility]\noffline = true\n')


def start_olah(mirrors, work, timeout=60):
    """Start olah-cli serving `mirrors` (folder of tests/hub_mirrors.py's layout); `work` holds its config, cache
    and log. Waits until it answers HTTP. Returns (process, endpoint)."""
    if not OLAH_CLI.exists():
        raise FileNotFoundError(f"{OLAH_CLI} is missing: run `make .venv-hub/.installed`")
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = work / "olah.toml"
    config.write_text(olah_config(mirrors, work / "repos", port))
    log = open(work / "olah.log", "w")
    process = subprocess.Popen([str(OLAH_CLI), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT,
                               cwd=work, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"olah-cli exited with {process.returncode}: {(work / 'olah.log').read_text()[-2000:]}")
        if answers(endpoint):
            return process, endpoint
        time.sleep(0.3)
    stop_olah(process)
    raise TimeoutError(f"olah-cli did not answer on {endpoint} within {timeout} s")


def answers(endpoint):
    """Whether an HTTP server answers at `endpoint` (any status counts)."""
    try:
        urllib.request.urlopen(endpoint + "/", timeout=2).close()
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def stop_olah(process, timeout=10):
    """Stop the olah process we started (by its pid: SIGTERM, then SIGKILL if it lingers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def write_hub_cache(cache, repo_type, repo_id, folder, commit):
    """Copy the git working tree `folder` (committed as `commit`) into huggingface_hub's cache layout under `cache`
    (HF_HUB_CACHE): <type>s--<org>--<name>/snapshots/<commit>/<files> and refs/main holding the commit. Returns the
    snapshot folder."""
    repo = pathlib.Path(cache) / f"{repo_type}s--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    files = subprocess.run(["git", "ls-files"], cwd=folder, check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pathlib.Path(folder) / name, snapshot / name)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def hub_env(hub, base=None):
    """Environment for a subprocess that must resolve the colab ids against `hub` (the local_hub fixture's dict):
    datasets through olah (HF_ENDPOINT), models from the Hub cache offline (HF_HUB_OFFLINE=1, HF_HUB_CACHE),
    datasets' own cache in the test's folder (HF_DATASETS_CACHE), HF_HOME there too (no token, no user cache).
    `base` defaults to os.environ."""
    env = dict(os.environ if base is None else base)
    env.update({
        "HF_ENDPOINT": hub["endpoint"],
        "HF_HOME": str(hub["home"]),
        "HF_HUB_CACHE": str(hub["hub_cache"]),
        "HF_DATASETS_CACHE": str(hub["datasets_cache"]),
        "HF_HUB_OFFLINE": hub["hub_offline"],
        "HF_HUB_DISABLE_TELEMETRY": "1",
    })
    env.pop("HF_TOKEN", None)
    return env


# --- a thin front for olah: the Hub's answers where olah's differ -----------------------------------------------------
# olah 0.5.4 answers 401 "repository not found" (500 for a GET) for a file or folder that a mirror lacks, and 401 for
# GET /api/models/<id> without a revision; the Hub answers 404 with X-Error-Code: EntryNotFound for the first, and the
# model's info for the second. HubFront forwards every request to olah unchanged except those two, which it answers
# as the Hub does, deciding from the mirrors' own file lists (git ls-files), not from olah's status codes. It changes
# no library and no loader: with HF_ENDPOINT pointed at it, one process can load datasets and models online.

def repo_files(repos):
    """{(repo_type, repo_id): set of file paths in its git tree} for hub_mirrors.build_mirrors' result."""
    files = {}
    for (repo_type, repo_id), (folder, _) in repos.items():
        listed = subprocess.run(["git", "ls-files"], cwd=folder, check=True, capture_output=True, text=True).stdout
        files[(repo_type, repo_id)] = set(listed.split())
    return files


def split_hub_path(path, files):
    """(repo_type, repo_id, kind, revision, entry) of a Hub URL path, or None. kind is "resolve" for
    /[datasets/]<id>/resolve/<rev>/<file>, "tree" for /api/<type>s/<id>/tree/<rev>[/<folder>], "info" for
    /api/models/<id> (no revision). Only ids in `files` are recognised; the longest matching id wins."""
    from urllib.parse import unquote
    path = unquote(path.split("?", 1)[0])
    for (repo_type, repo_id) in sorted(files, key=lambda key: -len(key[1])):
        prefix = "/datasets/" if repo_type == "dataset" else "/"
        for kind, start in (("resolve", f"{prefix}{repo_id}/resolve/"), ("tree", f"/api/{repo_type}s/{repo_id}/tree/")):
            if path.startswith(start):
                revision, _, entry = path[len(start):].partition("/")
                return repo_type, repo_id, kind, revision, entry.rstrip("/")
        if path.rstrip("/") == f"/api/{repo_type}s/{repo_id}":
            return repo_type, repo_id, "info", None, ""
    return None


def missing_entry(parsed, files):
    """Whether a parsed resolve or tree request names a file or folder the mirror does not hold."""
    repo_type, repo_id, kind, _, entry = parsed
    names = files[(repo_type, repo_id)]
    if kind == "resolve":
        return entry not in names
    if kind == "tree":
        return bool(entry) and not any(name.startswith(entry + "/") for name in names)
    return False


class HubFront:
    """A local HTTP server on 127.0.0.1 in front of olah (see the comment above). start() returns its endpoint."""

    HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}

    def __init__(self, olah_endpoint, files):
        self.olah = olah_endpoint
        self.files = files
        self.server = None
        self.calls = []                       # (method, path, what the front did): "olah", "404", "info"

    def start(self):
        import http.server
        import threading
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                front.answer(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def answer(self, request):
        parsed = split_hub_path(request.path, self.files)
        if parsed and parsed[2] != "info" and missing_entry(parsed, self.files):
            self.calls.append((request.command, request.path, "404"))
            body = json.dumps({"error": f"Entry not found: {parsed[4]}"}).encode()
            self.reply(request, 404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found",
                                      "Content-Type": "application/json"}, body)
            return
        path = request.path
        if parsed and parsed[2] == "info":                   # the Hub's /api/models/<id> is the info at main
            path = request.path.split("?", 1)[0].rstrip("/") + "/revision/main"
        self.calls.append((request.command, request.path, "info" if path != request.path else "olah"))
        self.forward(request, path)

    def forward(self, request, path):
        import http.client
        from urllib.parse import urlsplit
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else None
        target = urlsplit(self.olah)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in self.HOP_BY_HOP | {"host",
                                                                                                  "accept-encoding"}}
        connection.request(request.command, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        out = {k: v.replace(self.olah, f"http://127.0.0.1:{self.server.server_address[1]}")
               for k, v in response.getheaders() if k.lower() not in self.HOP_BY_HOP}
        head = request.command == "HEAD"                   # a HEAD keeps olah's length of the body it did not send
        self.reply(request, response.status, out, b"" if head else data,
                   length=int(response.getheader("Content-Length") or 0) if head else None)

    @staticmethod
    def reply(request, status, headers, body, length=None):
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body) if length is None else length))
        request.end_headers()
        if body and request.command != "HEAD":
            request.wfile.write(body)


# --- a front whose downloads of one file stall: what a frozen Hub download looks like to the client -------------------
# Colab users report Hub downloads that stop partway without an error. StallingFront serves every request as HubFront
# does except GETs of one file (`filename` of model repository `repo_id`, at any revision): the first `stalls` of them send the response headers and `first_bytes` bytes of the body (every later stalled one sends
# nothing), then hold the connection open for `hold` seconds without sending more (bounded: the test ends either way),
# then close it. Range requests ("bytes=N-") are answered 206 with the rest of the file, as the Hub does; olah 0.5.4
# ignores Range and answers 200 with the whole file, so the front slices olah's answer itself. `gets` records
# (path, Range header or None, what the front did) for every GET of the file.

class StallingFront(HubFront):
    def __init__(self, olah_endpoint, files, repo_id, filename, first_bytes, stalls=1, hold=30.0):
        super().__init__(olah_endpoint, files)
        self.file = ("model", repo_id, "resolve", filename)
        self.first_bytes, self.stalls, self.hold = first_bytes, stalls, hold
        self.gets = []
        import threading
        self.released = threading.Event()              # set by stop(): stalled connections close at once

    def stop(self):
        self.released.set()
        super().stop()

    def answer(self, request):
        parsed = split_hub_path(request.path, self.files)
        if request.command != "GET" or not parsed or parsed[:3] + parsed[4:] != self.file:
            return super().answer(request)
        import http.client
        import re
        from urllib.parse import urlsplit
        target = urlsplit(self.olah)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        connection.request("GET", request.path)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        asked = request.headers.get("Range")
        start = int(re.fullmatch(r"bytes=(\d+)-", asked).group(1)) if asked else 0
        stalled = sum(what != "whole" for _, _, what in self.gets)
        what = "whole" if stalled >= self.stalls else ("stalled" if stalled == 0 else "stalled, nothing sent")
        self.gets.append((request.path, asked, what))
        headers = {"Content-Type": "application/octet-stream", "ETag": response.getheader("ETag") or ""}
        if asked:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        status, body = (206 if asked else 200), data[start:]
        if what == "whole":
            self.reply(request, status, headers, body)
            return
        if what == "stalled":
            request.send_response(status)
            for key, value in headers.items():
                request.send_header(key, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body[:self.first_bytes])
            request.wfile.flush()
        self.released.wait(self.hold)                  # the client sees an open connection that sends nothing
        request.close_connection = True
