"""PyInstaller hook for fastapi_offline (HQ's API pages without a CDN, app/hq/server.py).

The Swagger UI and ReDoc scripts it serves are files in ``fastapi_offline/static``, which
the service mounts when it starts (a missing folder stops `tayanch hq serve`);
PyInstaller collects only code by default.
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("fastapi_offline")
