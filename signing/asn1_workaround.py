"""Make asn1crypto read SAT's x500UniqueIdentifier (OID 2.5.4.45).

asn1crypto 1.5.1 maps 2.5.4.45 to a BIT STRING, as X.520 says, but SAT writes the RFC there as a
PrintableString (``AAA010101AAA / HEGT7610034S2``). Any access to ``Name.native``,
``.human_friendly`` or ``.hashable`` of a SAT certificate then raises ``ValueError ... tag should
have been 3, but 19 was found`` -- inside pyHanko and pyhanko-certvalidator too, which build on
asn1crypto. Upstream: https://github.com/wbond/asn1crypto/issues/228 (fixed on master, unreleased).

The workaround reads that attribute as a DirectoryString, which accepts the PrintableString and
UTF8String forms SAT uses. asn1crypto parses lazily and looks the spec up at parse time, so it
must be applied before any certificate's name is read -- ``signing/__init__.py`` applies it on
import, and every process that parses certificates imports ``signing`` first. Remove this module
once a released asn1crypto carries the fix.
"""

from __future__ import annotations

from asn1crypto import x509

_FIELD = "unique_identifier"  # asn1crypto's name for OID 2.5.4.45


def apply() -> None:
    """Override the spec of 2.5.4.45; safe to call any number of times."""
    x509.NameTypeAndValue._oid_specs[_FIELD] = x509.DirectoryString


def is_applied() -> bool:
    return x509.NameTypeAndValue._oid_specs.get(_FIELD) is x509.DirectoryString
