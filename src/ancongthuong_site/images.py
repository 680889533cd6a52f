"""Camera photos → light derivatives: decode once, orient, strip metadata, resize, encode.

Depends only on the original's bytes and `ImageSettings`, so its results are cached by the
original's content hash and it runs in worker processes. Every derivative is written
without EXIF, XMP or comments (a phone photo carries its GPS position there); only a
colour profile is kept, so colours stay right.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import PIL
from PIL import Image, ImageOps, UnidentifiedImageError

from .files import write_atomic

# Suffixes the pipeline handles; SVG (text) and everything else is copied as it is.
RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
_ORIENTATION = 0x0112
_SWAPS_AXES = (5, 6, 7, 8)  # EXIF orientations that turn the picture by 90°


@dataclass(frozen=True)
class ImageSettings:
    """Everything besides the original's bytes that changes a derivative (the cache key)."""

    # Layout widths in pixels: a thumbnail (1x), a phone's column at 1x and 2x (390 px × 2
    # needs 720), the desktop column, and full width.
    widths: tuple[int, ...] = (320, 480, 720, 960, 1280)
    webp_quality: int = 75
    jpeg_quality: int = 80
    original_quality: int = 92  # the full-size copy published when an editor links the photo

    def key(self) -> str:
        code = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()
        return f"{PIL.__version__}|{self}|{code}"


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    format: str  # "webp", "jpeg", "png" or "gif": the derivative's encoding
    name: str  # file name in the image's cache folder, e.g. "640.webp"
    size: int  # bytes, so a damaged cache file is noticed
    digest: str  # of the bytes: the output manifest's digest, checked before publishing


@dataclass(frozen=True)
class Processed:
    """What the pipeline made of one original."""

    kind: str  # "photo" (lossy), "graphic" (lossless, e.g. a screenshot) or "animation" (GIF)
    width: int  # the original's size, upright
    height: int
    variants: tuple[Variant, ...]  # smallest first
    original: str = ""  # file name of the clean full-size copy, when one was asked for
    original_digest: str = ""
    decoded: bool = True  # False when the bytes were passed through without decoding


