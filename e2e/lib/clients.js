// Shared helpers of the e2e tests: the server's addresses, Apollo Client 4 and graphql-ws factories
// set up as the mobile apps set them up, and small async utilities with timeouts so that a hang
// fails a test instead of blocking the run.
import { randomUUID } from 'node:crypto';
import {
  ApolloClient,
  ApolloLink,
  HttpLink,
  InMemoryCache,
  gql,
} from '@apollo/client';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export const BASE_URL = (process.env.E2E_URL || 'http://127.0.0.1:18282').replace(/\/+$/, '');
export const GRAPHQL_URL = `${BASE_URL}/graphql`;
export const WS_URL = GRAPHQL_URL.replace(/^http/, 'ws');

export const ADMIN_EMAIL = 'admin@demo.skillswap.local';
export const ADMIN_PASSWORD = 'swap-skills-2026!';
export const STRONG_PASSWORD = 'correct-horse-battery-staple-42';

/** A fresh, unique email address for a member created by a test. */
export function uniqueEmail(tag = 'member') {
  return `e2e-${tag}-${randomUUID().slice(0, 8)}@e2e.skillswap.test`;
}

// --- Apollo Client over HTTP ---------------------------------------------------------------

/**
 * An Apollo Client over HTTP as the apps build it: HttpLink with Node's fetch, an auth link that
 * adds `Authorization: Bearer <token>` when `getToken()` returns one, and an InMemoryCache.
 * Every HTTP exchange is recorded in `client.exchanges`
 * ({ method, url, accept, status, contentType, requestId, body }).
 */
export function apolloHttpClient({ uri = GRAPHQL_URL, getToken = () => null, headers = {}, print, link, cache } = {}) {
  const exchanges = [];
  const recordingFetch = async (url, init) => {
    const res = await fetch(url, init);
    exchanges.push({
      method: init?.method ?? 'GET',
      url: String(url),
      accept: headerOf(init?.headers, 'accept'),
      status: res.status,
      contentType: res.headers.get('content-type'),
      requestId: res.headers.get('x-request-id'),
      body: await res.clone().text(),
    });
    return res;
  };
  const authLink = new ApolloLink((operation, forward) => {
    const token = getToken();
    if (token) {
      operation.setContext(({ headers: h = {} }) => ({
        headers: { ...h, authorization: `Bearer ${token}` },
      }));
    }
    return forward(operation);
  });
  const httpLink = new HttpLink({ uri, fetch: recordingFetch, headers, ...(print ? { print } : {}) });
  const client = new ApolloClient({
    link: ApolloLink.from([authLink, ...(link ? [link] : []), httpLink]),
    cache: cache ?? new InMemoryCache(),
  });
  client.exchanges = exchanges;
  return client;
}

function headerOf(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return v;
  }
  return undefined;
}

export const AUTH_FIELDS = gql`
  fragment AuthFields on AuthPayload {
    accessToken
    accessTokenExpiresAt
    refreshToken
    tokenType
    user {
      id
      email
      displayName
      roles
    }
    session {
      id
      current
    }
  }
`;

export const SIGN_UP = gql`
  mutation SignUp($in: SignUpInput!) {
    signUp(input: $in) {
      ...AuthFields
    }
  }
  ${AUTH_FIELDS}
`;

export const LOG_IN = gql`
  mutation LogIn($in: LogInInput!) {
    logIn(input: $in) {
      ...AuthFields
    }
  }
  ${AUTH_FIELDS}
`;

export const REFRESH = gql`
  mutation Refresh($in: RefreshSessionInput!) {
    refreshSession(input: $in) {
      ...AuthFields
    }
  }
  ${AUTH_FIELDS}
`;

export const LOG_OUT = gql`
  mutation LogOut {
    logOut {
      sessionId
    }
  }
`;

export const VIEWER = gql`
  query Viewer {
    viewer {
      id
      displayName
      email
      roles
    }
  }
`;

export const SET_USER_ROLES = gql`
  mutation SetUserRoles($id: ID!, $roles: [Role!]!) {
    setUserRoles(input: { userId: $id, roles: $roles }) {
      user {
        id
        roles
      }
    }
  }
`;

export const VIEWER_UPDATED = gql`
  subscription ViewerUpdated {
    viewerUpdated {
      id
      roles
    }
  }
`;

/** The printed text of VIEWER_UPDATED, for the plain graphql-ws client. */
export const VIEWER_UPDATED_TEXT = 'subscription ViewerUpdated { viewerUpdated { id roles } }';

