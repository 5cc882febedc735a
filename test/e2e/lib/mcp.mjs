// MCP clients for the tests: the official SDK over Streamable HTTP, and over WebSocket with
// a small transport that sends Authorization on the upgrade (the SDK's own WebSocket
// transport cannot set headers).
import crypto from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import WebSocket from 'ws';

export const ALICE = '11111111-1111-1111-1111-111111111111';
export const BOB = '22222222-2222-2222-2222-222222222222';

// An HS256 JWT with the given claims (exp one hour ahead unless given).
export function makeJwt(secret, claims, { header = { alg: 'HS256', typ: 'JWT' }, noExp = false } = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = noExp ? { ...claims } : { exp: Math.floor(Date.now() / 1000) + 3600, ...claims };
  const input = `${b64(header)}.${b64(body)}`;
  const sig = crypto.createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${sig}`;
}

// Tokens for the fixture's principals.
export function tokens(secret) {
  return {
    alice: makeJwt(secret, { sub: ALICE, role: 'authenticated', email: 'alice@example.com' }),
    bob: makeJwt(secret, { sub: BOB, role: 'authenticated', email: 'bob@example.com' }),
    anon: makeJwt(secret, { role: 'anon' }),
    service: makeJwt(secret, { role: 'service_role' }),
  };
}

export async function connectHttp(baseUrl, token, { name = 'e2e-http' } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// A client-side MCP transport over WebSocket with the "mcp" subprotocol.
export class WebSocketClientTransport {
  constructor(url, { token, protocols = ['mcp'], headers = {} } = {}) {
    this.url = url;
    this.token = token;
    this.protocols = protocols;
    this.headers = headers;
  }

  start() {
    return new Promise((resolve, reject) => {
      const headers = { ...this.headers };
      if (this.token) headers.Authorization = `Bearer ${this.token}`;
      this.ws = new WebSocket(this.url, this.protocols, { headers });
      this.ws.on('open', () => resolve());
      this.ws.on('error', (err) => {
        reject(err);
        this.onerror?.(err);
      });
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.onclose?.();
      });
      this.ws.on('message', (data) => {
        try {
          this.onmessage?.(JSON.parse(data.toString()));
        } catch (err) {
          this.onerror?.(err);
        }
      });
    });
  }

  async send(message) {
    this.ws.send(JSON.stringify(message));
  }

  async close() {
    this.ws?.close();
  }
}

export async function connectWs(baseUrl, token, opts = {}) {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/mcp`;
  const transport = new WebSocketClientTransport(wsUrl, { token, ...opts });
  const client = new Client({ name: 'e2e-ws', version: '1.0.0' });
  await client.connect(transport);
  client.wsTransport = transport;
  return client;
}

// Calls execute_sql and returns the structured result (throws on isError unless allowed).
export async function sql(client, query, { allowError = false } = {}) {
  const r = await client.callTool({ name: 'execute_sql', arguments: { query } });
  if (r.isError && !allowError) {
    throw new Error(`execute_sql failed: ${r.content?.[0]?.text}`);
  }
  return r;
}

// A raw POST to /mcp, for status-code tests.
export async function rawPost(baseUrl, body, headers = {}) {
  return fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
