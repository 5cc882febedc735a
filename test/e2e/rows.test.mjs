// The row tools (select_rows, insert_rows, update_rows, delete_rows) over MCP with the
// official SDK against a real cluster: every filter operator, typed values, RLS for users
// A/B and anon, the confirmation of a filter that matches every visible row, bad names, type
// errors, injection attempts, read-only mode, the audit and the prepared-plan cache (one
// executor, so that consecutive calls share it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { ALICE, BOB, connectHttp, tokens } from './lib/mcp.mjs';

let cluster;
let alice;
let bob;
let anon;
let service;

const FIXTURE = `
create table public.items (
  id bigint generated always as identity primary key,
  owner_id uuid not null default auth.uid(),
  name text not null,
  qty int,
  price numeric(10,2),
  tags text[],
  nums int[],
  data jsonb,
  doc json,
  is_public boolean not null default false,
  due timestamptz,
  ref uuid,
  unique (owner_id, name)
);
alter table public.items enable row level security;
create policy "read own or public" on public.items for select using (is_public or owner_id = auth.uid());
create policy "insert own" on public.items for insert to authenticated with check (owner_id = auth.uid());
create policy "update own" on public.items for update to authenticated using (owner_id = auth.uid()) with check (owner_id = auth.uid());
create policy "delete own" on public.items for delete to authenticated using (owner_id = auth.uid());
grant all on public.items to anon, authenticated, service_role;
insert into public.items (owner_id, name, qty, price, tags, nums, data, doc, is_public, due, ref) values
  ('${ALICE}', 'apple',  3, 1.50, '{red,fruit}',   '{1,2,3}', '{"color":"red","size":{"w":3},"list":[1,2]}', '{"a":1}', true,  '2026-01-01T10:00:00Z', '00000000-0000-0000-0000-00000000000a'),
  ('${ALICE}', 'avocado', 0, 2.25, '{green,fruit}', '{4}',     '{"color":"green"}',                            null,      false, '2026-02-01T10:00:00Z', null),
  ('${ALICE}', 'Almond', null, 9.99, '{}',           null,      null,                                            null,      false, null,                   null),
  ('${BOB}',   'banana', 7, 0.75, '{yellow,fruit}', '{5,6}',   '{"color":"yellow"}',                           null,      false, '2026-03-01T10:00:00Z', null),
  ('${BOB}',   'blueberry', 12, 4.00, '{blue}',     '{7}',     '{"color":"blue"}',                             null,      true,  null,                   null);
create table public.scratch_rows (id int primary key, v text);
grant all on public.scratch_rows to anon, authenticated, service_role;
insert into public.scratch_rows select g, 'v' || g from generate_series(1, 6) g;
`;

before(async () => {
  cluster = await startCluster({ conf: { 'mcp_supa.workers': 1 } });
  const tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  await cluster.query(FIXTURE);
  alice = await connectHttp(cluster.mcpUrl, tok.alice);
  bob = await connectHttp(cluster.mcpUrl, tok.bob);
  anon = await connectHttp(cluster.mcpUrl, tok.anon);
  service = await connectHttp(cluster.mcpUrl, tok.service);
});
after(async () => {
  for (const c of [alice, bob, anon, service]) await c?.close().catch(() => {});
  await cluster?.stop();
});

const call = (c, name, args) => c.callTool({ name, arguments: args });
// select_rows' structured result, failing the test on an error.
async function select(c, args) {
  const r = await call(c, 'select_rows', { table: 'items', ...args });
  assert.equal(r.isError, false, r.content?.[0]?.text);
  return r.structuredContent;
}
// The names select_rows returns for a filter, sorted.
async function names(c, filter) {
  const r = await select(c, { columns: ['name'], filter });
  return r.rows.map((x) => x.name).sort();
}
// An error result's text, failing the test when the call succeeded.
async function error(c, name, args) {
  const r = await call(c, name, args);
  assert.equal(r.isError, true, `expected an error: ${JSON.stringify(r.structuredContent)}`);
  return r.content[0].text;
}
const db = async (q, p) => (await cluster.query(q, p)).rows;

