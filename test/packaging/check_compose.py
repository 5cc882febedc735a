#!/usr/bin/env python3
"""Merges Compose files the way `docker compose -f a.yml -f b.yml config` does for the keys
Supabase's file and mcp_supa's overrides use, after interpolating ${VAR} forms from the
folder's .env, validates the result against compose-subset.schema.json (top-level `name:`
included, which Debian's docker-compose 1.29 cannot read), prints the merged db service, and
checks what the override must do to it.
  check_compose.py FOLDER FILE... [--expect-port ADDRESS:PORT]"""
import json
import os
import re
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
VAR = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def read_env(path):
    """The KEY=value lines of a .env file (quotes removed, comments skipped)."""
    env = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def interpolate(value, env):
    """Compose's interpolation: $$, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, $VAR."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m):
        if m.group(1) == "$":
            return "$"
        name = m.group(2) or m.group(5)
        op, arg = m.group(3), m.group(4)
        present = name in env
        val = env.get(name, "")
        if op in (":-", "-"):
            use_default = (not present) or (op == ":-" and val == "")
            return interpolate(arg, env) if use_default else val
        if op in (":?", "?"):
            if (not present) or (op == ":?" and val == ""):
                raise SystemExit(f"interpolation error: {name} is required: {arg}")
            return val
        return val

    return VAR.sub(one, value)


REPLACED = {"command", "entrypoint"}
APPENDED = {"ports", "expose"}


def merge(base, over, key=None):
    """Compose's merge: mappings key by key, command/entrypoint replaced, ports/expose appended."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v, k) if k in base else v
        return out
    if key in APPENDED and isinstance(base, list) and isinstance(over, list):
        return base + [x for x in over if x not in base]
    return over


def main():
    args = sys.argv[1:]
    expect_port = None
    if "--expect-port" in args:
        i = args.index("--expect-port")
        expect_port = args[i + 1]
        del args[i:i + 2]
    folder, files = args[0], args[1:]
    env = read_env(os.path.join(folder, ".env"))
    merged = {}
    for f in files:
        merged = merge(merged, interpolate(yaml.safe_load(open(os.path.join(folder, f))), env))
    schema = json.load(open(os.path.join(HERE, "compose-subset.schema.json")))
    jsonschema.validate(merged, schema)
    db = merged["services"]["db"]
    print("merged db service (" + " + ".join(files) + "):")
    print("  " + yaml.safe_dump({"db": db}, sort_keys=False, width=200).replace("\n", "\n  ").rstrip())
    problems = []

    def expect(cond, what):
        if not cond:
            problems.append(what)

    if len(files) == 1:
        expect("mcp_supa" not in json.dumps(db), "the base file alone must not mention mcp_supa")
    else:
        cmd = db["command"]
        settings = dict(cmd[i + 1].split("=", 1) for i, a in enumerate(cmd) if a == "-c")
        expect(cmd[0] == "postgres", "command must still start postgres")
        expect(settings.get("config_file") == "/etc/postgresql/postgresql.conf", "Supabase's config_file must stay")
        expect(settings.get("log_min_messages") == "fatal", "Supabase's log_min_messages must stay")
        expect("shared_preload_libraries" not in settings, "the command must not replace shared_preload_libraries")
        expect(settings.get("mcp_supa.jwt_secret") == env["JWT_SECRET"], "mcp_supa.jwt_secret must be .env's JWT_SECRET")
        expect(settings.get("mcp_supa.storage_api_key") == env["ANON_KEY"], "mcp_supa.storage_api_key must be .env's ANON_KEY")
        expect(settings.get("mcp_supa.storage_url") == env.get("MCP_SUPA_STORAGE_URL", "http://storage:5000"), "mcp_supa.storage_url")
        expect(settings.get("mcp_supa.public_url") == env.get("MCP_SUPA_PUBLIC_URL", ""), "mcp_supa.public_url must be .env's MCP_SUPA_PUBLIC_URL")
        expect(settings.get("mcp_supa.port") == "8432" and settings.get("mcp_supa.listen_addresses") == "*", "gateway on *:8432 inside the container")
        expect(db["image"] == env["MCP_SUPA_IMAGE"], "db must run MCP_SUPA_IMAGE")
        expect(db["build"]["context"] == env["MCP_SUPA_SRC"] and db["build"]["dockerfile"] == "docker/Dockerfile", "db must build docker/Dockerfile from MCP_SUPA_SRC")
        expect(db["build"]["args"]["SUPABASE_POSTGRES_TAG"] == env["SUPABASE_POSTGRES_TAG"], "the build must use Supabase's pinned tag")
        expect(any("/etc/postgresql-custom" in v for v in db["volumes"]), "Supabase's db-config volume must stay")
        expect(db["healthcheck"]["test"][1] == "pg_isready", "Supabase's healthcheck must stay")
        expect(db["environment"]["JWT_SECRET"] == env["JWT_SECRET"], "Supabase's environment must stay")
        if expect_port:
            expect(db.get("ports") == [f"{expect_port}:8432"], f"db must publish {expect_port}:8432, has {db.get('ports')}")
        else:
            expect("ports" not in db, "db must not publish a port unless asked")
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("ok: valid against compose-subset.schema.json, and the db service is as it must be")
    return 0


if __name__ == "__main__":
    sys.exit(main())
