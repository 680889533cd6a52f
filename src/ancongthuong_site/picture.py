"""The one place that writes <img>/<picture> markup, for templates and article bodies alike."""

from __future__ import annotations

import html
from typing import Any

import markupsafe

# How wide an image is shown, per place in the layout (the stylesheet's column widths), so
# the browser picks the smallest file that is sharp: a phone at 390 px, DPR 2, takes ~800 px.
SIZES = {
    "column": "(min-width: 50rem) 48rem, calc(100vw - 2rem)",  # article lead and body
    "wide": "(min-width: 74rem) 72rem, calc(100vw - 2rem)",  # the home page's lead story
    "card": "(max-width: 40rem) calc(100vw - 2rem), 10rem",  # thumbnails in listings
    "portrait": "7.5rem",  # leaders' photos on the Ban lãnh đạo page
}


def picture_html(
    media: dict[str, Any] | None,
    src: str,
    alt: str,
    role: str = "column",
    *,
    eager: bool = False,
) -> markupsafe.Markup:
    """<picture> with WebP and a JPEG/PNG fallback when the image was processed, else <img>.

    `media` is what the build knows of a local image (see media.py); None for remote
    images and SVG, which are shown as they are. Above the fold (`eager`) the browser
    fetches at once; everywhere else only when the reader scrolls near.
    """
    loading = 'loading="eager" fetchpriority="high"' if eager else 'loading="lazy"'
    attrs = f'alt="{_e(alt)}" {loading} decoding="async"'
    if not media:
        return markupsafe.Markup(f'<img src="{_e(src)}" {attrs}>')
    size = f'width="{media["width"]}" height="{media["height"]}"'
    if media["kind"] == "animation":
        return markupsafe.Markup(f'<img src="{_e(media["src"])}" {size} {attrs}>')
    sizes = _e(SIZES.get(role, SIZES["column"]))
    return markupsafe.Markup(
        f'<picture><source type="image/webp" srcset="{_e(media["webp"])}" sizes="{sizes}">'
        f'<img src="{_e(media["src"])}" srcset="{_e(media["fallback"])}" sizes="{sizes}" '
        f"{size} {attrs}></picture>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)
