// A stand-in for Supabase Auth acting as an OAuth 2.1 authorization server, for the MCP
// authorization tests (Supabase Auth cannot run here). Node standard library only. It covers
// exactly what an MCP client's sign-in uses, as the RFCs document it:
// - RFC 8414 metadata at /.well-known/oauth-authorization-server/auth/v1 (and at
//   /auth/v1/.well-known/oauth-authorization-server, Supabase's own path);
// - RFC 7591 dynamic client registration (public clients, token_endpoint_auth_method none);
// - the authorization code grant with PKCE (S256 only, RFC 7636) and RFC 8707 resource
//   indicators: the access token's aud is the resource asked for (else "authenticated");
// - access tokens shaped like Supabase Auth's (sub, role authenticated, email, app_metadata,
//   user_metadata, session_id, is_anonymous), signed ES256 with a key served as a JWKS at
//   /auth/v1/.well-known/jwks.json.
// There is no login page: the "browser" is already signed in as the user set with signIn(),
// and consent is given at once. No refresh tokens, no scopes beyond echoing them back.
import crypto from 'node:crypto';
import http from 'node:http';

const kMaxBody = 64 * 1024;
const kCodeTtlMs = 60_000;

// base64url of a JSON value.
const b64json = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

export class AuthStandin {
  constructor() {
    this.keys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.kid = `standin-${crypto.randomBytes(4).toString('hex')}`;
    this.clients = new Map(); // client_id -> registration
    this.codes = new Map(); // code -> { clientId, redirectUri, challenge, resource, scope, user, exp }
    this.user = null;
    this.requests = []; // "METHOD path" of every request, for the tests to check
    this.refusals = []; // error_description of every refused token request
  }

  // Listens on 127.0.0.1:port; the issuer is http://127.0.0.1:port/auth/v1.
  async listen(port) {
    this.issuer = `http://127.0.0.1:${port}/auth/v1`;
    this.server = http.createServer((req, res) => this.handle(req, res).catch((err) => {
      send(res, 500, { error: 'server_error', error_description: String(err.message) });
    }));
    await new Promise((r) => this.server.listen(port, '127.0.0.1', r));
    return this;
  }

  async close() {
    await new Promise((r) => this.server?.close(r));
  }

  // The user the browser is signed in as (an auth.users row: id, email, ...).
  signIn(user) {
    this.user = user;
  }

  get jwksUrl() {
    return `${this.issuer}/.well-known/jwks.json`;
  }

