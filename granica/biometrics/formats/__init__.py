"""Biometric interchange formats: ANSI/NIST-ITL transactions (traditional and 2-2008 XML
encodings), WSQ and other finger/face images, ISO/IEC 19794-2 and ANSI INCITS 378 minutiae
records, and application profiles.

The engine reads images with `read_image(path_or_bytes) -> (uint8 array, ppi or None)`.
"""

from granica.biometrics.formats.an2k import (
    BinaryRecord,
    Field,
    TaggedRecord,
    Transaction,
    read_transaction,
)
from granica.biometrics.formats.an2k_xml import read_xml, to_xml
from granica.biometrics.formats.errors import ImageFormatError, MinutiaeFormatError, NistFormatError
from granica.biometrics.formats.images import (
    decode_wsq,
    encode_image,
    encode_wsq,
    psnr,
    raster_offset_psnr,
    read_image,
    wsq_info,
)
from granica.biometrics.formats.minutiae import (
    MinutiaeRecord,
    from_template,
    read_minutiae,
    to_template,
    write_minutiae,
)
from granica.biometrics.formats.profile import Deviation, Profile, load_profile, validate
from granica.biometrics.formats.tenprint import (
    FaceImage,
    FingerImage,
    TenPrint,
    TransactionHeader,
    build_transaction,
    read_tenprint,
    tenprint_from_images,
)
from granica.biometrics.formats.type9 import template_to_type9, type9_to_template

__all__ = [
    "BinaryRecord",
    "Deviation",
    "FaceImage",
    "Field",
    "FingerImage",
    "ImageFormatError",
    "MinutiaeFormatError",
    "MinutiaeRecord",
    "NistFormatError",
    "Profile",
    "TaggedRecord",
    "TenPrint",
    "Transaction",
    "TransactionHeader",
    "build_transaction",
    "decode_wsq",
    "encode_image",
    "encode_wsq",
    "from_template",
    "load_profile",
    "psnr",
    "raster_offset_psnr",
    "read_image",
    "read_minutiae",
    "read_tenprint",
    "read_transaction",
    "read_xml",
    "template_to_type9",
    "tenprint_from_images",
    "to_template",
    "to_xml",
    "type9_to_template",
    "validate",
    "write_minutiae",
    "wsq_info",
]
