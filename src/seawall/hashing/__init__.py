"""Per-file hashing: digests, media type sniffing, PDQ, vPDQ, EXIF and the one-pass analyser.

Pure functions over bytes and streams; nothing here touches the store or the web layer.
"""

from .content import ContentResult, analyse_path, analyse_stream
from .digests import Digests, MultiDigest, digest_bytes, digest_stream
from .errors import HashingError
from .exif import camera_info
from .media_type import MediaType, sniff
from .pdq import PdqResult, hamming, pdq_from_bytes, pdq_from_image, pdq_from_rgb
from .vpdq import VideoFrame, vpdq_from_path

__all__ = [
    "ContentResult", "Digests", "HashingError", "MediaType", "MultiDigest", "PdqResult",
    "VideoFrame", "analyse_path", "analyse_stream", "camera_info", "digest_bytes",
    "digest_stream", "hamming", "pdq_from_bytes", "pdq_from_image", "pdq_from_rgb", "sniff",
    "vpdq_from_path",
]
