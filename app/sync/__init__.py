"""Sync between a stronghold's computers and headquarters (ARCHITECTURE.md, "Sync").

One protocol, two transports: a bundle of changes travels on a USB stick (a file) or in
an HTTP request body. The pieces, each in its own module:

- ``capture``: SQL triggers that append every write to the change log, in the same
  transaction, with a hybrid logical clock stamp (``hlc``);
- ``catalog``: which tables and columns replicate, and the rules HQ enforces on them;
- ``merge``: per-field last-writer-wins, with conflict records for the loser;
- ``crypto`` and ``bundle``: signed (Ed25519) and sealed (X25519) bundles;
- ``device``: enrolment, export and import on a stronghold's computer;
- ``service``, ``conflicts``, ``client``, ``scheduler``: what the window and the CLI call.
"""
