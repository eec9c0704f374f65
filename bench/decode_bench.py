"""Decode throughput of the scanner client on one core, against a 30 fps camera.

    .venv/bin/python bench/decode_bench.py [--seconds 2] [--json]

For 640x480 and 1280x720 frames, with a code in view (GS1 DataMatrix of a DSCSA pack, a
Code128 location label) and without (a cluttered bench scene), it measures frames per second
through ``scanner_client.decoding.Decoder`` (grey conversion included), with the default
format set and with formats restricted to DataMatrix, and pyzbar where it applies. The process
is pinned to one CPU and OpenCV to one thread; zxing-cpp is single-threaded per call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner_client.config import DEFAULT_FORMATS
from scanner_client.decoding import Decoder, DecoderUnavailable

TARGET_FPS = 30.0
SIZES = {"640x480": (640, 480), "1280x720": (1280, 720)}
GS1 = "(01)00304094921341(17)271231(10)LOT42(21)SN1234567890"


def bench_scene(size: tuple[int, int], seed: int = 3) -> np.ndarray:
    """A cluttered, noisy bench without any barcode: boxes, lines, text, gradient."""
    w, h = size
    rng = np.random.default_rng(seed)
    x = np.linspace(90, 200, w, dtype=np.float32)
    img = np.tile(x, (h, 1))
    img = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    for _ in range(25):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (p1[0] + int(rng.integers(20, w // 4)), p1[1] + int(rng.integers(20, h // 4)))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(img, p1, p2, color, int(rng.integers(-1, 4)) or -1)
    for _ in range(15):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(img, p1, p2, (20, 20, 20), int(rng.integers(1, 4)))
    for i in range(6):
        org = (int(rng.integers(0, w - 200)), int(rng.integers(20, h)))
        cv2.putText(img, f"Saline 0.9% 10 mL #{i}", org, 0, 0.7, (30, 30, 30), 2)
    noise = rng.normal(0, 6, img.shape)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def with_code(scene: np.ndarray, code: np.ndarray, fraction: float) -> np.ndarray:
    """Put a code on the scene, scaled to ``fraction`` of the frame height (a held pack)."""
    h, w = scene.shape[:2]
    ch, cw = code.shape[:2]
    ratio = min(fraction * h / ch, 0.8 * w / cw)
    code = cv2.resize(code, (int(cw * ratio), int(ch * ratio)), interpolation=cv2.INTER_AREA)
    ch, cw = code.shape[:2]
    out = scene.copy()
    y, x = (h - ch) // 2, (w - cw) // 3
    out[y : y + ch, x : x + cw] = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    return out


def datamatrix() -> np.ndarray:
    bc = zxingcpp.create_barcode(GS1, zxingcpp.BarcodeFormat.DataMatrix, gs1=True, forceSquare=True)
    return np.array(zxingcpp.write_barcode_to_image(bc, scale=8), dtype=np.uint8)


def code128() -> np.ndarray:
    bc = zxingcpp.create_barcode("LOC:MAIN-A1", zxingcpp.BarcodeFormat.Code128)
    img = np.array(zxingcpp.write_barcode_to_image(bc, scale=4), dtype=np.uint8)
    return np.asarray(cv2.resize(img, (img.shape[1], 120), interpolation=cv2.INTER_NEAREST))


def measure(fn: Callable[[], object], seconds: float) -> tuple[float, object]:
    result = fn()  # warm-up (and the result we check)
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and n >= 5:
            return n / elapsed, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per case")
    ap.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = ap.parse_args()

    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})

    decoders: dict[str, Decoder] = {
        "zxing (default formats)": Decoder("zxing", DEFAULT_FORMATS),
        "zxing (DataMatrix only)": Decoder("zxing", ["DataMatrix"]),
    }
    try:
        decoders["pyzbar (1D formats)"] = Decoder("pyzbar", DEFAULT_FORMATS)
    except DecoderUnavailable as exc:
        print(f"# pyzbar skipped: {exc}", file=sys.stderr)

    codes = {"GS1 DataMatrix": (datamatrix(), 0.45), "Code128 label": (code128(), 0.25)}
    rows = []
    for size_name, size in SIZES.items():
        scene = bench_scene(size)
        frames = {"no code": scene}
        frames.update({name: with_code(scene, c, f) for name, (c, f) in codes.items()})
        for dec_name, dec in decoders.items():
            for frame_name, frame in frames.items():
                if dec_name.startswith("pyzbar") and frame_name == "GS1 DataMatrix":
                    continue  # zbar has no DataMatrix reader
                if "DataMatrix only" in dec_name and frame_name == "Code128 label":
                    continue
                fps, found = measure(lambda d=dec, f=frame: d.decode(f), args.seconds)
                texts = [d.text for d in found] if isinstance(found, list) else []
                rows.append(
                    {
                        "size": size_name,
                        "decoder": dec_name,
                        "frame": frame_name,
                        "fps": round(fps, 1),
                        "ms_per_frame": round(1000 / fps, 2),
                        "x_30fps": round(fps / TARGET_FPS, 2),
                        "decoded": len(texts),
                    }
                )

    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(
        f"decode benchmark: 1 core ({platform.processor() or platform.machine()}), "
        f"zxing-cpp {metadata.version('zxing-cpp')}, OpenCV {cv2.__version__}, "
        f"{args.seconds:.1f} s per case; target {TARGET_FPS:.0f} fps"
    )
    header = (
        f"{'size':<9} {'decoder':<24} {'frame':<15} {'fps':>8} {'ms/frame':>9} "
        f"{'vs 30fps':>9} {'found':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['size']:<9} {r['decoder']:<24} {r['frame']:<15} {r['fps']:>8.1f} "
            f"{r['ms_per_frame']:>9.2f} {r['x_30fps']:>8.2f}x {r['decoded']:>6}"
        )
    slow = [r for r in rows if r["x_30fps"] < 1.0]
    if slow:
        print(
            f"\n{len(slow)} case(s) below 30 fps: a live camera then decodes the newest frame "
            "and skips the ones in between (capture buffer of 1 frame)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
