#!/usr/bin/env python3
"""Validates MCP client configurations against the shape each client documents
(client-shapes.json): the templates in docs/clients/, or JSON read from a file per client.
  check_clients.py templates DOCS_CLIENTS_DIR
  check_clients.py outputs DIR            (DIR/<client>.json, e.g. from mcp_supa.client_config)
  check_clients.py cross DOCS_CLIENTS_DIR (each template must FAIL every other client's shape)
Prints one line per configuration; exits 1 if any is wrong."""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = json.load(open(os.path.join(HERE, "client-shapes.json")))
CLIENTS = [k for k in SHAPES if k not in ("$comment", "definitions")]


def schema_of(client):
    """The client's schema with the shared definitions attached."""
    return dict(SHAPES[client]["schema"], definitions=SHAPES["definitions"])


def errors(doc, client):
    """The validation errors of doc against client's shape, as text."""
    return [e.message for e in jsonschema.Draft7Validator(schema_of(client)).iter_errors(doc)]


def main():
    mode, folder = sys.argv[1], sys.argv[2]
    bad = 0
    for client in CLIENTS:
        name = SHAPES[client]["file"] if mode in ("templates", "cross") else client + ".json"
        doc = json.load(open(os.path.join(folder, name)))
        if mode == "cross":
            for other in CLIENTS:
                if other != client and not errors(doc, other):
                    print(f"FAILED {name} also passes as {other}: the shapes do not tell clients apart")
                    bad += 1
            continue
        errs = errors(doc, client)
        print(("ok     " if not errs else "FAILED ") + f"{client}: {name}" + ("" if not errs else ": " + "; ".join(errs)))
        bad += bool(errs)
    if mode == "cross" and not bad:
        print(f"ok     each of the {len(CLIENTS)} templates fails every other client's shape")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
