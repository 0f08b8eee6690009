"""What a page load costs on the network: bytes transferred and requests, read from the
browser's own network events (Chrome DevTools Protocol), first load and repeat."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Load:
    """The network side of one page load."""

    requests: list[str] = field(default_factory=list)  # URLs fetched over the network
    bytes: int = 0  # headers and (compressed) bodies, as received

    @property
    def kilobytes(self) -> float:
        return self.bytes / 1024


class NetworkMeter:
    """Counts what a page fetches over the network (cache hits are not counted)."""

    def __init__(self, page) -> None:
        self.session = page.context.new_cdp_session(page)
        self.session.send("Network.enable")
        self._urls: dict[str, str] = {}
        self._cached: set[str] = set()
        self.load: Load | None = None  # recording only while measure() runs
        self.session.on("Network.requestWillBeSent", self._sent)
        self.session.on("Network.requestServedFromCache", self._from_cache)
        self.session.on("Network.responseReceived", self._received)
        self.session.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict) -> None:
        self._urls[event["requestId"]] = event["request"]["url"]

    def _from_cache(self, event: dict) -> None:
        self._cached.add(event["requestId"])

    def _received(self, event: dict) -> None:
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self._cached.add(event["requestId"])

    def _finished(self, event: dict) -> None:
        request_id = event["requestId"]
        if self.load is None or request_id in self._cached or request_id not in self._urls:
            return
        self.load.requests.append(self._urls[request_id])
        self.load.bytes += int(event["encodedDataLength"])

    def measure(self, page, url: str) -> Load:
        """Load `url` and return what it cost; the browser's cache is kept as it is."""
        self.load = load = Load()
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        self.load = None
        return load

    def clear_cache(self) -> None:
        """Forget everything cached, as on a phone that never came here."""
        self.session.send("Network.clearBrowserCache")
