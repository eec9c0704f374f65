"""inventory-scan: the barcode scanner client of inventory-svc.

Reads codes from a keyboard-wedge scanner, an evdev device, a webcam, a video or a folder of
images; keeps a durable offline queue; posts scans to the service exactly once.
"""

__version__ = "0.1.0"
