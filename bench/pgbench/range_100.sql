\set id random(1, 99901)
SELECT id, name, qty, created_at FROM public.bench_items WHERE id >= :id ORDER BY id LIMIT 100;
