"""``<runtime>/hook.py --self-test``: what ``setup`` must know about a Python before it writes
a block that runs the connect path with it (sshsetup.interpreter judges the answer).

Compiles the copy for this interpreter (so that every ssh loads cached bytecode), imports
every module of it, and looks for the CA certificates ssl verifies Baseten's proxy with.
Prints one JSON object on stdout; exits 0 whatever it found.
"""

from __future__ import annotations

import compileall
import importlib
import json
import os
import ssl
import sys


def main(copy: str) -> int:
    compileall.compile_dir(copy, quiet=2)
    package = os.path.join(copy, "sshsetup")
    import_errors = []
    for directory, subdirectories, files in os.walk(package):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            relative = os.path.relpath(os.path.join(directory, name[:-3]), copy)
            module = relative.replace(os.sep, ".").removesuffix(".__init__")
            try:
                importlib.import_module(module)
            except Exception as exc:
                import_errors.append(f"{module}: {type(exc).__name__}: {exc}")
    paths = ssl.get_default_verify_paths()
    capath = paths.capath
    capath_entries = len(os.listdir(capath)) if capath and os.path.isdir(capath) else 0
    sys.stdout.write(
        json.dumps(
            {
                "executable": sys.executable,
                "version": list(sys.version_info[:3]),
                "import_errors": import_errors,
                "ca_certificates": ssl.create_default_context().cert_store_stats()["x509_ca"],
                "cafile": paths.cafile,
                "capath": capath,
                "capath_entries": capath_entries,
                "openssl": ssl.OPENSSL_VERSION,
            }
        )
        + "\n"
    )
    return 0
