import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { del, get, post, put, type ApiKey, type ApiKeyCreated, type Member, type Role } from "../api/client";
import { useCan, useMe } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";

export const ROLES: Role[] = ["admin", "config_manager", "developer", "agent", "viewer"];

export function Members() {
  const canWrite = useCan("members:write");
  const canKeys = useCan("apikeys:read");
  return (
    <section>
      <h1>Members, roles and API keys</h1>
      <MemberList canWrite={canWrite} />
      {canKeys && <KeyList canWrite={useCan("apikeys:write")} />}
    </section>
  );
}

function MemberList({ canWrite }: { canWrite: boolean }) {
  const me = useMe();
  const client = useQueryClient();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const [password, setPassword] = useState("");
  const list = useQuery({ queryKey: ["members"], queryFn: () => get<Member[]>("/members") });
  const done = () => {
    void client.invalidateQueries({ queryKey: ["members"] });
    void client.invalidateQueries({ queryKey: ["team"] });
  };
  const create = useMutation({
    mutationFn: async () => {
      const member = await post<Member>("/members", { email, name, role });
      if (password) await put<Member>(`/members/${member.id}/password`, { password });
    },
    onSuccess: () => {
      setEmail("");
      setName("");
      setPassword("");
      done();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`/members/${id}`), onSuccess: done });
  const resetMfa = useMutation({ mutationFn: (id: string) => del<Member>(`/members/${id}/mfa`), onSuccess: done });
  const setPwd = useMutation({
    mutationFn: ({ id, pwd }: { id: string; pwd: string }) => put<Member>(`/members/${id}/password`, { password: pwd }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <div className="panel">
      <h2>Members</h2>
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
      {list.data?.length === 0 && <Empty>No members yet.</Empty>}
      {list.data && list.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>E-mail</th>
              <th>Name</th>
              <th>Role</th>
              <th>MFA</th>
              {canWrite && <th />}
            </tr>
          </thead>
          <tbody>
            {list.data.map((m) => (
              <tr key={m.id}>
                <td>{m.email}</td>
                <td>{m.name}</td>
                <td>
                  <span className="badge">{m.role}</span>
                </td>
                <td>{m.mfa_enabled ? "on" : "off"}</td>
                {canWrite && (
                  <td className="row">
                    <button
                      className="secondary"
                      onClick={() => {
                        const pwd = window.prompt(`New password for ${m.email} (8+ characters)`);
                        if (pwd) setPwd.mutate({ id: m.id, pwd });
                      }}
                    >
                      Set password
                    </button>
                    {m.mfa_enabled && (
                      <button
                        className="secondary"
                        onClick={() =>
                          window.confirm(`Reset two-factor authentication for ${m.email}? They log in with the password alone until they set it up again.`) &&
                          resetMfa.mutate(m.id)
                        }
                      >
                        Reset MFA
                      </button>
                    )}
                    {m.id !== me.member?.id && (
                      <button className="danger" onClick={() => window.confirm(`Remove ${m.email}?`) && remove.mutate(m.id)}>
                        Remove
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {setPwd.isSuccess && <div className="status">Password set.</div>}
      {resetMfa.isSuccess && <div className="status">MFA reset.</div>}
      {[remove.error, setPwd.error, resetMfa.error].map((e, i) => e && <ErrorBox key={i} error={e} />)}
      {canWrite && (
        <form className="row wrap" onSubmit={submit} aria-label="Add member">
          <input aria-label="E-mail" type="email" placeholder="e-mail" value={email} onChange={(e) => setEmail(e.target.value)} required />
          <input aria-label="Name" placeholder="name" value={name} onChange={(e) => setName(e.target.value)} />
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <input
            aria-label="Password"
            type="password"
            placeholder="password (optional)"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            minLength={8}
          />
          <button type="submit" disabled={create.isPending}>
            Add member
          </button>
        </form>
      )}
      {create.error && <ErrorBox error={create.error} />}
    </div>
  );
}

function KeyList({ canWrite }: { canWrite: boolean }) {
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const list = useQuery({ queryKey: ["api-keys"], queryFn: () => get<ApiKey[]>("/api-keys") });
  const done = () => void client.invalidateQueries({ queryKey: ["api-keys"] });
  const create = useMutation({
    mutationFn: () => post<ApiKeyCreated>("/api-keys", { name, role }),
    onSuccess: (key) => {
      setCreated(key);
      setName("");
      done();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => del(`/api-keys/${id}`), onSuccess: done });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <div className="panel">
      <h2>API keys</h2>
      {created && (
        <div className="status" role="status">
          New key (shown only now): <code className="wrap">{created.key}</code>
        </div>
      )}
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} />}
      {list.data && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Role</th>
              <th>Last used</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((k) => (
              <tr key={k.id}>
                <td>{k.name || "—"}</td>
                <td className="mono">fd_{k.prefix}_…</td>
                <td>{k.role}</td>
                <td>{k.last_used_at ? new Date(k.last_used_at).toLocaleString() : "never"}</td>
                <td>
                  {k.revoked_at ? (
                    "revoked"
                  ) : canWrite ? (
                    <button className="danger" onClick={() => window.confirm("Revoke this key?") && revoke.mutate(k.id)}>
                      Revoke
                    </button>
                  ) : (
                    "active"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite && (
        <form className="row wrap" onSubmit={submit} aria-label="Create API key">
          <input aria-label="Key name" placeholder="label" value={name} onChange={(e) => setName(e.target.value)} />
          <select aria-label="Key role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button type="submit" disabled={create.isPending}>
            Create key
          </button>
        </form>
      )}
      {[create.error, revoke.error].map((e, i) => e && <ErrorBox key={i} error={e} />)}
    </div>
  );
}
