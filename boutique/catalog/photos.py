"""Product photos: checked by content with Pillow, re-encoded, thumbnailed."""

import io
import uuid
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# name -> longest side in pixels
SIZES = {"large": 1200, "medium": 600, "thumb": 240}
Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs


class PhotoError(ValueError):
    """The upload is not a usable image; the message is for the user."""


def photo_folder():
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "products"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_photo(stream):
    """Check an uploaded file is a JPEG, PNG or WebP image and store its sizes; return its key."""
    data = stream.read(current_app.config["PHOTO_MAX_BYTES"] + 1)
    if len(data) > current_app.config["PHOTO_MAX_BYTES"]:
        raise PhotoError("too_big")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                probe.verify()
            if image_format not in ALLOWED_FORMATS:
                raise PhotoError("format")
            image = Image.open(io.BytesIO(data))
            image = ImageOps.exif_transpose(image).convert("RGB")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise PhotoError("too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise PhotoError("format") from exc
    key = uuid.uuid4().hex
    folder = photo_folder()
    for name, side in SIZES.items():
        copy = image.copy()
        copy.thumbnail((side, side))
        copy.save(folder / f"{key}-{name}.webp", "WEBP", quality=82)
    return key


def delete_photo(key):
    for name in SIZES:
        (photo_folder() / f"{key}-{name}.webp").unlink(missing_ok=True)
