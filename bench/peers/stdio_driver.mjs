#!/usr/bin/env node
// Closed-loop load driver for peer MCP servers, with the output of bench/mcp_loadgen.
//
// stdio: C concurrent clients, each with its own server process (the command after `--`),
// each sending one request, waiting for its answer, and sending the next.
//   node stdio_driver.mjs --concurrency 8 --duration 10 --warmup 2 \
//     --method tools/call --params '{"name":"query","arguments":{"sql":"SELECT ... = {{rand}}"}}' \
//     --rand-max 100000 --json --label peer -- node server.js postgresql://...
// http: C concurrent Streamable HTTP clients of one server (for a peer that mcp_loadgen cannot
// drive): --transport http --url http://127.0.0.1:PORT/mcp [--token JWT].
//
// --json prints one line:
// {"label","transport","concurrency","duration_s","calls","calls_per_sec","p50_ms","p95_ms",
//  "p99_ms","mean_ms","errors","tool_errors","bytes_in","bytes_out"}
// bytes_in/bytes_out count the JSON-RPC messages as serialized (stdio framing adds one
// newline each; HTTP headers are not counted).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  EmptyResultSchema,
  ListToolsResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

function usage(msg) {
  if (msg) console.error(`stdio_driver: ${msg}`);
  console.error(
    'usage: stdio_driver.mjs [--transport stdio|http] [--url URL] [--token JWT] [--concurrency C]\n' +
      '  [--duration SEC] [--warmup SEC] [--method tools/call|tools/list|ping] [--params JSON]\n' +
      '  [--rand-max N] [--json] [--label NAME] [-- server command and arguments (stdio)]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    transport: 'stdio',
    url: '',
    token: '',
    concurrency: 1,
    duration: 10,
    warmup: 2,
    method: 'tools/call',
    params: '',
    randMax: 0,
    json: false,
    label: '',
    command: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--':
        o.command = argv.slice(i + 1);
        i = argv.length;
        break;
      case '--transport': o.transport = next(); break;
      case '--url': o.url = next(); break;
      case '--token': o.token = next(); break;
      case '--concurrency': o.concurrency = Number(next()); break;
      case '--duration': o.duration = Number(next()); break;
      case '--warmup': o.warmup = Number(next()); break;
      case '--method': o.method = next(); break;
      case '--params': o.params = next(); break;
      case '--rand-max': o.randMax = Number(next()); break;
      case '--json': o.json = true; break;
      case '--label': o.label = next(); break;
      case '-h':
      case '--help': usage();
      // falls through (usage exits)
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!['stdio', 'http'].includes(o.transport)) usage('--transport is stdio or http');
  if (o.transport === 'stdio' && o.command.length === 0) usage('stdio needs a server command after --');
  if (o.transport === 'http' && !o.url) usage('http needs --url');
  if (!(o.concurrency >= 1) || !(o.duration > 0) || !(o.warmup >= 0)) usage('bad number');
  if (!['tools/call', 'tools/list', 'ping'].includes(o.method)) usage('bad --method');
  if (o.params.includes('{{rand}}') && !(o.randMax >= 1)) usage('{{rand}} needs --rand-max');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const schemas = {
  'tools/call': CallToolResultSchema,
  'tools/list': ListToolsResultSchema,
  ping: EmptyResultSchema,
};

// The request's params, with each {{rand}} replaced by a random 1..N (one value per call).
function makeParams() {
  if (!opts.params) return undefined;
  if (!opts.randMax) return JSON.parse(opts.params);
  const r = String(1 + Math.floor(Math.random() * opts.randMax));
  return JSON.parse(opts.params.replaceAll('{{rand}}', r));
}

const stats = { bytesIn: 0, bytesOut: 0 };

// Counts the bytes of every JSON-RPC message the transport sends and receives.
function countBytes(transport) {
  const send = transport.send.bind(transport);
  transport.send = (msg, o) => {
    stats.bytesOut += Buffer.byteLength(JSON.stringify(msg)) + 1;
    return send(msg, o);
  };
  let handler = null;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => handler,
    set: (h) => {
      handler = h
        ? (msg, extra) => {
            stats.bytesIn += Buffer.byteLength(JSON.stringify(msg)) + 1;
            return h(msg, extra);
          }
        : h;
    },
  });
  return transport;
}

async function connectOne() {
  let transport;
  if (opts.transport === 'stdio') {
    transport = new StdioClientTransport({
      command: opts.command[0],
      args: opts.command.slice(1),
      stderr: 'ignore',
      env: { ...process.env },
    });
  } else {
    const headers = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
    transport = new StreamableHTTPClientTransport(new URL(opts.url), { requestInit: { headers } });
  }
  const client = new Client({ name: 'mcp_supa-bench', version: '0.1.0' }, { capabilities: {} });
  await client.connect(countBytes(transport));
  return client;
}

async function main() {
  const clients = await Promise.all(Array.from({ length: opts.concurrency }, connectOne));
  const latencies = [];
  let errors = 0;
  let toolErrors = 0;
  const t0 = performance.now();
  const measureFrom = t0 + opts.warmup * 1000;
  const end = measureFrom + opts.duration * 1000;
  let bytesAtStart = null;

  async function loop(client) {
    for (;;) {
      const start = performance.now();
      if (start >= end) return;
      if (start >= measureFrom && bytesAtStart === null) bytesAtStart = { ...stats };
      let failed = false;
      let toolError = false;
      try {
        const r = await client.request(
          { method: opts.method, params: makeParams() },
          schemas[opts.method],
          { timeout: 60000 },
        );
        toolError = opts.method === 'tools/call' && r.isError === true;
      } catch {
        failed = true;
      }
      const done = performance.now();
      if (start < measureFrom || done > end) continue; // warmup, or past the window
      if (failed) errors++;
      else {
        if (toolError) toolErrors++;
        latencies.push(done - start);
      }
    }
  }
  await Promise.all(clients.map(loop));
  const measured = Math.min(performance.now(), end) - measureFrom;
  const from = bytesAtStart ?? stats;

  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : 0;
  const mean = latencies.length ? latencies.reduce((s, x) => s + x, 0) / latencies.length : 0;
  const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  const out = {
    label: opts.label,
    transport: opts.transport,
    concurrency: opts.concurrency,
    duration_s: round(measured / 1000),
    calls: latencies.length,
    calls_per_sec: round(latencies.length / (measured / 1000), 1),
    p50_ms: round(pct(0.5)),
    p95_ms: round(pct(0.95)),
    p99_ms: round(pct(0.99)),
    mean_ms: round(mean),
    errors,
    tool_errors: toolErrors,
    bytes_in: stats.bytesIn - from.bytesIn,
    bytes_out: stats.bytesOut - from.bytesOut,
  };
  await Promise.allSettled(clients.map((c) => c.close()));
  if (opts.json) console.log(JSON.stringify(out));
  else {
    console.log(
      `${out.label || opts.transport}: C=${out.concurrency} ${out.calls} calls in ${out.duration_s} s = ` +
        `${out.calls_per_sec}/s  p50 ${out.p50_ms} ms  p95 ${out.p95_ms} ms  p99 ${out.p99_ms} ms  ` +
        `errors ${out.errors}  tool errors ${out.tool_errors}`,
    );
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(`stdio_driver: ${e?.message ?? e}`);
  process.exit(1);
});
