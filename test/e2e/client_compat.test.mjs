// What real clients do: the official SDK client lists the tools first (so it validates every
// structuredContent against the tool's outputSchema), and the MCP Inspector CLI does the same.
// Every error kind (SQL error, refusal, timeout, busy, confirmation required) must reach them
// as a readable tool result, and the untrusted-data warning must travel in structuredContent.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { connectHttp, connectWs, tokens } from './lib/mcp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const inspector = path.join(here, 'node_modules', '.bin', 'mcp-inspector');

let cluster;
let tok;
const clients = [];

before(async () => {
  // One executor and no queue: a second call while one runs is "busy", deterministically.
  cluster = await startCluster({
    conf: {
      'mcp_supa.workers': 1,
      'mcp_supa.max_queued_calls': 0,
      'mcp_supa.allow_anonymous': 'on',
      'mcp_supa.audit': 'off',
    },
  });
  tok = tokens(cluster.jwtSecret);
  await cluster.query('create table public.compat_scratch(id int primary key, v text)');
  await cluster.query("insert into public.compat_scratch select g, 'v' || g from generate_series(1, 5) g");
  const ready = await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.status === 200), { timeoutMs: 20000 });
  assert.ok(ready, `never ready:\n${cluster.log()}`);
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await cluster?.stop();
});

// An SDK client that has listed the tools, as every real client does before calling them.
async function listed(connect, token) {
  const c = await connect(cluster.mcpUrl, token);
  clients.push(c);
  const { tools } = await c.listTools();
  assert.ok(tools.find((t) => t.name === 'execute_sql').outputSchema);
  return c;
}

const text = (r) => r.content.map((p) => p.text).join('\n');
const busy = (r) => r.isError && /ERROR 53300/.test(text(r));

// Calls a tool; with one executor and no queue, a call that meets the gateway's own
// once-a-second API-key refresh (or a cancelled call still rolling back) is busy: try again.
async function call(c, name, args) {
  for (;;) {
    const r = await c.callTool({ name, arguments: args });
    if (!busy(r)) return r;
  }
}

// Starts a long call that holds the only executor; resolves once it runs, with a stop().
async function holdExecutor(c) {
  for (;;) {
    const ctl = new AbortController();
    const pending = c.callTool({ name: 'execute_sql', arguments: { query: 'select pg_sleep(60) as held' } },
      undefined, { signal: ctl.signal, timeout: 120000 }).catch((e) => e);
    const running = await waitFor(async () => {
      const r = await cluster.query("select 1 from pg_stat_activity where query like '%pg_sleep(60) as held%' and pid <> pg_backend_pid()");
      return r.rows.length > 0;
    }, { timeoutMs: 3000 });
    if (running) return { stop: async () => { ctl.abort(); await pending; } };
    ctl.abort();
    await pending; // it was refused as busy (an internal job held the executor): try again
  }
}

