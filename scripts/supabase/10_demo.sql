-- Demo data with Row Level Security, used by the demo command and the end-to-end tests.
-- Alice and Bob each own notes; public notes are readable by everyone, anon included.
INSERT INTO auth.users (id, aud, role, email) VALUES
  ('11111111-1111-1111-1111-111111111111', 'authenticated', 'authenticated', 'alice@example.com'),
  ('22222222-2222-2222-2222-222222222222', 'authenticated', 'authenticated', 'bob@example.com')
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id),
  username text UNIQUE NOT NULL,
  full_name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.profiles IS 'Public profile of each user';

CREATE TABLE IF NOT EXISTS public.notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id uuid NOT NULL DEFAULT auth.uid() REFERENCES auth.users (id),
  title text NOT NULL,
  body text,
  is_public boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.notes IS 'Notes: owners see their own, everyone sees public ones';

ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "profiles are readable" ON public.profiles;
CREATE POLICY "profiles are readable" ON public.profiles FOR SELECT USING (true);
DROP POLICY IF EXISTS "users update their profile" ON public.profiles;
CREATE POLICY "users update their profile" ON public.profiles FOR UPDATE TO authenticated
  USING (id = auth.uid()) WITH CHECK (id = auth.uid());

DROP POLICY IF EXISTS "public notes are readable" ON public.notes;
CREATE POLICY "public notes are readable" ON public.notes FOR SELECT USING (is_public);
DROP POLICY IF EXISTS "owners read their notes" ON public.notes;
CREATE POLICY "owners read their notes" ON public.notes FOR SELECT TO authenticated
  USING (owner_id = auth.uid());
DROP POLICY IF EXISTS "owners add notes" ON public.notes;
CREATE POLICY "owners add notes" ON public.notes FOR INSERT TO authenticated
  WITH CHECK (owner_id = auth.uid());
DROP POLICY IF EXISTS "owners change their notes" ON public.notes;
CREATE POLICY "owners change their notes" ON public.notes FOR UPDATE TO authenticated
  USING (owner_id = auth.uid()) WITH CHECK (owner_id = auth.uid());
DROP POLICY IF EXISTS "owners delete their notes" ON public.notes;
CREATE POLICY "owners delete their notes" ON public.notes FOR DELETE TO authenticated
  USING (owner_id = auth.uid());

INSERT INTO public.profiles (id, username, full_name) VALUES
  ('11111111-1111-1111-1111-111111111111', 'alice', 'Alice Example'),
  ('22222222-2222-2222-2222-222222222222', 'bob', 'Bob Example')
ON CONFLICT (id) DO NOTHING;

INSERT INTO public.notes (owner_id, title, body, is_public)
SELECT * FROM (VALUES
  ('11111111-1111-1111-1111-111111111111'::uuid, 'Alice private', 'only Alice sees this', false),
  ('11111111-1111-1111-1111-111111111111'::uuid, 'Alice public', 'everyone sees this', true),
  ('22222222-2222-2222-2222-222222222222'::uuid, 'Bob private', 'only Bob sees this', false)
) AS v(owner_id, title, body, is_public)
WHERE NOT EXISTS (SELECT FROM public.notes);

INSERT INTO storage.buckets (id, name, public) VALUES
  ('avatars', 'avatars', true), ('private', 'private', false)
ON CONFLICT (id) DO NOTHING;
DROP POLICY IF EXISTS "public buckets are readable" ON storage.objects;
CREATE POLICY "public buckets are readable" ON storage.objects FOR SELECT
  USING (bucket_id IN (SELECT id FROM storage.buckets WHERE public));
DROP POLICY IF EXISTS "buckets are listable" ON storage.buckets;
CREATE POLICY "buckets are listable" ON storage.buckets FOR SELECT USING (true);

CREATE EXTENSION IF NOT EXISTS mcp_supa;
