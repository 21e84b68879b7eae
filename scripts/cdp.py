"""A small DevTools-protocol client for Debian's headless chromium, over --remote-debugging-pipe (no websocket
library needed): navigate, wait for a quiet network, time it, take screenshots. Used by scripts/page-benchmark.py."""
import json, os, subprocess, tempfile, time, base64


class Chromium:
    def __init__(self, binary="chromium"):
        self.profile = tempfile.mkdtemp(prefix="lw-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # The child reads commands on fd 3 and writes replies and events on fd 4: moved above 10 first, so that
        # neither lands on the other's number.
        high_r, high_w = os.dup(to_child_r) + 0, os.dup(from_child_w) + 0
        def plumbing():
            a, b = os.dup(high_r), os.dup(high_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--lang=zh-CN", f"--user-data-dir={self.profile}", "about:blank"],
            close_fds=False, preexec_fn=plumbing, stdout=subprocess.DEVNULL, stderr=open(os.environ.get("CDP_LOG", os.devnull), "w"))
        for fd in (to_child_r, from_child_w, high_r, high_w):
            os.close(fd)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(domain + ".enable", session=True)

    def _send(self, message):
        os.write(self.to_child, json.dumps(message).encode() + b"\0")

    def _read(self, timeout):
        import select
        end = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = end - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=False, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._send(message)
        while True:
            reply = self._read(60)
            if reply is None:
                raise TimeoutError(method)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append((time.monotonic(), reply))

    def page(self, method, **params):
        return self.call(method, session=True, **params)

    def viewport(self, width, height, mobile=False, scale=1):
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=scale, mobile=mobile)

    def headers(self, headers):
        self.page("Network.setExtraHTTPHeaders", headers=headers)

    def quiet(self, since, needs_load=False, needs_request=False, quiet_ms=500, limit_s=60):
        """Waits until no request has been in flight for quiet_ms (after the load event, or after a first request,
        when asked); returns the time (monotonic) the last request finished, or the load event if later. A live
        stream (EventSource) stays open by design and is not waited for."""
        inflight, loaded, seen, last = set(), False, False, since
        pending, self.events = self.events, []
        end = time.monotonic() + limit_s

        def handle(at, message):
            nonlocal loaded, seen, last
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.requestWillBeSent" and params.get("type") != "EventSource":
                seen = True
                inflight.add(params["requestId"])
            elif method in ("Network.loadingFinished", "Network.loadingFailed") and params["requestId"] in inflight:
                inflight.discard(params["requestId"])
                last = max(last, at)
            elif method == "Page.loadEventFired":
                loaded = True
                last = max(last, at)

        for at, message in pending:
            handle(at, message)
        while time.monotonic() < end:
            message = self._read(quiet_ms / 1000)
            if message is None:
                if not inflight and (loaded or not needs_load) and (seen or not needs_request):
                    return last
                continue
            handle(time.monotonic(), message)
        raise TimeoutError("the network never went quiet")

    def navigate(self, url):
        """Navigates and waits for a quiet network: seconds from navigation to the last request's end."""
        self.events = []
        start = time.monotonic()
        self.page("Page.navigate", url=url)
        return self.quiet(start, needs_load=True) - start

    def evaluate(self, expression):
        result = self.page("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def after(self, expression):
        """Runs script that starts network work (a map zoom) and returns seconds until that work is done and the
        network quiet again."""
        self.events = []
        start = time.monotonic()
        self.evaluate(expression)
        return self.quiet(start, needs_request=True) - start

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            metrics = self.page("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.page("Page.captureScreenshot", **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def set_files(self, selector, paths):
        """Puts files into the page's file input `selector`, as if chosen by the user."""
        root = self.page("DOM.getDocument")["root"]["nodeId"]
        node = self.page("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.page("DOM.setFileInputFiles", files=paths, nodeId=node)

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        subprocess.run(["rm", "-rf", self.profile])