class ImageProblem(Exception):
    """The file cannot be used as an image (E198) or is too large to decode safely (E199)."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def process(data: bytes, folder: Path, settings: ImageSettings, want_original: bool) -> Processed:
    """Write the derivatives of one original into `folder`; raise ImageProblem if unusable."""
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that: refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format == "GIF":
                return _pass_through(image, data, folder)
            lossy = image.format in ("JPEG", "MPO") or (
                image.format == "WEBP" and b"VP8L" not in data[:4096]  # VP8L: lossless WebP
            )
            if lossy and image.mode in ("RGBA", "LA", "PA"):
                lossy = False  # transparency needs a lossless encoding
            upright = _upright_size(image)
            widths = _widths(upright[0], settings)
            if lossy and image.format == "JPEG" and not want_original:
                # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding: several times faster.
                image.draft("RGB", _draft_size(image, upright, widths[-1]))
            image.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            limit = Image.MAX_IMAGE_PIXELS or 0
            raise ImageProblem(
                "E199",
                f"ảnh quá lớn để giải nén an toàn (hơn {limit // 1_000_000} triệu điểm ảnh)",
                "thu nhỏ ảnh (ví dụ 4000 điểm ảnh chiều rộng) rồi lưu lại",
            ) from None
        except UnidentifiedImageError:
            raise ImageProblem(
                "E198",
                "tệp không phải là ảnh (nội dung không đọc được như JPEG, PNG, GIF hay WebP)",
                "xuất lại ảnh từ máy ảnh hoặc phần mềm chỉnh ảnh; đừng đổi đuôi tệp bằng tay",
            ) from None
        except (OSError, ValueError, SyntaxError, EOFError) as error:
            truncated = "truncated" in str(error)
            raise ImageProblem(
                "E198",
                "tệp ảnh bị cắt cụt (chưa chép hết)" if truncated else f"tệp ảnh hỏng: {error}",
                "chép lại tệp ảnh gốc từ máy ảnh hoặc điện thoại",
            ) from None
    return _derivatives(image, data, folder, settings, lossy, widths, want_original)


def _upright_size(image: Image.Image) -> tuple[int, int]:
    orientation = image.getexif().get(_ORIENTATION, 1)
    width, height = image.size
    return (height, width) if orientation in _SWAPS_AXES else (width, height)


def _widths(width: int, settings: ImageSettings) -> list[int]:
    """The layout widths this image can fill, never wider than the original."""
    return sorted({min(w, width) for w in settings.widths})


def _draft_size(image: Image.Image, upright: tuple[int, int], largest: int) -> tuple[int, int]:
    """The smallest decoded size that still covers the largest derivative."""
    scale = largest / upright[0]
    needed = (max(1, int(image.size[0] * scale)), max(1, int(image.size[1] * scale)))
    return needed


def _height(size: tuple[int, int], width: int) -> int:
    return max(1, round(size[1] * width / size[0]))


def _derivatives(
    image: Image.Image,
    data: bytes,
    folder: Path,
    settings: ImageSettings,
    lossy: bool,
    widths: list[int],
    want_original: bool,
) -> Processed:
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA", "L") else None
    image = ImageOps.exif_transpose(image)
    if lossy:
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    image.info = {"icc_profile": icc} if icc else {}  # nothing else travels to the outputs
    upright = image.size
    folder.mkdir(parents=True, exist_ok=True)
    original = original_digest = ""
    if want_original:
        original = "original" + _suffix(data, lossy)
        fmt = _original_format(data, lossy)
        _, original_digest = _save(image, folder / original, fmt, settings, full=True)
    variants: list[Variant] = []
    current = image
    for width in sorted(widths, reverse=True):
        size = (width, _height(upright, width))
        if current.size != size:
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        formats = ("webp", "jpeg") if lossy else ("webp", "png")
        for fmt in formats:
            name = f"{width}.{'jpg' if fmt == 'jpeg' else fmt}"
            written, digest = _save(current, folder / name, fmt, settings, lossless=not lossy)
            variants.append(Variant(width, size[1], fmt, name, written, digest))
    variants.sort(key=lambda v: (v.width, v.format))
    kind = "photo" if lossy else "graphic"
    return Processed(kind, upright[0], upright[1], tuple(variants), original, original_digest)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _suffix(data: bytes, lossy: bool) -> str:
    return {"jpeg": ".jpg", "webp": ".webp", "png": ".png"}[_original_format(data, lossy)]


def _original_format(data: bytes, lossy: bool) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "jpeg" if lossy else "png"


def _save(
    image: Image.Image,
    path: Path,
    fmt: str,
    settings: ImageSettings,
    *,
    lossless: bool = False,
    full: bool = False,
) -> tuple[int, str]:
    options: dict[str, object] = {"icc_profile": image.info.get("icc_profile")}
    if fmt == "webp":
        if lossless:
            options.update(lossless=True, quality=80, method=4)
        else:
            quality = settings.original_quality if full else settings.webp_quality
            options.update(quality=quality, method=4)
    elif fmt == "jpeg":
        quality = settings.original_quality if full else settings.jpeg_quality
        options.update(quality=quality, optimize=True, progressive=True)
    else:
        options.update(optimize=False, compress_level=6)
    buffer = io.BytesIO()
    image.save(buffer, fmt.upper(), **{k: v for k, v in options.items() if v is not None})
    data = buffer.getvalue()
    write_atomic(path, data)
    return len(data), content_digest(data)


def _pass_through(image: Image.Image, data: bytes, folder: Path) -> Processed:
    """GIFs stay as they are (animated ones keep moving); only their size is read."""
    width, height = image.size
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "image.gif", data)
    digest = content_digest(data)
    variant = Variant(width, height, "gif", "image.gif", len(data), digest)
    return Processed("animation", width, height, (variant,), "image.gif", digest, decoded=False)


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
