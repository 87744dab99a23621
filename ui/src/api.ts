// Every data call of the UI: the JSON API (docs/server-api.md) with its token
// rules. On loopback, reads need no token; a server beyond loopback answers
// 401 to every call without it and every POST needs it: the UI then asks for
// the token once and keeps it in sessionStorage (this tab, until it closes).
import { connectionLost } from "./connection";
import { askToken } from "./token_dialog";

const TOKEN_KEY = "mlpipe.token";

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

// fetch with the token; a 401 asks for it (once per call) and tries again. A
// network failure raises the reconnecting banner and throws.
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers ?? {}) } });
    } catch (e) {
      if (init.signal?.aborted) throw e; // the caller gave up: not the server's fault
      connectionLost();
      throw new ApiError(0, "unreachable", "the server does not answer");
    }
    if (res.status === 401 && attempt === 0) {
      const t = await askToken(token() ? "That token was refused." : "This server needs its token.");
      if (t === null) return res;
      setToken(t);
      continue;
    }
    return res;
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(res.status, body.error?.code ?? "error", body.error?.message ?? res.statusText);
  } catch {
    return new ApiError(res.status, "error", `${res.status} ${res.statusText}`);
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await apiFetch(path);
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export async function getText(path: string): Promise<{ text: string; res: Response }> {
  const res = await apiFetch(path);
  if (!res.ok) throw await errorOf(res);
  return { text: await res.text(), res };
}

// A POST always needs the token: asked for first when there is none.
export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  if (!token()) {
    const t = await askToken("Changing state needs the server's token (its .mlpipe/token file).");
    if (t === null) throw new ApiError(401, "unauthorized", "no token given");
    setToken(t);
  }
  const res = await apiFetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export const enc = encodeURIComponent;
