"""Travel documents: ICAO Doc 9303 machine-readable zones (parse, validate, correct, generate) and MRZ names."""

from granica.documents.checkdigit import check_digit
from granica.documents.generate import generate_mrz
from granica.documents.mrz import DOCUMENT_TYPES, MrzResult, parse_mrz
from granica.documents.names import mrz_name_variants, transliterate, transliteration_variants

__all__ = [
    "DOCUMENT_TYPES",
    "MrzResult",
    "check_digit",
    "generate_mrz",
    "mrz_name_variants",
    "parse_mrz",
    "transliterate",
    "transliteration_variants",
]
