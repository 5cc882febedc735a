// Without shared_preload_libraries the extension refuses to load, with a hint.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster } from './lib/cluster.mjs';

let cluster;
before(async () => {
  cluster = await startCluster({ preload: false });
});
after(() => cluster?.stop());

test('CREATE EXTENSION fails clearly when the library is not preloaded', async () => {
  await assert.rejects(cluster.query('CREATE EXTENSION mcp_supa'), (err) => {
    assert.equal(err.message, 'mcp_supa must be loaded via shared_preload_libraries');
    assert.match(err.hint, /shared_preload_libraries/);
    assert.equal(err.code, '55000');
    return true;
  });
});

test('LOAD fails the same way and no supervisor appears', async () => {
  await assert.rejects(cluster.query("LOAD 'mcp_supa'"), /shared_preload_libraries/);
  const { rows } = await cluster.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'mcp_supa supervisor'");
  assert.equal(rows[0].n, 0);
});