describe('select_rows: every operator', () => {
  const cases = [
    ['eq', { name: { eq: 'apple' } }, ['apple']],
    ['neq', { name: { neq: 'apple' } }, ['Almond', 'avocado', 'blueberry']],
    ['gt', { qty: { gt: 3 } }, ['blueberry']],
    ['gte', { qty: { gte: 3 } }, ['apple', 'blueberry']],
    ['lt', { qty: { lt: 3 } }, ['avocado']],
    ['lte', { price: { lte: 2.25 } }, ['apple', 'avocado']],
    ['like', { name: { like: 'a%' } }, ['apple', 'avocado']],
    ['ilike', { name: { ilike: 'a%' } }, ['Almond', 'apple', 'avocado']],
    ['in', { qty: { in: [0, 12, 99] } }, ['avocado', 'blueberry']],
    ['in (empty)', { qty: { in: [] } }, []],
    ['is null', { qty: { is: null } }, ['Almond']],
    ['is true', { is_public: { is: true } }, ['apple', 'blueberry']],
    ['is false', { is_public: { is: false } }, ['Almond', 'avocado']],
    ['contains (array)', { tags: { contains: ['fruit'] } }, ['apple', 'avocado']],
    ['contained_by (array)', { tags: { contained_by: ['red', 'fruit', 'blue'] } }, ['Almond', 'apple', 'blueberry']],
    ['contains (jsonb)', { data: { contains: { color: 'red' } } }, ['apple']],
    ['contained_by (jsonb)', { data: { contained_by: { color: 'green', x: 1 } } }, ['avocado']],
    ['jsonb ->> path', { 'data->>color': { eq: 'blue' } }, ['blueberry']],
    ['jsonb nested path', { 'data->size->>w': { eq: '3' } }, ['apple']],
    ['jsonb -> path with a jsonb value', { 'data->size': { eq: { w: 3 } } }, ['apple']],
    ['jsonb array index', { 'data->list->>1': { eq: '2' } }, ['apple']],
    ['json ->> path', { 'doc->>a': { eq: '1' } }, ['apple']],
    ['several operators on one column', { qty: { gte: 0, lt: 5 } }, ['apple', 'avocado']],
    ['or', { or: [{ name: { eq: 'apple' } }, { qty: { gt: 10 } }] }, ['apple', 'blueberry']],
    ['and + or', { is_public: { is: false }, or: [{ qty: { eq: 0 } }, { qty: { is: null } }] }, ['Almond', 'avocado']],
    ['not', { not: { name: { like: 'a%' } } }, ['Almond', 'blueberry']],
    ['nested and/or/not', { and: [{ or: [{ name: { ilike: 'a%' } }, { name: { eq: 'blueberry' } }] }, { not: { qty: { is: null } } }] }, ['apple', 'avocado', 'blueberry']],
    ['uuid eq', { ref: { eq: '00000000-0000-0000-0000-00000000000a' } }, ['apple']],
    ['timestamptz gt', { due: { gt: '2026-01-15T00:00:00Z' } }, ['avocado']],
    ['int[] eq', { nums: { eq: [1, 2, 3] } }, ['apple']],
    ['numeric in', { price: { in: [1.5, 9.99] } }, ['Almond', 'apple']],
  ];
  for (const [label, filter, expected] of cases) {
    test(label, async () => {
      assert.deepEqual(await names(alice, filter), expected.sort());
    });
  }
});

