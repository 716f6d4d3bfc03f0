"""Headquarters: the district office's side of sync (ARCHITECTURE.md, "Headquarters").

``db`` holds HQ's tables and engine, ``keys`` its key pair, ``admin`` the commands an
administrator runs, ``ingest`` what happens to a device's bundle, ``server`` the FastAPI
service that carries bundles over HTTP, ``report`` the district summary.
"""
