// Executor safety (issue 12): what a caller's ordinary SQL must not achieve. The test process
// plays the gateway on the executor socket (lib/fake_gateway.mjs), as executor.test.mjs does.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { FakeGateway, sqlJob } from './lib/fake_gateway.mjs';

const WORKERS = 2;
const ALICE = '11111111-1111-1111-1111-111111111111';

const claimsOf = {
  alice: { sub: ALICE, role: 'authenticated', email: 'alice@example.com', tenant: 'acme' },
  anon: { role: 'anon' },
  service: { role: 'service_role' },
};
const roleOf = { alice: 'authenticated', anon: 'anon', service: 'service_role' };

function job(who, sql, extra = {}) {
  return sqlJob(roleOf[who], claimsOf[who], sql, extra);
}

let cluster;
let gw;
let ex;

// Runs a job on executor i and returns its result message.
async function run(who, sql, extra = {}, i = 0, waitMs = 60000) {
  const r = await ex[i].run(job(who, sql, extra), waitMs);
  assert.ok(!r.closed && !r.timedOut, `executor ${i}: no result (${JSON.stringify(r)})`);
  return r;
}

function failed(r, sqlstate) {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 500)}`);
  if (sqlstate) assert.equal(r.error.sqlstate, sqlstate, JSON.stringify(r.error));
  return r.error;
}

function ok(r) {
  assert.equal(r.ok, true, `job failed: ${JSON.stringify(r.error)}`);
  return r;
}

async function victims() {
  const { rows } = await cluster.query('SELECT count(*) AS n FROM scratch.victims');
  return Number(rows[0].n);
}

// The executor's peak resident memory in kB (VmHWM).
function peakKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]);
}

before(async () => {
  cluster = await startCluster({
    conf: { 'mcp_supa.listen_addresses': "'192.0.2.1'", 'mcp_supa.workers': WORKERS },
  });
  await cluster.query(`
    CREATE SCHEMA scratch;
    GRANT USAGE ON SCHEMA scratch TO anon, authenticated, service_role;
    CREATE TABLE scratch.victims (id int);
    INSERT INTO scratch.victims SELECT generate_series(1, 5);
    GRANT ALL ON scratch.victims TO anon, authenticated, service_role;
    CREATE TABLE scratch.tenant_rows (tenant text, secret text);
    INSERT INTO scratch.tenant_rows VALUES ('acme', 'acme secret'), ('globex', 'globex secret');
    ALTER TABLE scratch.tenant_rows ENABLE ROW LEVEL SECURITY;
    CREATE POLICY by_tenant ON scratch.tenant_rows FOR SELECT
      USING (tenant = current_setting('request.jwt.claim.tenant', true)
          OR tenant = current_setting('request.jwt.claims', true)::jsonb ->> 'tenant');
    GRANT SELECT ON scratch.tenant_rows TO authenticated, anon;
    CREATE FUNCTION scratch.stubborn() RETURNS int LANGUAGE plpgsql AS $$
      BEGIN
        LOOP
          BEGIN
            PERFORM pg_sleep(5);
          EXCEPTION WHEN query_canceled THEN NULL;
          END;
        END LOOP;
      END $$;
    GRANT EXECUTE ON FUNCTION scratch.stubborn() TO anon, authenticated, service_role;
    CREATE FUNCTION scratch.forge(n text, v text) RETURNS text LANGUAGE plpgsql AS $$
      BEGIN RETURN set_config(n, v, true); END $$;
  `);
  gw = new FakeGateway(cluster.dataDir);
  await gw.start();
  ex = await gw.executors(WORKERS);
});

after(async () => {
  gw?.stop();
  await cluster?.stop();
});

// ---- 1. what runs is what was classified -------------------------------------------------

test('standard_conforming_strings cannot smuggle a statement past the classifier', async () => {
  const tail = "select 'a\\' as x , $$'; delete from scratch.victims; --$$";
  for (const head of ['set standard_conforming_strings = off;',
    "select set_config('standard_conforming_strings', 'off', false);"]) {
    const sql = `${head} ${tail}`;
    const { rows: cls } = await cluster.query('SELECT class FROM mcp_supa.classify($1)', [sql]);
    assert.deepEqual(cls.map((c) => c.class), [head.startsWith('set') ? 'set' : 'select', 'select']);
    const r = await run('service', sql, { allowed_statements: 'select,set', confirm_destructive: true });
    assert.equal(await victims(), 5, `a hidden DELETE ran: ${JSON.stringify(r).slice(0, 300)}`);
    ok(r);
    assert.equal(r.command, 'SELECT');
    assert.deepEqual(Object.values(r.rows[0]), ['a\\', "'; delete from scratch.victims; --"]);
  }
});

test('several statements still see what the earlier ones did', async () => {
  const r = ok(await run('service',
    "SET search_path = scratch; INSERT INTO victims VALUES (100); SELECT count(*) AS n FROM victims; DELETE FROM victims WHERE id = 100 RETURNING id"));
  assert.equal(r.statements, 4);
  assert.equal(r.command, 'DELETE');
  assert.deepEqual(r.rows, [{ id: 100 }]);
  assert.equal(await victims(), 5);
  const e = failed(await run('service', 'SELECT 1; SELECT nosuchcol FROM scratch.victims'), '42703');
  assert.equal(e.position, 18);
});

// ---- 2. a timeout or cancel that plpgsql catches ends the executor -----------------------

test('a call that catches its own cancel is ended by terminating its executor', async () => {
  const old = ex[1].pid;
  const r = await ex[1].run(job('service', 'SELECT scratch.stubborn()', { timeout_ms: 1000 }), 30000);
  assert.ok(!r.timedOut, 'the call outlived its timeout and the grace');
  assert.ok(!r.closed, 'the executor died without a word');
  const e = failed(r, '57014');
  assert.match(e.message, /executor was terminated/);
  const fresh = await waitFor(() => {
    const now = gw.ready();
    return now.length === WORKERS && !now.some((c) => c.pid === old) ? now : null;
  }, { timeoutMs: 20000 });
  assert.ok(fresh, 'the executor was not replaced');
  ex = fresh.sort((a, b) => a.hello.worker - b.hello.worker);
  ok(await run('anon', 'SELECT 1', {}, 1));
});

// ---- 3. memory stays bounded ---------------------------------------------------------------

test('large results neither pile up in earlier statements nor past the byte cap', async () => {
  const pid = ex[0].pid;
  const before = peakKb(pid);
  const r = ok(await run('service',
    "select repeat('x', 1000000) from generate_series(1, 300); select repeat('y', 1000000) AS big from generate_series(1, 300)"));
  const grown = peakKb(pid) - before;
  assert.ok(grown < 100 * 1024, `the executor grew by ${Math.round(grown / 1024)} MB`);
  assert.equal(r.truncated, true);
  assert.ok(r.rows.length <= 1);
});

test('a caller cannot raise work_mem past mcp_supa.max_work_mem', async () => {
  failed(await run('anon', "SET work_mem = '8GB'; SELECT 1"));
  failed(await run('anon', "SELECT set_config('maintenance_work_mem', '8GB', true)"));
  ok(await run('anon', "SET work_mem = '8MB'; SELECT current_setting('work_mem') AS w"));
});

// ---- 7. no request.jwt.* name changes during a job ------------------------------------------

test('a custom request.jwt.claim.* cannot be forged, by set_config or from plpgsql', async () => {
  const mine = ok(await run('alice', 'SELECT secret FROM scratch.tenant_rows'));
  assert.deepEqual(mine.rows, [{ secret: 'acme secret' }]);
  for (const sql of [
    "select set_config('request.jwt.claim.tenant', 'globex', true); select secret from scratch.tenant_rows",
    "select scratch.forge('request.jwt.claim.tenant', 'globex'); select secret from scratch.tenant_rows",
    "select set_config('Request.JWT.Claim.Tenant', 'globex', false); select secret from scratch.tenant_rows",
  ]) {
    const r = await run('alice', sql);
    assert.ok(!r.ok || !r.rows.some((x) => x.secret === 'globex secret'), `forged: ${sql}`);
    failed(r, '42501');
  }
});

test('set_config() of a request.jwt.* name is refused before its own query can read it', async () => {
  // Checked only when the query ended, the forged claim would steer a condition inside the
  // query first: a division by zero would then tell whether the other tenant has rows.
  for (const sql of [
    "select case when (select count(*) from scratch.tenant_rows where tenant = 'globex') > 0 then 1/0 else 1 end " +
      "from (select set_config('request.jwt.claim.tenant', 'globex', true)) s",
    "select set_config('REQUEST.JWT.CLAIMS', '{\"tenant\":\"globex\"}', true), " +
      '(select count(*) from scratch.tenant_rows)',
    "select scratch.forge('request.jwt.claim.tenant', 'globex')",
  ]) {
    const err = failed(await run('alice', sql), '42501');
    assert.match(err.message, /set_config/, sql);
  }
  ok(await run('alice', "select set_config('search_path', 'public, extensions', true) as p"));
});

// ---- 8. destructive statements inside WITH, MERGE and WHERE true ---------------------------

test('destructive statements hidden in WITH or behind WHERE true are held', async () => {
  for (const sql of [
    'with d as (delete from scratch.victims returning *) select count(*) from d',
    'delete from scratch.victims where true',
    'update scratch.victims set id = id where 1 = 1',
    'with u as (update scratch.victims set id = id returning *) insert into scratch.victims select * from u where false',
  ]) {
    const r = await run('service', sql, { confirm_destructive: true });
    failed(r, 'MC001');
    assert.equal(await victims(), 5, sql);
  }
  ok(await run('service', 'delete from scratch.victims where id = 42', { confirm_destructive: true }));
});

// ---- 9. setseed does not reach the next caller ----------------------------------------------

test("setseed() does not decide the next caller's random()", async () => {
  const c = await cluster.connect();
  await c.query('SELECT setseed(0.25)');
  const { rows } = await c.query('SELECT random() AS r');
  await c.end();
  ok(await run('anon', 'SELECT setseed(0.25)'));
  const next = ok(await run('anon', 'SELECT random() AS r'));
  assert.notEqual(next.rows[0].r, rows[0].r);
});

// ---- 10. pg_notify is refused like NOTIFY ----------------------------------------------------

test('pg_notify() is refused during a job', async () => {
  const e = failed(await run('anon', "SELECT pg_notify('pgrst', 'reload schema')"), '42501');
  assert.match(e.message, /pg_notify/);
  failed(await run('service', "SELECT * FROM pg_notify('pgrst', 'x')"), '42501');
});

// ---- 11. EXPLAIN ANALYZE does not count RLS-hidden rows --------------------------------------

test('EXPLAIN ANALYZE hides Rows Removed by Filter from roles that RLS applies to', async () => {
  const plan = ok(await run('alice', 'SELECT * FROM scratch.tenant_rows', { kind: 'explain', analyze: true }));
  assert.doesNotMatch(JSON.stringify(plan.rows), /"Rows Removed by Filter":\s*\d/);
  const text = ok(await run('alice', 'EXPLAIN ANALYZE SELECT * FROM scratch.tenant_rows'));
  assert.doesNotMatch(JSON.stringify(text.rows), /Rows Removed by Filter: \d/);
  const svc = ok(await run('service', 'EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM scratch.victims WHERE id > 3'));
  assert.match(JSON.stringify(svc.rows), /Rows Removed by Filter/);
});

// ---- 4. one audit record cannot erase its batch -----------------------------------------------

// An audit batch as the gateway sends it: a JSON header, a NUL byte, then each record's 15
// fields as <u32 big-endian length><bytes> (null: 0xFFFFFFFF) (docs/ipc.md).
function auditBatch(id, records) {
  const parts = [Buffer.from(JSON.stringify({ id, kind: 'audit', type: 'job' })), Buffer.from([0])];
  for (const r of records) {
    const fields = [String(Date.now() * 1000), r.request_id, null, '127.0.0.1', 'tester', 'anon', 'jwt',
      'execute_sql', r.arguments, 'ok', null, null, '1', '2', '0.5'];
    for (const f of fields) {
      const head = Buffer.alloc(4);
      if (f === null) {
        head.writeUInt32BE(0xFFFFFFFF);
        parts.push(head);
      } else {
        const body = Buffer.from(f, 'utf8');
        head.writeUInt32BE(body.length);
        parts.push(head, body);
      }
    }
  }
  return Buffer.concat(parts);
}

test('an audit record jsonb cannot hold (\\u0000, deep nesting) fails none of its neighbours', async () => {
  const records = [
    { request_id: 'nb-1', arguments: '{"query":"select 1"}' },
    { request_id: 'nb-nul', arguments: '{"query":"select \\u0000"}' },
    { request_id: 'nb-deep', arguments: '['.repeat(20000) + ']'.repeat(20000) },
    { request_id: 'nb-big', arguments: '{"n":1e1000000}' },
    { request_id: 'nb-2', arguments: '{"query":"select 2"}' },
  ];
  const r = await ex[0].run(auditBatch('audit-1', records), 30000, 'audit-1');
  assert.ok(!r.closed && !r.timedOut);
  const { rows } = await cluster.query(
    "SELECT request_id, arguments FROM mcp_supa.audit_log WHERE request_id LIKE 'nb-%' ORDER BY request_id");
  assert.deepEqual(rows.map((x) => x.request_id), ['nb-1', 'nb-2', 'nb-big', 'nb-deep', 'nb-nul']);
  const byId = Object.fromEntries(rows.map((x) => [x.request_id, x.arguments]));
  assert.deepEqual(byId['nb-1'], { query: 'select 1' });
  assert.equal(byId['nb-nul'].text, '{"query":"select \\u0000"}');
  assert.ok(byId['nb-nul'].unstorable);
  assert.equal(byId['nb-deep'].text.length, 40000);
  assert.equal(byId['nb-big'].text, '{"n":1e1000000}');
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.row_count, 5);
});

// ---- 6. a revoked API key stops at once ----------------------------------------------------

test('the executor refuses a call whose API key was revoked, whatever the gateway still thinks', async () => {
  const { rows } = await cluster.query("SELECT mcp_supa.create_api_key('safety-key', 'service_role') AS secret");
  const hash = crypto.createHash('sha256').update(rows[0].secret).digest('hex');
  ok(await run('service', 'SELECT 1', { api_key_hash: hash }));
  await cluster.query("SELECT mcp_supa.revoke_api_key('safety-key')");
  const e = failed(await run('service', 'SELECT 1', { api_key_hash: hash }), '28000');
  assert.match(e.message, /API key/);
});