describe('select_rows: columns, order, limit, offset, count and values', () => {
  test('order with desc and nulls, limit and offset', async () => {
    const r = await select(alice, { columns: ['name', 'qty'], order: [{ column: 'qty', desc: true, nulls: 'last' }], limit: 2, offset: 1 });
    assert.deepEqual(r.rows, [{ name: 'apple', qty: 3 }, { name: 'avocado', qty: 0 }]);
    const first = await select(alice, { columns: ['name'], order: [{ column: 'qty', nulls: 'first' }], limit: 1 });
    assert.deepEqual(first.rows, [{ name: 'Almond' }]);
    const byPath = await select(alice, { columns: ['name'], filter: { data: { is: null }, not: { data: { is: null } } } });
    assert.deepEqual(byPath.rows, []);
  });

  test('count exact and estimated next to the capped rows', async () => {
    const exact = await select(alice, { columns: ['id'], limit: 1, count: 'exact' });
    assert.equal(exact.rows.length, 1);
    assert.equal(exact.count, 4);
    assert.equal(exact.truncated, false);
    const est = await select(alice, { columns: ['id'], filter: { qty: { gt: 0 } }, count: 'estimated' });
    assert.equal(est.count, 2, 'below max_rows the estimate is the exact count');
    const none = await select(alice, { columns: ['id'] });
    assert.equal('count' in none, false);
  });

  test('values come back typed like execute_sql', async () => {
    const r = await select(alice, { filter: { name: { eq: 'apple' } } });
    const row = r.rows[0];
    assert.equal(row.qty, 3);
    assert.equal(row.price, 1.5);
    assert.deepEqual(row.data, { color: 'red', size: { w: 3 }, list: [1, 2] });
    assert.equal(row.is_public, true);
    assert.equal(row.tags, '{red,fruit}');
    assert.equal(row.owner_id, ALICE);
  });

  test('the result carries the warning and the untrusted-data boundary', async () => {
    const r = await call(alice, 'select_rows', { table: 'items', columns: ['name'], limit: 1 });
    assert.match(r.structuredContent.warning, /untrusted/);
    assert.match(r.content[0].text, /<untrusted-data-[0-9a-f]+>/);
  });

  test('max_rows caps the rows and says truncated', async () => {
    await cluster.query('insert into public.scratch_rows select g, \'w\' || g from generate_series(100, 399) g');
    try {
      const r = await call(service, 'select_rows', { table: 'scratch_rows', columns: ['id'], count: 'exact' });
      assert.equal(r.structuredContent.rows.length, 100);
      assert.equal(r.structuredContent.truncated, true);
      assert.equal(r.structuredContent.count, 306);
    } finally {
      await cluster.query('delete from public.scratch_rows where id >= 100');
    }
  });
});

describe('RLS', () => {
  test('A sees its own rows and public ones, never B\'s private rows', async () => {
    assert.deepEqual(await names(alice, null), ['Almond', 'apple', 'avocado', 'blueberry']);
    assert.deepEqual(await names(bob, null), ['apple', 'banana', 'blueberry']);
  });

  test('anon sees only public rows', async () => {
    assert.deepEqual(await names(anon, null), ['apple', 'blueberry']);
  });

  test('A cannot change or delete B\'s rows', async () => {
    const u = await call(alice, 'update_rows', { table: 'items', filter: { name: { eq: 'banana' } }, values: { qty: 99 } });
    assert.equal(u.isError, false, u.content[0].text);
    assert.equal(u.structuredContent.row_count, 0);
    const d = await call(alice, 'delete_rows', { table: 'items', filter: { name: { in: ['banana', 'blueberry'] } } });
    assert.equal(d.structuredContent.row_count, 0);
    const rows = await db("select name, qty from public.items where owner_id = $1 order by name", [BOB]);
    assert.deepEqual(rows, [{ name: 'banana', qty: 7 }, { name: 'blueberry', qty: 12 }]);
  });

  test('A cannot insert a row owned by B (WITH CHECK)', async () => {
    const text = await error(alice, 'insert_rows', { table: 'items', rows: [{ owner_id: BOB, name: 'forged' }] });
    assert.match(text, /42501.*row-level security/);
    assert.equal((await db("select count(*)::int n from public.items where name = 'forged'"))[0].n, 0);
  });

  test('a cached plan does not carry A\'s rows to B (same shape, one executor)', async () => {
    const shape = { columns: ['name'], filter: { qty: { gte: 0 } }, order: [{ column: 'name' }] };
    const a1 = await call(alice, 'select_rows', { table: 'items', ...shape });
    const a2 = await call(alice, 'select_rows', { table: 'items', ...shape });
    assert.equal(a2._meta.mcp_supa.plan_cached, true, 'a repeated shape reuses its plan');
    const b = await call(bob, 'select_rows', { table: 'items', ...shape });
    assert.equal(b._meta.mcp_supa.plan_cached, true);
    assert.deepEqual(a1.structuredContent.rows.map((r) => r.name), ['apple', 'avocado', 'blueberry']);
    assert.deepEqual(b.structuredContent.rows.map((r) => r.name), ['apple', 'banana', 'blueberry']);
    const n = await call(anon, 'select_rows', { table: 'items', ...shape });
    assert.deepEqual(n.structuredContent.rows.map((r) => r.name), ['apple', 'blueberry']);
  });
});

