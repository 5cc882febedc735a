#!/usr/bin/env python3
"""Checks a Kong declarative file for mcp_supa's route: it parses as YAML, keeps the services
it had (ORIGINAL), and has the mcp-supa service to http://db:8432/mcp at /mcp with no
key-auth, no buffering either way, hour-long read/write timeouts and no retries. With
--expanded the file is first expanded the way Supabase's Kong entry point does it
(eval "echo \"$(cat kong.yml)\"" in bash), so the route must survive that too.
  check_kong.py KONG_YML ORIGINAL_KONG_YML [--expanded]"""
import os
import subprocess
import sys

import yaml


def load(path, expanded):
    """The file as Kong would read it."""
    if not expanded:
        return yaml.safe_load(open(path))
    env = dict(os.environ, SUPABASE_ANON_KEY="anon-key-value", SUPABASE_SERVICE_KEY="service-key-value",
               DASHBOARD_USERNAME="supabase", DASHBOARD_PASSWORD="dashboard-password")
    out = subprocess.run(["bash", "-c", 'eval "echo \\"$(cat "$0")\\""', path], env=env,
                         check=True, capture_output=True, text=True).stdout
    return yaml.safe_load(out)


def main():
    path, original, expanded = sys.argv[1], sys.argv[2], "--expanded" in sys.argv
    doc, before = load(path, expanded), load(original, expanded)
    problems = []

    def expect(cond, what):
        if not cond:
            problems.append(what)

    names = [s["name"] for s in doc["services"]]
    expect(names.count("mcp-supa") == 1, f"exactly one mcp-supa service (services: {names})")
    expect([n for n in names if n != "mcp-supa"] == [s["name"] for s in before["services"]],
           "the other services stay, in their order")
    expect({k: v for k, v in doc.items() if k != "services"} == {k: v for k, v in before.items() if k != "services"},
           "consumers, acls and the rest stay as they were")
    svc = next((s for s in doc["services"] if s["name"] == "mcp-supa"), {})
    expect(svc.get("url") == "http://db:8432/mcp", "upstream http://db:8432/mcp")
    expect(svc.get("read_timeout", 0) >= 3600000 and svc.get("write_timeout", 0) >= 3600000,
           "read and write timeouts of at least an hour (SSE, WebSocket)")
    expect(svc.get("retries") == 0, "no retries (a tool call must not run twice)")
    routes = svc.get("routes", [])
    expect(len(routes) == 1 and routes[0].get("paths") == ["/mcp"], "one route at /mcp")
    route = routes[0] if routes else {}
    expect(route.get("strip_path") is True, "strip_path (the upstream URL carries /mcp)")
    expect(route.get("request_buffering") is False and route.get("response_buffering") is False,
           "no request or response buffering (Streamable HTTP, SSE)")
    expect(set(route.get("protocols", [])) == {"http", "https"}, "http and https")
    plugins = [p["name"] for p in svc.get("plugins", [])]
    expect("key-auth" not in plugins and "acl" not in plugins, "no key-auth or acl: mcp_supa authenticates")
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print(f"ok: {path}{' (expanded as Kong does)' if expanded else ''}: route mcp-supa -> {svc['url']} at /mcp, "
          f"{len(names) - 1} other services kept, plugins {plugins}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
