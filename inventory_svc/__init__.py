"""inventory-svc: hospital pharmacy inventory driven by barcode scans."""

__version__ = "0.1.0"