/** Signs a new member up through Apollo Client; returns the AuthPayload. */
export const LEGAL_DOCUMENTS = gql`
  query LegalDocuments {
    legalDocuments { termsVersion privacyPolicyVersion }
  }
`;

/**
 * Signs a new member up as the app does: it shows the current terms and privacy policy
 * (`legalDocuments`) and sends the versions accepted, so messaging and booking are not gated.
 */
export async function signUpMember(tag = 'member', { uri } = {}) {
  const client = apolloHttpClient({ uri });
  const email = uniqueEmail(tag);
  const { data: legal } = await client.query({ query: LEGAL_DOCUMENTS });
  const { termsVersion, privacyPolicyVersion } = legal.legalDocuments;
  const { data } = await client.mutate({
    mutation: SIGN_UP,
    variables: { in: { email, password: STRONG_PASSWORD, displayName: `E2E ${tag}`, termsVersion, privacyPolicyVersion } },
  });
  return data.signUp;
}

/** Logs the seeded admin in through Apollo Client; returns the AuthPayload. */
export async function logInAdmin() {
  const client = apolloHttpClient();
  const { data } = await client.mutate({
    mutation: LOG_IN,
    variables: { in: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } },
  });
  return data.logIn;
}

/** An Apollo Client authenticated with a fixed access token (options as apolloHttpClient's). */
export function authedClient(accessToken, options = {}) {
  return apolloHttpClient({ ...options, getToken: () => accessToken });
}

// --- graphql-ws ------------------------------------------------------------------------------

/**
 * A graphql-ws client on ws://…/graphql with Node's `ws` package. It records its lifecycle in
 * `events` ({ type: 'connected' | 'closed' | 'error', code?, reason? }) and exposes promises:
 * `connected` (first connection_ack) and `closed` (first close event).
 */
export function wsClient({ url = WS_URL, token, connectionParams, webSocketImpl = WebSocket, ...options } = {}) {
  const events = [];
  let onConnected;
  let onClosed;
  const connected = new Promise((resolve) => (onConnected = resolve));
  const closed = new Promise((resolve) => (onClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl,
    connectionParams:
      connectionParams ?? (token === undefined ? undefined : { authorization: `Bearer ${token}` }),
    retryAttempts: 0,
    onNonLazyError: () => {}, // reported through `events` instead of console.error
    ...options,
    on: {
      connected: (_socket, payload) => {
        events.push({ type: 'connected', payload });
        onConnected(payload);
      },
      closed: (e) => {
        const ev = { type: 'closed', code: e?.code, reason: String(e?.reason ?? ''), wasClean: e?.wasClean };
        events.push(ev);
        onClosed(ev);
      },
      error: (err) => events.push({ type: 'error', message: err?.message ?? String(err) }),
      ...(options.on ?? {}),
    },
  });
  return { client, events, connected, closed };
}

/**
 * Subscribes with a graphql-ws client and collects what the sink receives.
 * Returns { values, done (promise of { error } | { complete: true }), next(pred, ms), dispose }.
 */
export function collect(client, payload) {
  const values = [];
  const waiters = [];
  let settle;
  const done = new Promise((resolve) => (settle = resolve));
  const dispose = client.subscribe(payload, {
    next: (v) => {
      values.push(v);
      for (const w of [...waiters]) w();
    },
    error: (error) => settle({ error }),
    complete: () => settle({ complete: true }),
  });
  /** Resolves with the first value (already received or future) matching pred. */
  function next(pred = () => true, ms = 5000, label = 'subscription value') {
    return withTimeout(
      new Promise((resolve) => {
        const check = () => {
          const v = values.find(pred);
          if (v !== undefined) {
            waiters.splice(waiters.indexOf(check), 1);
            resolve(v);
            return true;
          }
          return false;
        };
        waiters.push(check);
        check();
      }),
      ms,
      label,
    );
  }
  return { values, done, next, dispose };
}

/**
 * Until `delivered()` is true, calls `act()` every `intervalMs`. Neither graphql-transport-ws nor
 * any other GraphQL subscription protocol tells the client when the server has registered a
 * subscription, so an event published right after `subscribe` can be missed: tests (and apps)
 * prime the subscription with a harmless change until one event arrives.
 */
export async function primeUntil(delivered, act, { intervalMs = 250, timeoutMs = 6000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await act();
    const until = Date.now() + intervalMs;
    while (Date.now() < until) {
      if (delivered()) return;
      await sleep(25);
    }
  }
  throw new Error(`subscription did not deliver any event within ${timeoutMs} ms`);
}

// --- utilities -------------------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects with a clear message when `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, label = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs `fn` and returns what it threw (fails when it did not throw). */
export async function rejectionOf(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

export { gql, WebSocket };