describe('writes', () => {
  test('insert_rows with typed values of each kind, defaults and returning', async () => {
    const r = await call(alice, 'insert_rows', {
      table: 'items',
      rows: [
        { name: 'typed', qty: 5, price: '12.34', tags: ['a', 'b c', 'd"e'], nums: [1, null, 3], data: { k: [1, { z: null }] }, doc: [1, 'x'], is_public: true, due: '2026-05-05T05:05:05Z', ref: '123e4567-e89b-12d3-a456-426614174000' },
        { name: 'defaults' },
      ],
      returning: ['id', 'name', 'owner_id'],
    });
    assert.equal(r.isError, false, r.content[0].text);
    assert.equal(r.structuredContent.rows.length, 2);
    assert.equal(r.structuredContent.rows[1].owner_id, ALICE, 'owner_id took its default, auth.uid()');
    const [row] = await db(`select qty, price::text, tags, nums, data, doc::text, is_public, due, ref::text
      from public.items where name = 'typed'`);
    assert.deepEqual(row, {
      qty: 5, price: '12.34', tags: ['a', 'b c', 'd"e'], nums: [1, null, 3], data: { k: [1, { z: null }] },
      doc: '[1,"x"]', is_public: true, due: new Date('2026-05-05T05:05:05Z'), ref: '123e4567-e89b-12d3-a456-426614174000',
    });
  });

  test('insert_rows on_conflict ignore and update', async () => {
    const ignore = await call(alice, 'insert_rows', { table: 'items', rows: [{ name: 'typed', qty: 1 }], on_conflict: { columns: ['owner_id', 'name'], action: 'ignore' } });
    assert.equal(ignore.structuredContent.row_count, 0);
    const up = await call(alice, 'insert_rows', { table: 'items', rows: [{ owner_id: ALICE, name: 'typed', qty: 42 }], on_conflict: { columns: ['owner_id', 'name'], action: 'update' }, returning: true });
    assert.equal(up.isError, false, up.content[0].text);
    assert.equal(up.structuredContent.rows[0].qty, 42);
    assert.equal((await db("select qty from public.items where name = 'typed'"))[0].qty, 42);
  });

  test('update_rows changes exactly the matching rows', async () => {
    const r = await call(alice, 'update_rows', { table: 'items', filter: { name: { in: ['typed', 'defaults'] } }, values: { qty: 7, data: { updated: true } }, returning: ['name', 'qty'] });
    assert.equal(r.isError, false, r.content[0].text);
    assert.deepEqual(r.structuredContent.rows.map((x) => x.qty), [7, 7]);
    assert.equal((await db("select count(*)::int n from public.items where data = '{\"updated\": true}'"))[0].n, 2);
  });

  test('delete_rows deletes exactly the matching rows', async () => {
    const before = (await db('select count(*)::int n from public.items'))[0].n;
    const r = await call(alice, 'delete_rows', { table: 'items', filter: { name: { eq: 'defaults' } }, returning: true });
    assert.equal(r.structuredContent.rows[0].name, 'defaults');
    assert.equal((await db('select count(*)::int n from public.items'))[0].n, before - 1);
  });

  test('update_rows and delete_rows need a non-empty filter', async () => {
    assert.match(await error(alice, 'update_rows', { table: 'items', filter: {}, values: { qty: 1 } }), /filter: required/);
    assert.match(await error(alice, 'delete_rows', { table: 'items' }), /filter: required/);
  });
});

