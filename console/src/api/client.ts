// A small typed client over fetch: same-origin cookies, the CSRF header on writes, and
// problem+json errors turned into ApiError with a readable message.
import type { components } from "./schema";

export type Schemas = components["schemas"];
export type Me = Schemas["Me"];
export type Conversation = Schemas["ConversationPublic"];
export type ConversationSummary = Schemas["ConversationSummary"];
export type ConversationDetail = Schemas["ConversationDetail"];
export type Message = Schemas["MessagePublic"];
export type Faq = Schemas["FaqPublic"];
export type FaqCreate = Schemas["FaqCreate"];
export type FaqUpdate = Schemas["FaqUpdate"];
export type Member = Schemas["MemberPublic"];
export type TeamMember = Schemas["TeamMember"];
export type MemberCreate = Schemas["MemberCreate"];
export type ApiKey = Schemas["ApiKeyPublic"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type Tenant = Schemas["TenantPublic"];
export type TenantUpdate = Schemas["TenantUpdate"];
export type Stats = Schemas["Stats"];
export type Role = Schemas["Role"];
export type MfaSetup = Schemas["MfaSetupOut"];
export type MfaRecoveryCodes = Schemas["MfaRecoveryCodes"];

/** One entry of a 422 body's `errors`: where (`loc`, "body" first) and what. */
export interface FieldError {
  loc: (string | number)[];
  msg: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

/** Called on every 401, so the app can send the user back to the login page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** True when the browser holds a console session (its readable CSRF cookie). */
export function hasSession(): boolean {
  return csrfToken() !== undefined;
}

function csrfToken(): string | undefined {
  const match = document.cookie.match(/(?:^|;\s*)fd_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : undefined;
}

interface ProblemBody {
  detail?: string;
  title?: string;
  code?: string;
  errors?: FieldError[];
}

/** A readable message from a problem+json body (validation errors name the field). */
export function problemMessage(body: ProblemBody, status: number): string {
  if (body.errors?.length) {
    return body.errors
      .map((e) => `${e.loc.filter((p) => p !== "body").join(".")}: ${e.msg}`)
      .join("; ");
  }
  return body.detail || body.title || `Request failed (${status})`;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string | number | boolean | undefined | null>,
): Promise<T> {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const csrf = csrfToken();
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const problem = (data ?? {}) as ProblemBody;
    const error = new ApiError(
      response.status,
      problem.code ?? "error",
      problemMessage(problem, response.status),
      problem.errors ?? [],
    );
    if (response.status === 401 && !path.startsWith("/auth/login")) onUnauthorized();
    throw error;
  }
  return data as T;
}

export const get = <T>(path: string, query?: Record<string, string | number | boolean | undefined | null>) =>
  api<T>("GET", path, undefined, query);
export const post = <T>(path: string, body?: unknown) => api<T>("POST", path, body);
export const patch = <T>(path: string, body: unknown) => api<T>("PATCH", path, body);
export const put = <T>(path: string, body: unknown) => api<T>("PUT", path, body);
export const del = <T>(path: string) => api<T>("DELETE", path);
export type Channel = Schemas["ChannelPublic"];
export type ChannelCreated = Schemas["ChannelCreated"];
export type ChannelType = Schemas["ChannelType"];
export type TestSendResult = Schemas["TestSendResult"];
export type Credential = Schemas["CredentialPublic"];
export type CredentialTest = Schemas["TestPublic"];
export type CredentialUsage = Schemas["UsagePublic"];
export type Revoked = Schemas["RevokedPublic"];
export type AuditEntry = Schemas["AuditPublic"];
export type Example = Schemas["ExamplePublic"];
export type IntentModel = Schemas["IntentModelPublic"];

/** POST a raw text body (e.g. a CSV file) with the CSRF header; problem+json errors as ApiError. */
export async function postText<T>(path: string, body: string, contentType: string): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "Content-Type": contentType };
  const csrf = csrfToken();
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(`/api/v1${path}`, { method: "POST", headers, credentials: "same-origin", body });
  const data = (await response.json().catch(() => ({}))) as ProblemBody & T;
  if (!response.ok) throw new ApiError(response.status, data.code ?? "error", problemMessage(data, response.status));
  return data;
}
export type Namespace = Schemas["NamespacePublic"];
export type KbDocument = Schemas["DocumentPublic"];
export type IngestJob = Schemas["IngestJobPublic"];
export type KbQueryResponse = Schemas["QueryResponse"];
export type KbAnswer = Schemas["Answer"];

/** POST a file as the raw body through XMLHttpRequest, reporting upload progress (0..1). */
export function uploadWithProgress<T>(path: string, file: Blob, onProgress: (share: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    const csrf = csrfToken();
    if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "The server cannot be reached. Check your connection."));
    xhr.onload = () => {
      let data: unknown = {};
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      } catch {
        data = {};
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(data as T);
        return;
      }
      const problem = data as ProblemBody;
      if (xhr.status === 401) onUnauthorized();
      reject(new ApiError(xhr.status, problem.code ?? "error", problemMessage(problem, xhr.status)));
    };
    xhr.send(file);
  });
}
