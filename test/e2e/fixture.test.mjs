// The Supabase fixture behaves as Supabase does: auth.* helpers read the JWT claims, RLS
// separates users, anon sees public rows, service_role bypasses RLS, role timeouts exist.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster } from './lib/cluster.mjs';

const ALICE = '11111111-1111-1111-1111-111111111111';
const BOB = '22222222-2222-2222-2222-222222222222';
let cluster;
before(async () => {
  cluster = await startCluster();
});
after(() => cluster?.stop());

// Runs sql as role with the given claims, the way PostgREST sets them, in a rolled-back txn.
async function asRole(role, claims, sql) {
  const c = await cluster.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SET LOCAL ROLE ${role}`);
    await c.query("SELECT set_config('request.jwt.claims', $1, true)", [JSON.stringify(claims)]);
    return (await c.query(sql)).rows;
  } finally {
    await c.query('ROLLBACK').catch(() => {});
    await c.end();
  }
}

test('auth.uid(), auth.role(), auth.email() and auth.jwt() read the claims', async () => {
  const claims = { sub: ALICE, role: 'authenticated', email: 'alice@example.com', aal: 'aal1' };
  const [row] = await asRole('authenticated', claims,
    'SELECT auth.uid()::text AS uid, auth.role() AS role, auth.email() AS email, auth.jwt() AS jwt');
  assert.equal(row.uid, ALICE);
  assert.equal(row.role, 'authenticated');
  assert.equal(row.email, 'alice@example.com');
  assert.deepEqual(row.jwt, claims);
});

test('request.jwt.claim.sub takes precedence, as in Supabase', async () => {
  const c = await cluster.connect();
  try {
    await c.query('BEGIN');
    await c.query("SELECT set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: ALICE })]);
    await c.query("SELECT set_config('request.jwt.claim.sub', $1, true)", [BOB]);
    const { rows } = await c.query('SELECT auth.uid()::text AS uid');
    assert.equal(rows[0].uid, BOB);
  } finally {
    await c.query('ROLLBACK');
    await c.end();
  }
});

test('RLS: each user sees own notes plus public ones', async () => {
  const alice = await asRole('authenticated', { sub: ALICE, role: 'authenticated' },
    'SELECT title FROM notes ORDER BY title');
  assert.deepEqual(alice.map((r) => r.title), ['Alice private', 'Alice public']);
  const bob = await asRole('authenticated', { sub: BOB, role: 'authenticated' },
    'SELECT title FROM notes ORDER BY title');
  assert.deepEqual(bob.map((r) => r.title), ['Alice public', 'Bob private']);
});

test('RLS: anon sees public notes only, service_role sees everything', async () => {
  const anon = await asRole('anon', { role: 'anon' }, 'SELECT title FROM notes ORDER BY title');
  assert.deepEqual(anon.map((r) => r.title), ['Alice public']);
  const svc = await asRole('service_role', { role: 'service_role' }, 'SELECT count(*)::int AS n FROM notes');
  assert.equal(svc[0].n, 3);
});

test('RLS: a user cannot insert a note owned by someone else', async () => {
  await assert.rejects(
    asRole('authenticated', { sub: BOB, role: 'authenticated' },
      `INSERT INTO notes (owner_id, title) VALUES ('${ALICE}', 'forged')`),
    /row-level security/);
});

test('roles and their settings match Supabase', async () => {
  const { rows } = await cluster.query(`
    SELECT r.rolname, r.rolcanlogin, r.rolbypassrls, s.setconfig
      FROM pg_roles r
      LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0
     WHERE r.rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')
     ORDER BY r.rolname`);
  const byName = Object.fromEntries(rows.map((r) => [r.rolname, r]));
  assert.deepEqual(byName.anon.setconfig, ['statement_timeout=3s']);
  assert.deepEqual(byName.authenticated.setconfig, ['statement_timeout=8s']);
  assert.equal(byName.service_role.rolbypassrls, true);
  assert.equal(byName.authenticator.rolcanlogin, true);
  assert.equal(byName.anon.rolcanlogin, false);
  const members = await cluster.query(`
    SELECT string_agg(r.rolname, ',' ORDER BY r.rolname) AS roles
      FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
     WHERE m.member = 'authenticator'::regrole`);
  assert.equal(members.rows[0].roles, 'anon,authenticated,service_role');
});

test('storage: objects have RLS and public buckets are readable by anon', async () => {
  const { rows } = await cluster.query(
    "SELECT relrowsecurity FROM pg_class WHERE oid = 'storage.objects'::regclass");
  assert.equal(rows[0].relrowsecurity, true);
  await cluster.query(`INSERT INTO storage.objects (bucket_id, name) VALUES
    ('avatars', 'a/pic.png'), ('private', 'secret.txt')`);
  const anon = await asRole('anon', { role: 'anon' },
    'SELECT name, storage.extension(name) AS ext, storage.foldername(name) AS dirs FROM storage.objects');
  assert.deepEqual(anon, [{ name: 'a/pic.png', ext: 'png', dirs: ['a'] }]);
});
