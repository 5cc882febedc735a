// A tiny stand-in for the gateway on the executor socket (<u32 big-endian length><JSON>
// frames), for the tests that speak the executor protocol directly (docs/ipc.md).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './cluster.mjs';

const runUser = process.env.MCP_SUPA_PG_USER || (process.getuid() === 0 ? 'postgres' : '');

// A frame around a job object, or around raw text or bytes (for malformed jobs).
let jobSeq = 0;

// An execute_sql job as the gateway sends it (docs/ipc.md), run as role with claims; extra
// overrides any member.
export function sqlJob(role, claims, sql, extra = {}) {
  return {
    type: 'job',
    id: String(++jobSeq),
    tool: 'execute_sql',
    kind: 'sql',
    sql,
    params: null,
    analyze: false,
    role,
    claims,
    read_only: false,
    request: { method: 'POST', path: '/mcp', headers: { 'user-agent': 'e2e' } },
    timeout_ms: 30000,
    max_rows: 1000,
    max_bytes: 1048576,
    ...extra,
  };
}

export function encodeFrame(obj) {
  const body = Buffer.isBuffer(obj) ? obj : Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

export class ExecutorConn {
  constructor(sock, gateway) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.hello = null;
    this.waiters = new Map(); // job id -> resolve
    this.closed = false;
    sock.on('data', (d) => this.onData(d, gateway));
    sock.on('close', () => {
      this.closed = true;
      gateway.conns.delete(this);
      for (const resolve of this.waiters.values()) resolve({ closed: true });
      this.waiters.clear();
    });
    sock.on('error', () => {});
  }

  get pid() {
    return this.hello?.pid;
  }

  onData(data, gateway) {
    this.buf = Buffer.concat([this.buf, data]);
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) break;
      // A successful result carries its rows after a NUL byte (docs/ipc.md).
      const payload = this.buf.subarray(4, 4 + len);
      const nul = payload.indexOf(0);
      const msg = JSON.parse(payload.subarray(0, nul < 0 ? payload.length : nul).toString('utf8'));
      if (nul >= 0) msg.rows = JSON.parse(payload.subarray(nul + 1).toString('utf8'));
      this.buf = this.buf.subarray(4 + len);
      if (msg.type === 'hello') {
        this.hello = msg;
        gateway.hellos.push(msg);
      } else if (msg.type === 'result') {
        const resolve = this.waiters.get(msg.id);
        this.waiters.delete(msg.id);
        if (resolve) resolve(msg);
      }
    }
  }

  // Sends one job and waits for its result ({closed: true} if the executor went away). A raw
  // job (text or bytes) names the id its result will carry.
  run(job, timeoutMs = 60000, id = job.id) {
    if (this.closed) return Promise.resolve({ closed: true });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve({ timedOut: true });
      }, timeoutMs);
      this.waiters.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      this.sock.write(encodeFrame(job));
    });
  }
}

export class FakeGateway {
  constructor(dataDir) {
    this.dir = path.join(dataDir, 'mcp_supa');
    this.sockPath = path.join(this.dir, 'executor.sock');
    this.conns = new Set();
    this.hellos = [];
  }

  async start() {
    fs.mkdirSync(this.dir, { mode: 0o700, recursive: true });
    fs.rmSync(this.sockPath, { force: true });
    this.server = net.createServer((sock) => this.conns.add(new ExecutorConn(sock, this)));
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.sockPath, resolve);
    });
    if (runUser) {
      const uid = Number(execFileSync('id', ['-u', runUser], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', runUser], { encoding: 'utf8' }));
      fs.chownSync(this.dir, uid, gid);
      fs.chownSync(this.sockPath, uid, gid);
    }
  }

  ready() {
    return [...this.conns].filter((c) => c.hello && !c.closed);
  }

  // Waits until n executors said hello and returns them, ordered by worker index.
  async executors(n = 2) {
    const got = await waitFor(() => (this.ready().length >= n ? this.ready() : null),
      { timeoutMs: 20000 });
    assert.ok(got, `only ${this.ready().length} of ${n} executors connected`);
    return got.sort((a, b) => a.hello.worker - b.hello.worker);
  }

  stop() {
    for (const c of this.conns) c.sock.destroy();
    this.server?.close();
  }
}

