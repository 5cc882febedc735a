// The supervisor's contract: it restarts a killed gateway without PostgreSQL's crash
// recovery, follows configuration changes, survives a busy port without flooding the log,
// and takes the gateway down with PostgreSQL.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { freePort, sleep, startCluster, waitFor } from './lib/cluster.mjs';

let cluster;
const healthy = (port) => () =>
  fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
    .then((r) => r.ok).catch(() => false);

before(async () => {
  cluster = await startCluster();
  assert.ok(await waitFor(healthy(cluster.mcpPort)), cluster.log());
});
after(() => cluster?.stop());

test('one supervisor background worker, with one gateway child', async () => {
  const { rows } = await cluster.query(
    "SELECT backend_type, application_name FROM pg_stat_activity WHERE backend_type = 'mcp_supa supervisor'");
  assert.equal(rows.length, 1);
  assert.equal(rows[0].application_name, 'mcp_supa supervisor');
  assert.equal((await cluster.gatewayPids()).length, 1);
});

test('kill -9 of the gateway: back within a second or so, no crash recovery, sessions survive', async () => {
  const client = await cluster.connect();
  try {
    const before = await client.query(
      'SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started');
    const oldGateway = await cluster.gatewayPid();
    assert.ok(oldGateway);
    const t0 = Date.now();
    process.kill(oldGateway, 'SIGKILL');
    const newGateway = await waitFor(async () => {
      const pid = await cluster.gatewayPid();
      return pid && pid !== oldGateway && (await healthy(cluster.mcpPort)()) ? pid : null;
    }, { timeoutMs: 15000, intervalMs: 20 });
    const elapsed = Date.now() - t0;
    assert.ok(newGateway, `no new gateway; log:\n${cluster.log()}`);
    console.log(`# gateway back after ${elapsed} ms`);
    // The session opened before still works, on the same backend: no crash recovery happened.
    const afterKill = await client.query(
      'SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started');
    assert.equal(afterKill.rows[0].pid, before.rows[0].pid);
    assert.deepEqual(afterKill.rows[0].started, before.rows[0].started);
    const log = cluster.log();
    assert.doesNotMatch(log, /terminating any other active server processes/);
    assert.doesNotMatch(log, /all server processes terminated; reinitializing/);
    assert.match(log, new RegExp(`gateway \\(PID ${oldGateway}\\) was terminated by signal 9`));
  } finally {
    await client.end();
  }
});

test('a reload that changes nothing about listening keeps the same gateway', async () => {
  const pid = await cluster.gatewayPid();
  await cluster.query(`ALTER SYSTEM SET mcp_supa.jwt_secret = '${'k'.repeat(40)}'`);
  await cluster.reload();
  await sleep(500);
  assert.equal(await cluster.gatewayPid(), pid);
  assert.ok(await healthy(cluster.mcpPort)());
  await cluster.query('ALTER SYSTEM RESET mcp_supa.jwt_secret');
  await cluster.reload();
});

test('changing mcp_supa.port on reload moves the gateway to the new port', async () => {
  const oldPort = cluster.mcpPort;
  const newPort = await freePort();
  await cluster.query(`ALTER SYSTEM SET mcp_supa.port = ${newPort}`);
  await cluster.reload();
  assert.ok(await waitFor(healthy(newPort)), `not listening on ${newPort}:\n${cluster.log()}`);
  assert.equal(await healthy(oldPort)(), false);
  cluster.mcpPort = newPort;
});

test('a busy port is one WARNING and a retry with backoff, then it listens when freed', async () => {
  const busyPort = await freePort();
  const blocker = net.createServer((sock) => sock.destroy());
  await new Promise((r) => blocker.listen(busyPort, '127.0.0.1', r));
  try {
    await cluster.query(`ALTER SYSTEM SET mcp_supa.port = ${busyPort}`);
    await cluster.reload();
    await sleep(3000); // several retries happen in this time (250, 500, 1000 ms ...)
    const warnings = cluster.log().split('\n').filter((l) =>
      l.includes(`could not listen on 127.0.0.1 port ${busyPort}`));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /WARNING: .*Address already in use/);
    assert.equal(await healthy(busyPort)(), false);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  assert.ok(await waitFor(healthy(busyPort), { timeoutMs: 20000 }),
    `never listened after the port was freed:\n${cluster.log()}`);
  cluster.mcpPort = busyPort;
});

test('pg_ctl stop ends the supervisor and the gateway within a second', async () => {
  const gateway = await cluster.gatewayPid();
  assert.ok(gateway);
  const t0 = Date.now();
  cluster.stopSync('fast');
  const elapsed = Date.now() - t0;
  let alive = true;
  try {
    process.kill(gateway, 0);
  } catch {
    alive = false;
  }
  assert.equal(alive, false, 'gateway still running after pg_ctl stop');
  console.log(`# pg_ctl stop took ${elapsed} ms`);
});
