// A real PostgreSQL 15 cluster for end-to-end tests: initdb in a temp folder, run as an
// unprivileged user (PostgreSQL refuses root), the Supabase fixture loaded, the extension
// preloaded. stop() removes everything it started, and an exit hook does so on a crash.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
const fixtureDir = path.join(repoRoot, 'scripts', 'supabase');

const bindir =
  process.env.MCP_SUPA_PG_BINDIR ||
  execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();

// The OS user that runs PostgreSQL: ourselves, unless we are root.
const runUser = process.env.MCP_SUPA_PG_USER || (process.getuid() === 0 ? 'postgres' : '');

const live = new Set();
process.on('exit', () => {
  for (const c of live) c.stopSync('immediate');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const c of live) c.stopSync('immediate');
    process.exit(1);
  });
}

// Runs a PostgreSQL program as the cluster's user.
function runAs(bin, args, opts = {}) {
  const file = path.join(bindir, bin);
  const [cmd, argv] = runUser ? ['runuser', ['-u', runUser, '--', file, ...args]] : [file, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: '/tmp', ...opts });
  if (r.status !== 0 && !opts.allowFailure) {
    throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return r;
}

// True when nothing listens on 127.0.0.1:port.
function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// A free loopback port below 32768 (above it Linux hands out ephemeral ports).
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port found');
}

export function randomSecret() {
  return Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('hex');
}

export class Cluster {
  constructor({ preload = true, fixture = true, conf = {}, beforeStart = null } = {}) {
    this.preload = preload;
    this.beforeStart = beforeStart; // called with the cluster after initdb, before it starts
    this.fixture = fixture;
    this.extraConf = conf;
    this.jwtSecret = randomSecret();
  }

  async start() {
    this.pgPort = await freePort();
    this.mcpPort = await freePort();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp_supa_e2e-'));
    if (runUser) {
      const uid = Number(execFileSync('id', ['-u', runUser], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', runUser], { encoding: 'utf8' }));
      fs.chownSync(this.dir, uid, gid);
    }
    this.dataDir = path.join(this.dir, 'data');
    this.logFile = path.join(this.dir, 'postgres.log');
    live.add(this);
    runAs('initdb', ['-D', this.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8',
      '--locale=C', '--no-sync']);
    const conf = {
      port: this.pgPort,
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${this.dir}'`,
      fsync: 'off',
      log_line_prefix: "'%m [%p] %b '",
      ...(this.preload
        ? {
            shared_preload_libraries: "'mcp_supa'",
            'mcp_supa.listen_addresses': "'127.0.0.1'",
            'mcp_supa.port': this.mcpPort,
            'mcp_supa.jwt_secret': `'${this.jwtSecret}'`,
          }
        : {}),
      ...this.extraConf,
    };
    const lines = Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n');
    fs.appendFileSync(path.join(this.dataDir, 'postgresql.conf'), `\n${lines}\n`);
    if (this.beforeStart) this.beforeStart(this);
    runAs('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', 'start']);
    if (this.fixture) {
      for (const f of fs.readdirSync(fixtureDir).filter((n) => n.endsWith('.sql')).sort()) {
        if (!this.preload && f === '10_demo.sql') continue;
        this.psqlFile(path.join(fixtureDir, f));
      }
    }
    return this;
  }

  get mcpUrl() {
    return `http://127.0.0.1:${this.mcpPort}`;
  }

  psqlFile(file) {
    const r = spawnSync(path.join(bindir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1',
      '-h', '127.0.0.1', '-p', String(this.pgPort), '-U', 'postgres', '-d', 'postgres', '-f', file],
    { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql -f ${file} failed: ${r.stderr}`);
  }

  // A new client connection as the superuser (close it yourself).
  async connect(opts = {}) {
    const c = new pg.Client({ host: '127.0.0.1', port: this.pgPort, user: 'postgres',
      database: 'postgres', ...opts });
    await c.connect();
    return c;
  }

  // One query on a throwaway connection.
  async query(sql, params = []) {
    const c = await this.connect();
    try {
      return await c.query(sql, params);
    } finally {
      await c.end();
    }
  }

  log() {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async supervisorPid() {
    for (let i = 0; i < 100; i++) {
      const r = await this.query(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'mcp_supa supervisor'");
      if (r.rows.length) return r.rows[0].pid;
      await sleep(100);
    }
    throw new Error('the mcp_supa supervisor did not start');
  }

  // PIDs of the supervisor's children (the gateway).
  async gatewayPids() {
    const sup = await this.supervisorPid();
    const r = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(sup)], { encoding: 'utf8' });
    return r.stdout.split('\n').map((l) => l.trim().split(/\s+/))
      .filter(([, comm]) => comm === 'mcp_supa_gatewa' || comm === 'mcp_supa_gateway')
      .map(([pid]) => Number(pid));
  }

  async gatewayPid() {
    const pids = await this.gatewayPids();
    return pids.length === 1 ? pids[0] : null;
  }

  async reload() {
    await this.query('SELECT pg_reload_conf()');
  }

  stopSync(mode = 'fast') {
    if (!live.has(this)) return;
    live.delete(this);
    runAs('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop'], {
      allowFailure: true,
    });
    if (!process.env.MCP_SUPA_KEEP_CLUSTERS) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async stop() {
    this.stopSync('fast');
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Polls fn until it returns a truthy value or the time runs out; returns that value or null.
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() >= deadline) return null;
    await sleep(intervalMs);
  }
}

export async function startCluster(opts) {
  return new Cluster(opts).start();
}

// The version the control file declares.
export function controlVersion() {
  const text = fs.readFileSync(path.join(repoRoot, 'mcp_supa.control'), 'utf8');
  return /default_version\s*=\s*'([^']+)'/.exec(text)[1];
}
