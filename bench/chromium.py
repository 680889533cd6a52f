"""Debian's Chromium as Playwright drives it here: the one place its path and flags live
(the benchmarks and the browser tests read them from this file)."""

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless, and nothing that reaches the network on its own (the machine has no internet).
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