describe('confirmation of a filter that matches every visible row', () => {
  const count = async () => (await db('select count(*)::int n from public.scratch_rows'))[0].n;

  test('delete_rows of every row is held back, then runs with the token', async () => {
    const args = { table: 'scratch_rows', filter: { id: { gte: 0 } } };
    const first = await call(service, 'delete_rows', args);
    assert.equal(first.isError, true);
    assert.equal(first._meta.mcp_supa.confirmation_required, true);
    assert.match(first._meta.mcp_supa.statements, /DELETE of every row of public\.scratch_rows/);
    assert.equal(await count(), 6, 'nothing ran on the first call');
    const other = await call(service, 'delete_rows', { ...args, filter: { id: { gte: -1 } }, confirm: first._meta.mcp_supa.confirm });
    assert.equal(other.isError, true);
    assert.match(other.content[0].text, /token is invalid/);
    assert.equal(await count(), 6, 'a token for other arguments runs nothing');
    const second = await call(service, 'delete_rows', { ...args, confirm: first._meta.mcp_supa.confirm });
    assert.equal(second.isError, false, second.content?.[0]?.text);
    assert.equal(second.structuredContent.row_count, 6);
    assert.equal(await count(), 0);
    await cluster.query("insert into public.scratch_rows select g, 'v' || g from generate_series(1, 6) g");
  });

  test('a tautology through or/not is caught too; a partial filter is not held', async () => {
    const all = await call(service, 'update_rows', { table: 'scratch_rows', filter: { or: [{ id: { lt: 3 } }, { not: { id: { lt: 3 } } }] }, values: { v: 'x' } });
    assert.equal(all._meta?.mcp_supa?.confirmation_required, true);
    assert.equal((await db("select count(*)::int n from public.scratch_rows where v = 'x'"))[0].n, 0);
    const some = await call(service, 'update_rows', { table: 'scratch_rows', filter: { id: { lt: 3 } }, values: { v: 'x' } });
    assert.equal(some.isError, false, some.content[0].text);
    assert.equal(some.structuredContent.row_count, 2);
  });

  test('"every row" means every row the caller can see: A deleting all of its own rows is held', async () => {
    const first = await call(alice, 'delete_rows', { table: 'items', filter: { or: [{ owner_id: { eq: ALICE } }, { is_public: { is: true } }] } });
    assert.equal(first._meta?.mcp_supa?.confirmation_required, true);
    assert.equal((await db('select count(*)::int n from public.items where owner_id = $1', [ALICE]))[0].n, 4);
  });
});

