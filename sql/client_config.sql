-- mcp_supa.client_config(): the JSON each MCP client reads, with this server's URL.
-- This server's URL, derived from regress.conf (127.0.0.1, port 27480, no TLS).
SELECT mcp_supa.mcp_url();
-- How the URL is derived: public_url wins; wildcards become loopback; IPv6 gets brackets.
SELECT mcp_supa.derive_url('https://db.example.com/mcp', '*', 8432, false) AS public_url_wins,
       mcp_supa.derive_url('', '*', 8432, false) AS wildcard,
       mcp_supa.derive_url('', '0.0.0.0', 9000, true) AS wildcard_tls,
       mcp_supa.derive_url(NULL, '::', 8432, false) AS ipv6_wildcard,
       mcp_supa.derive_url(NULL, 'fd00::5, 10.0.0.1', 8432, true) AS ipv6_first,
       mcp_supa.derive_url(NULL, ' localhost ,127.0.0.1', 8432, false) AS first_of_list;
-- Every client, with a token.
SELECT c AS client, mcp_supa.client_config(c, 'eyJhbGciOi.payload.sig') AS config
  FROM unnest(ARRAY['claude-code', 'cursor', 'vscode', 'windsurf', 'claude-desktop', 'generic']) c;
-- Without a token: the placeholder; names are case-insensitive.
SELECT mcp_supa.client_config('Cursor');
-- VS Code never stores the token, even when one is given: it prompts for it.
SELECT mcp_supa.client_config('vscode', 'secret-token')::text LIKE '%secret-token%' AS stored;
-- The JSON is valid and the token is escaped by the JSON builder, never spliced.
SELECT (mcp_supa.client_config('cursor', 'a"b\c')::jsonb #>> '{mcpServers,supabase,headers,Authorization}') AS header;
-- Bad input: an unknown client, an empty, long or multi-line token.
SELECT mcp_supa.client_config('emacs');
SELECT mcp_supa.client_config(NULL);
SELECT mcp_supa.client_config('cursor', '');
SELECT mcp_supa.client_config('cursor', repeat('x', 8193));
SELECT mcp_supa.client_config('cursor', E'abc\r\nX-Injected: 1');
SELECT mcp_supa.client_config('cursor', 'two words');
