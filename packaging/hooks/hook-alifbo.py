"""PyInstaller hook for alifbo (Uzbek Latin/Cyrillic transliteration, used by app/search).

alifbo reads its rule tables (``alifbo/data/*.json``) with pathlib at import time, so they
must be shipped as files next to the package; PyInstaller collects only code by default.
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("alifbo")
