\set id random(1, 90001)
SELECT id, name, qty, created_at FROM public.bench_items WHERE id >= :id ORDER BY id LIMIT 10000;
