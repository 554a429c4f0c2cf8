"""ECG XML files: HL7 aECG, GE MUSE and Philips Sierra/PageWriter, told apart by their root element.

The XML is parsed with ``defusedxml`` (no entity expansion, no external DTDs: a hospital file
is untrusted input), and namespaces are stripped so the readers match local names only.

==================  ======================  ==========================
root element        format                  reader
==================  ======================  ==========================
``AnnotatedECG``    HL7 aECG                :mod:`medts.io.aecg`
``RestingECG``      GE MUSE XML             :mod:`medts.io.muse`
``restingecgdata``  Philips Sierra XML      :mod:`medts.io.philips`
==================  ======================  ==========================
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from medts.errors import ECGReadError
from medts.io.device import read_errors_only
from medts.record import ECG

ROOTS = {"AnnotatedECG": "HL7 aECG", "RestingECG": "GE MUSE XML", "restingecgdata": "Philips Sierra XML"}
_ROOT_TAG = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?(AnnotatedECG|RestingECG|restingecgdata)[\s>/]")
MAX_XML_BYTES = 200 * 1024 * 1024


def parse_xml(path: Path) -> ET.Element:
    """The root element with namespace prefixes removed from tags and attribute names."""
    try:
        size = path.stat().st_size
        if size > MAX_XML_BYTES:
            raise ECGReadError(path, f"XML file is {size / 1e6:.0f} MB; ECG XML files are far smaller")
        data = path.read_bytes()
    except OSError as error:
        raise ECGReadError(path, f"cannot read file: {error.strerror or error}") from error
    try:
        root = SafeET.fromstring(data)
    except ET.ParseError as error:
        raise ECGReadError(path, f"not well-formed XML ({error})") from error
    except LookupError as error:  # <?xml encoding="..."?> names a codec Python does not have
        raise ECGReadError(path, f"XML declares an unknown text encoding ({error})") from error
    except DefusedXmlException as error:
        raise ECGReadError(path, f"XML uses entities or DTDs, refused for safety ({type(error).__name__})") from error
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
        for key in [k for k in element.attrib if "}" in k]:
            element.attrib[key.split("}", 1)[1]] = element.attrib.pop(key)
    return root


def sniff_xml_format(path: Path) -> str | None:
    """The ECG XML format named by the root element in the first 4 KB, else ``None`` (cheap, for folder scans)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    match = _ROOT_TAG.search(head)
    return ROOTS[match.group(1).decode()] if match else None


@read_errors_only
def read_ecg_xml(path: str | Path) -> ECG:
    """Read an HL7 aECG, GE MUSE or Philips XML file (chosen by its root element).

    Raises
    ------
    ECGReadError
        Not XML, unsafe XML, an unknown root element, or any problem of the format's reader.
    """
    path = Path(path)
    root = parse_xml(path)
    if root.tag == "AnnotatedECG":
        from medts.io.aecg import aecg_from_xml

        return aecg_from_xml(root, path)
    if root.tag == "RestingECG":
        from medts.io.muse import muse_from_xml

        return muse_from_xml(root, path)
    if root.tag == "restingecgdata":
        from medts.io.philips import philips_from_xml

        return philips_from_xml(root, path)
    raise ECGReadError(path, f"XML root element <{root.tag}> is not an ECG format medts reads "
                             f"(known: {', '.join(f'<{r}> {n}' for r, n in ROOTS.items())})")


# -- small helpers shared by the XML readers ---------------------------------------------------
def child(element: ET.Element | None, *names: str) -> ET.Element | None:
    """The first element down the path ``names`` (direct children), else ``None``."""
    for name in names:
        if element is None:
            return None
        element = element.find(name)
    return element


def text(element: ET.Element | None, *names: str) -> str | None:
    """Stripped text of ``child(element, *names)``, ``None`` when absent or empty."""
    found = child(element, *names)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def descendants(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every descendant (at any depth) with local name ``name``."""
    return element.iter(name)