  metadata() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/oauth/authorize`,
      token_endpoint: `${this.issuer}/oauth/token`,
      registration_endpoint: `${this.issuer}/oauth/clients/register`,
      jwks_uri: this.jwksUrl,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    };
  }

  // An access token as Supabase Auth shapes it, for user, audience aud (signed by the test key).
  accessToken(user, aud, extra = {}) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.issuer, aud, sub: user.id, exp: now + 3600, iat: now,
      email: user.email ?? '', phone: '', role: 'authenticated', aal: 'aal1',
      app_metadata: { provider: 'email' }, user_metadata: {},
      session_id: crypto.randomUUID(), is_anonymous: false, ...extra,
    };
    const input = `${b64json({ alg: 'ES256', typ: 'JWT', kid: this.kid })}.${b64json(claims)}`;
    const sig = crypto.sign('sha256', Buffer.from(input), { key: this.keys.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }

  async handle(req, res) {
    const url = new URL(req.url, this.issuer);
    this.requests.push(`${req.method} ${url.pathname}`);
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/.well-known/oauth-authorization-server/auth/v1' ||
        path === '/auth/v1/.well-known/oauth-authorization-server')) {
      return send(res, 200, this.metadata());
    }
    if (req.method === 'GET' && path === '/auth/v1/.well-known/jwks.json') {
      const jwk = { ...this.keys.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'ES256', use: 'sig' };
      return send(res, 200, { keys: [jwk] });
    }
    if (req.method === 'POST' && path === '/auth/v1/oauth/clients/register') return this.register(req, res);
    if (req.method === 'GET' && path === '/auth/v1/oauth/authorize') return this.authorize(url, res);
    if (req.method === 'POST' && path === '/auth/v1/oauth/token') return this.token(req, res);
    return send(res, 404, { error: 'not_found' });
  }

  // RFC 7591: a public client with its redirect URIs.
  async register(req, res) {
    let meta;
    try {
      meta = JSON.parse(await readBody(req));
    } catch (err) {
      return send(res, 400, { error: 'invalid_client_metadata', error_description: err.message });
    }
    const uris = meta?.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every(isHttpUrl)) {
      return send(res, 400, { error: 'invalid_redirect_uri', error_description: 'redirect_uris must be http(s) URLs' });
    }
    const reg = {
      client_id: crypto.randomUUID(),
      client_id_issued_at: Math.floor(Date.now() / 1000),
      client_name: typeof meta.client_name === 'string' ? meta.client_name : undefined,
      redirect_uris: uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
    this.clients.set(reg.client_id, reg);
    return send(res, 201, reg);
  }

  // The authorization endpoint: checks the request, then (signed in, consent given) redirects
  // back with a one-time code.
  authorize(url, res) {
    const q = Object.fromEntries(url.searchParams);
    const client = this.clients.get(q.client_id);
    if (!client) return send(res, 400, { error: 'invalid_client' });
    if (!client.redirect_uris.includes(q.redirect_uri)) return send(res, 400, { error: 'invalid_redirect_uri' });
    const back = new URL(q.redirect_uri);
    const fail = (error) => {
      back.searchParams.set('error', error);
      if (q.state) back.searchParams.set('state', q.state);
      res.writeHead(302, { Location: back.href }).end();
    };
    if (q.response_type !== 'code') return fail('unsupported_response_type');
    if (q.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge ?? '')) {
      return fail('invalid_request');
    }
    if (!this.user) return fail('access_denied');
    const code = crypto.randomBytes(24).toString('base64url');
    this.codes.set(code, {
      clientId: client.client_id, redirectUri: q.redirect_uri, challenge: q.code_challenge,
      resource: q.resource, scope: q.scope, user: this.user, exp: Date.now() + kCodeTtlMs,
    });
    back.searchParams.set('code', code);
    if (q.state) back.searchParams.set('state', q.state);
    res.writeHead(302, { Location: back.href }).end();
  }

  // The token endpoint: a code once, for its client and redirect URI, with the PKCE verifier
  // whose S256 hash is the challenge.
  async token(req, res) {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== 'authorization_code') return refuse(res, this, { error: 'unsupported_grant_type' });
    const entry = this.codes.get(form.get('code') ?? '');
    this.codes.delete(form.get('code') ?? '');
    if (!entry || entry.exp < Date.now()) return refuse(res, this, { error: 'invalid_grant', error_description: 'unknown or used code' });
    if (form.get('client_id') !== entry.clientId || form.get('redirect_uri') !== entry.redirectUri) {
      return refuse(res, this, { error: 'invalid_grant', error_description: 'client or redirect_uri mismatch' });
    }
    const verifier = form.get('code_verifier') ?? '';
    const hashed = crypto.createHash('sha256').update(verifier).digest('base64url');
    if (verifier.length < 43 || hashed !== entry.challenge) {
      return refuse(res, this, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    const resource = form.get('resource') ?? entry.resource;
    if (entry.resource && resource !== entry.resource) {
      return refuse(res, this, { error: 'invalid_target', error_description: 'resource differs from the authorization request' });
    }
    const body = {
      access_token: this.accessToken(entry.user, resource ?? 'authenticated'),
      token_type: 'bearer',
      expires_in: 3600,
    };
    if (entry.scope) body.scope = entry.scope;
    return send(res, 200, body);
  }
}

// Starts a stand-in on a port of its own.
export async function startAuthStandin(port) {
  return new AuthStandin().listen(port);
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

// A refused token request (400), remembered for the tests.
function refuse(res, standin, body) {
  standin.refusals.push(body.error_description ?? body.error);
  send(res, 400, body);
}

function isHttpUrl(s) {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

// A request body as text, at most kMaxBody bytes.
function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > kMaxBody) {
        reject(new Error('body too large'));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
