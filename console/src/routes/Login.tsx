import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, post, type Me } from "../api/client";
import { ErrorBox } from "../components/Status";

function nextPath(): string {
  const next = new URLSearchParams(window.location.search).get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/";
}

function isCodeRequest(error: Error): boolean {
  return error instanceof ApiError && error.code === "mfa_required";
}

export function Login() {
  const client = useQueryClient();
  const expired = new URLSearchParams(window.location.search).has("expired");
  const [tenant, setTenant] = useState(localStorage.getItem("fd_tenant") ?? "");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  // Asked for once the API says the right password needs a second factor (mfa_required).
  const [askCode, setAskCode] = useState(false);
  const [otp, setOtp] = useState("");
  const login = useMutation({
    mutationFn: () => post<Me>("/auth/login", { tenant, email, password, ...(askCode ? { otp } : {}) }),
    onError: (error) => {
      if (error instanceof ApiError && error.code === "mfa_required") setAskCode(true);
      if (error instanceof ApiError && error.code === "mfa_invalid") setOtp("");
    },
    onSuccess: (me) => {
      localStorage.setItem("fd_tenant", tenant);
      client.setQueryData(["me"], me);
      window.history.replaceState(null, "", nextPath());
      window.dispatchEvent(new PopStateEvent("popstate"));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };
  return (
    <div className="login">
      <form className="card" onSubmit={submit} aria-label="Log in">
        <h1>Frontdesk</h1>
        <p className="muted">Log in to the console</p>
        {expired && !login.error && <div className="status">Your session ended. Please log in again.</div>}
        {login.error && !isCodeRequest(login.error) && <ErrorBox error={login.error} />}
        <label>
          Tenant
          <input name="tenant" value={tenant} onChange={(e) => setTenant(e.target.value)} required autoComplete="organization" />
        </label>
        <label>
          E-mail
          <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="current-password"
          />
        </label>
        {askCode && (
          <label>
            Authentication code
            <input
              name="otp"
              value={otp}
              onChange={(e) => setOtp(e.target.value)}
              required
              autoFocus
              autoComplete="one-time-code"
              maxLength={64}
              aria-describedby="otp-help"
            />
            <small id="otp-help" className="muted">
              The 6-digit code from your authenticator app, or one of your recovery codes.
            </small>
          </label>
        )}
        <button type="submit" disabled={login.isPending}>
          {login.isPending ? "Logging in…" : "Log in"}
        </button>
      </form>
    </div>
  );
}
