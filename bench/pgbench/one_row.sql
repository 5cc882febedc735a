\set id random(1, 100000)
SELECT id, name, qty, created_at FROM public.bench_items WHERE id = :id;