describe('bad names, types and operators', () => {
  test('an unknown table names the closest ones', async () => {
    const text = await error(alice, 'select_rows', { table: 'itemz' });
    assert.match(text, /42P01: table: "public.itemz" does not exist or your role cannot see it/);
    assert.match(text, /HINT: Closest existing tables: items/);
  });

  test('an unknown schema names the closest ones', async () => {
    assert.match(await error(alice, 'select_rows', { schema: 'publik', table: 'items' }), /3F000: schema: "publik".*\n.*Closest existing schemas: public/);
  });

  test('an unknown column in a filter, columns, order or values names the field and the closest', async () => {
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { nmae: { eq: 'x' } } }), /42703: filter.nmae: column "nmae" does not exist in public.items\nHINT: Closest existing columns: name, /);
    assert.match(await error(alice, 'select_rows', { table: 'items', columns: ['name', 'qtty'] }), /columns\[1\]: column "qtty"/);
    assert.match(await error(alice, 'select_rows', { table: 'items', order: [{ column: 'prize' }] }), /order\[0\]\.column: column "prize".*\n.*price/);
    assert.match(await error(alice, 'update_rows', { table: 'items', filter: { id: { eq: 1 } }, values: { nam: 'x' } }), /values\.nam: column "nam"/);
    assert.match(await error(alice, 'insert_rows', { table: 'items', rows: [{ name: 'x', colour: 'red' }] }), /column "colour" does not exist/);
  });

  test('a value that does not fit the column type names the field', async () => {
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { qty: { eq: 'lots' } } }), /22P02: filter.qty.eq: invalid input syntax for type integer: "lots"/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { ref: { eq: 'not-a-uuid' } } }), /filter.ref.eq: invalid input syntax for type uuid/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { due: { lt: 'yesterday-ish' } } }), /filter.due.lt: invalid input syntax for type timestamp with time zone/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { nums: { eq: [1, 'x'] } } }), /filter.nums.eq\[1\]: invalid input syntax for type integer/);
    assert.match(await error(alice, 'insert_rows', { table: 'items', rows: [{ name: 'x', qty: { n: 1 } }] }), /rows\[0\]\.qty: a value of type integer cannot be a JSON object/);
    assert.match(await error(alice, 'update_rows', { table: 'items', filter: { id: { eq: 1 } }, values: { price: 'cheap' } }), /values\.price: invalid input syntax for type numeric/);
  });

  test('an operator that does not fit the type names the field', async () => {
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { qty: { like: '1%' } } }), /filter.qty.like: like applies to text columns, not integer/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { doc: { eq: { a: 1 } } } }), /filter.doc.eq: operator = does not apply to type json/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { name: { is: true } } }), /filter.name.is: is true\/false needs a boolean, not text/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { qty: { contains: [1] } } }), /filter.qty.contains: operator @> does not apply to type integer/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { 'name->>x': { eq: 'y' } } }), /filter.name->>x: column "name" is of type text; a JSON path needs json or jsonb/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { qty: { between: [1, 2] } } }), /filter.qty.between: unknown operator/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { qty: { eq: null } } }), /use \{"is": null\}/);
  });

  test('limits on every input', async () => {
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { qty: { in: Array.from({ length: 1001 }, (_, i) => i) } } }), /at most 1000 values/);
    let deep = { qty: { eq: 1 } };
    for (let i = 0; i < 9; i++) deep = { not: deep };
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: deep }), /nest deeper than 8/);
    const many = { or: Array.from({ length: 101 }, (_, i) => ({ qty: { eq: i } })) };
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: many }), /more than 100 conditions/);
    assert.match(await error(alice, 'select_rows', { table: 'items', limit: -1 }), /limit: must be an integer/);
    assert.match(await error(alice, 'select_rows', { table: 'x'.repeat(64) }), /table: must be a name of 1 to 63 bytes/);
    assert.match(await error(alice, 'insert_rows', { table: 'items', rows: [] }), /rows: must be an array of 1 to 1000/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { name: { eq: 'x'.repeat(70000) } } }), /longer than 65536 bytes/);
    assert.match(await error(alice, 'select_rows', { table: 'items', filter: { name: { eq: 'a\u0000b' } } }), /NUL character/);
  });
});