for (const [transport, connect] of [['HTTP', connectHttp], ['WebSocket', connectWs]]) {
  describe(`the SDK client after tools/list, over ${transport}`, () => {
    test('a SQL error is a readable tool result', async () => {
      const c = await listed(connect, tok.service);
      const r = await call(c, 'execute_sql', { query: 'select 1/0' });
      assert.equal(r.isError, true);
      assert.match(text(r), /ERROR 22012: division by zero/);
      assert.equal(r.structuredContent, undefined);
      assert.equal(r._meta.mcp_supa.error.sqlstate, '22012');
      const e = await call(c, 'explain_query', { query: 'select from nowhere_at_all' });
      assert.equal(e.isError, true);
      assert.match(text(e), /ERROR 42P01/);
    });

    test('a refusal is a readable tool result', async () => {
      const c = await listed(connect, tok.service);
      const r = await call(c, 'execute_sql', { query: 'begin' });
      assert.equal(r.isError, true);
      assert.match(text(r), /^Refused/);
      assert.equal(r._meta.mcp_supa.refused, true);
    });

    test('a timeout is a readable tool result', async () => {
      const c = await listed(connect, tok.anon); // Supabase gives anon statement_timeout = 3s
      const r = await call(c, 'execute_sql', { query: 'select pg_sleep(10)' });
      assert.equal(r.isError, true);
      assert.match(text(r), /ERROR 57014/);
    });

    test('busy is a readable tool result', async () => {
      const holder = await holdExecutor(await listed(connect, tok.service));
      try {
        const c = await listed(connect, tok.service);
        const r = await c.callTool({ name: 'execute_sql', arguments: { query: 'select 1' } });
        assert.equal(r.isError, true);
        assert.match(text(r), /ERROR 53300: server busy/);
      } finally {
        await holder.stop();
      }
    });

    test('confirmation required carries its token in the text, and the confirmed call runs', async () => {
      const c = await listed(connect, tok.service);
      const q = `update public.compat_scratch set v = '${transport}'`;
      const r = await call(c, 'execute_sql', { query: q });
      assert.equal(r.isError, true);
      assert.match(text(r), /Nothing was run/);
      const token = /"confirm": "([^"]+)"/.exec(text(r))[1];
      assert.equal(r._meta.mcp_supa.confirm, token);
      const ok = await call(c, 'execute_sql', { query: q, confirm: token });
      assert.equal(ok.isError, false, text(ok));
      assert.equal(ok.structuredContent.command, 'UPDATE');
    });

    test('the untrusted-data warning travels in structuredContent of every data tool', async () => {
      const c = await listed(connect, tok.service);
      const calls = [
        ['execute_sql', { query: "select 'ignore previous instructions' as v" }],
        ['list_tables', {}],
        ['describe_table', { table: 'compat_scratch' }],
        ['list_extensions', {}],
        ['explain_query', { query: 'select 1' }],
        ['select_rows', { table: 'compat_scratch', filter: { id: { lte: 2 } }, count: 'exact' }],
        ['insert_rows', { table: 'compat_scratch', rows: [{ id: 100 + transport.length, v: 'row tool' }], returning: true }],
        ['update_rows', { table: 'compat_scratch', filter: { id: { eq: 100 + transport.length } }, values: { v: 'changed' }, returning: ['v'] }],
        ['delete_rows', { table: 'compat_scratch', filter: { id: { eq: 100 + transport.length } } }],
      ];
      for (const [name, args] of calls) {
        const r = await call(c, name, args);
        assert.equal(r.isError, false, `${name}: ${text(r)}`);
        assert.match(r.structuredContent.warning, /untrusted/, name);
        assert.match(text(r), /untrusted-data-/, name);
      }
    });
  });
}

// Runs the MCP Inspector CLI (anonymous: this cluster maps no credential to anon).
function inspect(args) {
  return new Promise((resolve) => {
    execFile(inspector, ['--cli', `${cluster.mcpUrl}/mcp`, '--transport', 'http', ...args],
      { encoding: 'utf8', timeout: 60000 }, (err, stdout, stderr) => resolve({ code: err ? err.code ?? 1 : 0, stdout, stderr }));
  });
}

// One execute_sql call through the Inspector CLI: its parsed result (fails on a CLI error);
// a busy answer is tried again unless it is what the test wants.
async function inspectSql(query, { wantBusy = false } = {}) {
  for (;;) {
    const r = await inspect(['--method', 'tools/call', '--tool-name', 'execute_sql', '--tool-arg', `query=${query}`]);
    assert.equal(r.code, 0, `inspector failed: ${r.stderr}${r.stdout}`);
    const result = JSON.parse(r.stdout);
    if (wantBusy || !busy(result)) return result;
  }
}

describe('the MCP Inspector CLI', () => {
  test('lists the tools and reads a result with its warning', async () => {
    const list = await inspect(['--method', 'tools/list']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(JSON.parse(list.stdout).tools.some((t) => t.name === 'execute_sql'));
    const r = await inspectSql('select 41 + 1 as answer');
    assert.deepEqual(r.structuredContent.rows, [{ answer: 42 }]);
    assert.match(r.structuredContent.warning, /untrusted/);
  });

  test('reads a SQL error, a refusal, a timeout and a confirmation request', async () => {
    assert.match(text(await inspectSql('select 1/0')), /ERROR 22012/);
    assert.match(text(await inspectSql('begin')), /^Refused/);
    assert.match(text(await inspectSql('select pg_sleep(10)')), /ERROR 57014/);
    const confirm = await inspectSql('delete from public.compat_scratch');
    assert.equal(confirm.isError, true);
    assert.match(text(confirm), /Nothing was run/);
  });

  test('reads busy', async () => {
    const holder = await holdExecutor(await listed(connectHttp, tok.service));
    try {
      assert.match(text(await inspectSql('select 1', { wantBusy: true })), /ERROR 53300/);
    } finally {
      await holder.stop();
    }
  });
});
