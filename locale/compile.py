"""Compile locale/*/LC_MESSAGES/django.po into .mo with Babel (installed with python-liquid).

``manage.py compilemessages`` needs GNU gettext, which a fresh machine may lack; the compiled
.mo files are committed, so run this only after editing a .po file:

    .venv/bin/python locale/compile.py
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def main() -> None:
    for po_path in sorted(Path(__file__).parent.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        untranslated = [m.id for m in catalog if m.id and not m.string]
        if untranslated:
            print(f"{po_path}: {len(untranslated)} untranslated (English shown)")
        with po_path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)
        print(f"compiled {po_path.with_suffix('.mo')}")


if __name__ == "__main__":
    main()