describe('injection attempts', () => {
  const intact = async () => {
    const [r] = await db(`select (select count(*)::int from public.items) items,
      (select count(*)::int from public.scratch_rows) scratch, to_regclass('public.items') is not null t`);
    return r;
  };

  test('through identifiers, operators, JSON paths and values nothing but the intended query runs', async () => {
    const start = await intact();
    const attempts = [
      ['select_rows', { table: 'items; drop table public.scratch_rows; --' }, /does not exist/],
      ['select_rows', { table: 'items"; drop table public.scratch_rows; --' }, /does not exist/],
      ['select_rows', { schema: 'public"."items', table: 'items' }, /does not exist/],
      ['select_rows', { table: 'items', columns: ['name", (select 1) as "x'] }, /column .* does not exist/],
      ['select_rows', { table: 'items', filter: { 'name = name or 1=1 --': { eq: 'x' } } }, /does not exist/],
      ['select_rows', { table: 'items', filter: { name: { 'eq 1=1 or': 'x' } } }, /unknown operator/],
      ['select_rows', { table: 'items', order: [{ column: 'name; drop table public.scratch_rows' }] }, /does not exist/],
      ['delete_rows', { table: 'items', filter: { 'id) or (1=1': { gt: 0 } } }, /does not exist/],
    ];
    for (const [tool, args, pattern] of attempts) {
      assert.match(await error(alice, tool, args), pattern, JSON.stringify(args));
    }
    // Values and JSON path keys are parameters: they match nothing instead of running.
    assert.deepEqual(await names(alice, { name: { eq: "' or '1'='1" } }), []);
    assert.deepEqual(await names(alice, { name: { like: "%' or 1=1 --" } }), []);
    assert.deepEqual(await names(alice, { "data->>color' or '1'='1": { eq: 'red' } }), []);
    assert.deepEqual(await names(alice, { "data->x') or true or ('": { is: null } }), await names(alice, null),
      'the key is one JSON key (missing, so null), and RLS still holds');
    const d = await call(alice, 'delete_rows', { table: 'items', filter: { name: { eq: "x' or '1'='1" } } });
    assert.equal(d.structuredContent.row_count, 0);
    const u = await call(alice, 'update_rows', { table: 'items', filter: { name: { eq: 'apple' } }, values: { name: "apple'); drop table public.scratch_rows; --" } });
    assert.equal(u.structuredContent.row_count, 1);
    assert.equal((await db('select count(*)::int n from public.items where name like $1', ['apple%drop table%']))[0].n, 1,
      'the value was stored as text');
    await cluster.query("update public.items set name = 'apple' where name like 'apple%drop%'");
    assert.deepEqual(await intact(), start);
  });
});

describe('read-only mode, statement policy and audit', () => {
  test('mcp_supa.read_only refuses every write tool and select_rows still works', async () => {
    await cluster.query('alter system set mcp_supa.read_only = on');
    await cluster.reload();
    try {
      await waitFor(async () => (await call(alice, 'delete_rows', { table: 'items', filter: { name: { eq: 'nothing' } } })).isError);
      for (const [tool, args] of [
        ['insert_rows', { table: 'items', rows: [{ name: 'ro' }] }],
        ['update_rows', { table: 'items', filter: { name: { eq: 'apple' } }, values: { qty: 1000 } }],
        ['delete_rows', { table: 'items', filter: { name: { eq: 'apple' } } }],
      ]) {
        assert.match(await error(alice, tool, args), /read-only/, tool);
      }
      assert.deepEqual(await names(alice, { name: { eq: 'apple' } }), ['apple']);
      assert.equal((await db("select count(*)::int n from public.items where name = 'ro' or qty = 1000"))[0].n, 0);
    } finally {
      await cluster.query('alter system reset mcp_supa.read_only');
      await cluster.reload();
    }
    await waitFor(async () => !(await call(alice, 'delete_rows', { table: 'items', filter: { name: { eq: 'nothing' } } })).isError);
  });

  test('mcp_supa.allowed_statements applies to the row tools', async () => {
    await cluster.query("alter system set mcp_supa.allowed_statements = 'select'");
    await cluster.reload();
    try {
      await waitFor(async () => (await call(alice, 'delete_rows', { table: 'items', filter: { name: { eq: 'nothing' } } })).isError);
      assert.match(await error(alice, 'insert_rows', { table: 'items', rows: [{ name: 'policy' }] }), /insert statements are not allowed/);
      assert.deepEqual(await names(alice, { name: { eq: 'apple' } }), ['apple']);
    } finally {
      await cluster.query('alter system reset mcp_supa.allowed_statements');
      await cluster.reload();
    }
    await waitFor(async () => !(await call(alice, 'delete_rows', { table: 'items', filter: { name: { eq: 'nothing' } } })).isError);
  });

  test('audit rows carry the tool and its arguments', async () => {
    await call(bob, 'select_rows', { table: 'items', filter: { name: { eq: 'audit-probe' } } });
    const ok = await waitFor(async () => (await db("select 1 from mcp_supa.audit_log where tool = 'select_rows' and arguments->'filter'->'name'->>'eq' = 'audit-probe'")).length === 1);
    assert.ok(ok, 'no audit row for select_rows with its arguments');
  });
});
