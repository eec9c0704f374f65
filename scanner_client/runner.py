"""The capture loop: source -> (decode -> debounce) -> context -> durable queue -> sender.

Order of events for an item scan is the heart of "never lose, never send twice": the key is
made when the code is captured, the scan is committed to SQLite, and only then is the sender
woken. Whatever happens after the commit (crash, network, restart), the scan is in the queue
under one key.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .config import Config
from .context import ScanContext
from .debounce import Debouncer, LinearConsensus, TextDebouncer
from .decoding import Decoded, Decoder, DecoderUnavailable, Frame
from .feedback import Feedback, parked_alert, printable
from .queue import QueueLocked, ScanQueue, new_key, sender_lock, utcnow_iso
from .sender import ApiClient, Sender, SenderThread, SendEvent
from .sources import (
    FrameItem,
    SourceError,
    SourceSpec,
    evdev_lines,
    image_frames,
    parse_source,
    text_lines,
    video_frames,
)
from .wedge import normalise_wedge_line


class ScanSession:
    """Turns captured codes into context changes or queued scans."""

    def __init__(
        self,
        queue: ScanQueue,
        context: ScanContext,
        feedback: Feedback,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self.queue = queue
        self.context = context
        self.feedback = feedback
        self.on_enqueued = on_enqueued
        self.captured = 0
        self.not_sent = 0

    def handle_code(self, code: str, *, typed: bool = False) -> None:
        key = new_key()  # the scan's identity from the moment it is captured
        scanned_at = utcnow_iso()
        event = self.context.handle(code)
        if event is not None:
            self.feedback.context(event)
            return
        warnings: list[str] = []  # GS1 is judged by the service (e.g. fnc1_missing)
        refusal = self.context.refusal()
        body = self.context.build_request(code, scanned_at)
        if refusal is not None:
            # kept (as rejected, e.g. no_location) so it shows in `inventory-scan queue`
            self.queue.add_local_rejection(body, refusal.code, refusal.reason, key=key)
            self.not_sent += 1
            self.feedback.local_reject(code, refusal.reason)
            return
        scan = self.queue.enqueue(body, key=key, captured_at=scanned_at)
        self.captured += 1
        self.feedback.captured(scan, warnings)
        self.on_enqueued()


class Preview:
    """Optional OpenCV window showing the camera with decoded codes outlined."""

    WINDOW = "inventory-scan"

    def __init__(self, feedback: Feedback) -> None:
        import cv2

        self._cv2 = cv2
        self.enabled = False
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            feedback.warning("--preview ignored: no display (DISPLAY/WAYLAND_DISPLAY unset)")
            return
        try:
            cv2.namedWindow(self.WINDOW, cv2.WINDOW_NORMAL)
        except cv2.error:
            feedback.warning(
                "--preview ignored: this OpenCV has no GUI support (opencv-python-headless); "
                "install opencv-python instead for a preview window"
            )
            return
        self.enabled = True

    def show(self, frame: Frame, decoded: list[Decoded]) -> bool:
        """Draw and show; False when the user closed the preview with q or Esc."""
        if not self.enabled:
            return True
        cv2 = self._cv2
        import numpy as np

        canvas = frame.copy()
        for d in decoded:
            pts = np.array(d.position, dtype=np.int32).reshape(-1, 1, 2)
            cv2.polylines(canvas, [pts], True, (0, 200, 0), 3)
            x, y = d.position[0]
            label = d.text.replace("\x1d", "|")[:40]
            cv2.putText(canvas, label, (x, max(15, y - 8)), 0, 0.6, (0, 200, 0), 2)
        cv2.imshow(self.WINDOW, canvas)
        return (cv2.waitKey(1) & 0xFF) not in (ord("q"), 27)

    def close(self) -> None:
        if self.enabled:
            self._cv2.destroyWindow(self.WINDOW)


def run_frames(
    items: Iterable[FrameItem],
    decoder: Decoder,
    session: ScanSession,
    *,
    debouncer: Debouncer | None,
    preview: Preview | None = None,
    consensus: LinearConsensus | None = None,
) -> None:
    """Decode each frame; with no debouncer every frame is its own deliberate capture.

    With ``consensus`` (a camera or video), an EAN/UPC counts only when consecutive frames
    agree. Several different codes in one frame are each their own scan, and said so; one
    EAN/UPC symbol read two ways keeps the read of the whole symbol, and says so.
    """
    for item in items:
        if item.frame is None:
            session.feedback.warning(f"cannot read image {item.name}; skipped")
            continue
        decoded = decoder.decode(item.frame)
        where = item.name or f"frame at {item.t:.2f} s"
        for kept, dropped in decoder.dropped:
            session.feedback.warning(
                f"{where}: one barcode read two ways, {printable(kept.text)} (whole symbol, "
                f"kept) and {printable(dropped.text)} (part of it, dropped)"
            )
        texts = list(dict.fromkeys(d.text for d in decoded))
        passed = consensus.frame(texts) if consensus is not None else texts
        counted = debouncer.frame(item.t, passed) if debouncer else passed
        if counted and len(texts) > 1:
            session.feedback.warning(
                f"{where}: {len(texts)} different codes in one frame, each its own scan "
                "(never one): " + ", ".join(printable(t) for t in texts)
            )
        for text in counted:
            session.handle_code(text)
        if preview is not None and not preview.show(item.frame, decoded):
            return


def run_text(
    lines: Iterable[str],
    session: ScanSession,
    *,
    gs_substitutes: tuple[str, ...] = (),
    debouncer: TextDebouncer | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    for line in lines:
        code = normalise_wedge_line(line, gs_substitutes)
        if not code.strip():
            continue
        if debouncer is not None and not debouncer.accept(clock(), code):
            continue
        session.handle_code(code, typed=True)


class _Counter:
    """Tallies sender events for the end-of-run summary (called from two threads)."""

    def __init__(self, feedback: Feedback) -> None:
        self.feedback = feedback
        self.delivered = 0
        self.rejected = 0
        self.parked = 0
        self.state = "unknown"
        self._lock = threading.Lock()

    def __call__(self, event: SendEvent) -> None:
        with self._lock:
            self.state = event.state
            if event.kind == "delivered":
                self.delivered += 1
            elif event.kind == "rejected":
                self.rejected += 1
            elif event.kind == "parked":
                self.parked += 1
        if event.kind != "state":
            self.feedback.sent(event)
        else:
            self.feedback.status(event.pending, event.state, event.parked)


def make_client(cfg: Config) -> ApiClient:
    return ApiClient(cfg.server, cfg.token, timeout=cfg.timeout)


def drain(cfg: Config, queue: ScanQueue, counter: _Counter, timeout: float) -> None:
    """One sending pass in this thread: send what can be sent now, leave the rest queued."""
    client = make_client(cfg)
    try:
        Sender(
            queue, client, counter, backoff_base=cfg.backoff_base, backoff_cap=cfg.backoff_cap
        ).drain(timeout)
    finally:
        client.close()


def flush(cfg: Config, feedback: Feedback, *, timeout: float | None = None) -> int:
    """Send what is waiting and return: 0 (sent or kept for later), 1 client refused, 3 busy."""
    with ScanQueue(cfg.queue) as queue:
        counter = _Counter(feedback)
        try:
            with sender_lock(cfg.queue):
                drain(cfg, queue, counter, cfg.drain_timeout if timeout is None else timeout)
        except QueueLocked as exc:
            feedback.error(str(exc))
            return 3
        counts = queue.counts()
        feedback.summary(
            {
                "command": "flush",
                "captured": 0,
                "delivered": counter.delivered,
                "rejected": counter.rejected,
                "parked_now": counter.parked,
                "pending": counts["pending"],
                "parked": counts["parked"],
                "state": counter.state,
                "queue": str(cfg.queue),
            }
        )
        return 1 if counter.state == "unauthorized" and counts["pending"] else 0


def _frame_items(spec: SourceSpec) -> Iterator[FrameItem]:
    if spec.kind == "images":
        return image_frames(str(spec.arg))
    assert spec.arg is not None
    return video_frames(spec.arg, live=spec.kind == "webcam")


def run(cfg: Config, feedback: Feedback, *, stdin: Any = None, grab: bool = True) -> int:
    """Capture from the configured source until it ends (or Ctrl+C); returns the exit code."""
    try:
        spec = parse_source(cfg.source)
        # A live camera shows mostly empty frames: there pyzbar gets one in four of them.
        fallback_every = 4 if spec.kind == "webcam" else 1
        decoder = (
            Decoder(cfg.decoder, cfg.formats, fallback_every=fallback_every)
            if spec.frames
            else None
        )
    except (SourceError, DecoderUnavailable, ValueError) as exc:
        feedback.error(str(exc))
        return 2

    queue = ScanQueue(cfg.queue)
    counter = _Counter(feedback)
    context = ScanContext(
        location=cfg.location,
        action=cfg.action,
        device=cfg.device,
        purchase_order=cfg.purchase_order,
        restock_session=cfg.restock_session,
        count_session=cfg.count_session,
        pick_list=cfg.pick_list,
        to_location=cfg.to_location,
    )
    stack = contextlib.ExitStack()
    thread: SenderThread | None = None
    try:
        stack.enter_context(sender_lock(cfg.queue))
        thread = SenderThread(
            cfg.queue,
            lambda: make_client(cfg),
            counter,
            backoff_base=cfg.backoff_base,
            backoff_cap=cfg.backoff_cap,
        )
        thread.start()
    except QueueLocked as exc:
        feedback.warning(f"{exc}; this client only captures")

    session = ScanSession(queue, context, feedback, thread.wake if thread else lambda: None)
    start = queue.pending_count()
    parked = queue.parked_count()
    feedback.info(
        f"inventory-scan: source {spec}, server {cfg.server}, device {cfg.device}, "
        f"action {context.action}, location {context.location or '-'}"
        + (f", {start} scans waiting in the queue" if start else "")
    )
    if parked:
        feedback.warning(parked_alert(parked))
    feedback.status(start, "unknown", parked)
    rc = 0
    interrupted = False
    preview: Preview | None = None
    try:
        if spec.frames:
            assert decoder is not None
            if cfg.preview and spec.kind != "images":
                preview = Preview(feedback)
            live = spec.kind != "images"  # a folder of images: each one a deliberate capture
            run_frames(
                _frame_items(spec),
                decoder,
                session,
                debouncer=Debouncer(window=cfg.debounce) if live else None,
                preview=preview,
                consensus=LinearConsensus() if live else None,
            )
        else:
            lines = (
                text_lines(stdin) if spec.kind == "stdin" else evdev_lines(str(spec.arg), grab=grab)
            )
            run_text(
                lines,
                session,
                gs_substitutes=cfg.gs_substitutes,
                debouncer=TextDebouncer(cfg.wedge_debounce),
            )
    except KeyboardInterrupt:
        interrupted = True
    except SourceError as exc:
        feedback.error(str(exc))
        rc = 2
    finally:
        if preview is not None:
            preview.close()
        if thread is not None:
            thread.stop(timeout=cfg.timeout + 5)
            drain(
                cfg,
                queue,
                counter,
                min(cfg.drain_timeout, 3.0) if interrupted else cfg.drain_timeout,
            )
        stack.close()
        counts = queue.counts()
        feedback.summary(
            {
                "command": "run",
                "captured": session.captured,
                "not_sent": session.not_sent,
                "delivered": counter.delivered,
                "rejected": counter.rejected,
                "parked_now": counter.parked,
                "pending": counts["pending"],
                "parked": counts["parked"],
                "state": counter.state,
                "queue": str(cfg.queue),
                "interrupted": interrupted,
            }
        )
        queue.close()
    return rc
