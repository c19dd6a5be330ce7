import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { post, type MfaRecoveryCodes, type MfaSetup } from "../api/client";
import { useMe } from "../auth";
import { ErrorBox } from "../components/Status";

/** The member's own account security: set up, confirm and turn off the authenticator app (MFA). */
export default function Account() {
  const me = useMe();
  const mfa = me.mfa;
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <section>
      <h1>Account security</h1>
      <div className="panel" role="region" aria-label="Two-factor authentication">
        <h2>Two-factor authentication</h2>
        {codes && <RecoveryCodes codes={codes} />}
        {mfa?.enabled ? (
          <>
            <div className="status" role="status">
              Two-factor authentication is <strong>on</strong>. {mfa.recovery_codes_left} recovery codes left.{" "}
              {mfa.session
                ? "This login gave a code."
                : "This login did not give a code: log in again with one to decide approvals that require MFA."}
            </div>
            <Disable onDone={() => setCodes(null)} />
          </>
        ) : (
          <Enrol onDone={setCodes} />
        )}
      </div>
    </section>
  );
}

function Enrol({ onDone }: { onDone: (codes: string[]) => void }) {
  const client = useQueryClient();
  const [setup, setSetup] = useState<MfaSetup | null>(null);
  const [code, setCode] = useState("");
  const start = useMutation({ mutationFn: () => post<MfaSetup>("/auth/mfa/setup"), onSuccess: setSetup });
  const confirm = useMutation({
    mutationFn: () => post<MfaRecoveryCodes>("/auth/mfa/confirm", { code }),
    onSuccess: (done) => {
      setSetup(null);
      onDone(done.recovery_codes);
      void client.invalidateQueries({ queryKey: ["me"] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    confirm.mutate();
  };
  if (!setup) {
    return (
      <>
        <p className="muted">
          Protect your login with an authenticator app (a code that changes every 30 seconds). Approvals marked
          “requires MFA” can only be decided from a login that gave such a code.
        </p>
        <button type="button" onClick={() => start.mutate()} disabled={start.isPending}>
          Set up authenticator app
        </button>
        {start.error && <ErrorBox error={start.error} />}
      </>
    );
  }
  return (
    <form className="form" onSubmit={submit} aria-label="Confirm authenticator">
      <p>Scan this QR code with your authenticator app, or type the key in by hand.</p>
      <img src={setup.qr_svg} alt="QR code for your authenticator app" width={200} height={200} />
      <p>
        Key: <code className="mono wrap" data-testid="mfa-secret">{setup.secret}</code>
      </p>
      <label>
        Code from the app
        <input
          value={code}
          onChange={(e) => setCode(e.target.value)}
          required
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={64}
        />
      </label>
      <button type="submit" disabled={confirm.isPending}>
        Turn on
      </button>
      {confirm.error && <ErrorBox error={confirm.error} />}
    </form>
  );
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="status" role="region" aria-label="Recovery codes">
      <p>
        <strong>Save these recovery codes now</strong> — they are shown only this once. Each one logs you in once if
        you lose your phone.
      </p>
      <ul className="mono">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
    </div>
  );
}

function Disable({ onDone }: { onDone: () => void }) {
  const client = useQueryClient();
  const [code, setCode] = useState("");
  const disable = useMutation({
    mutationFn: () => post<void>("/auth/mfa/disable", { code }),
    onSuccess: () => {
      setCode("");
      onDone();
      void client.invalidateQueries({ queryKey: ["me"] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    disable.mutate();
  };
  return (
    <form className="row wrap" onSubmit={submit} aria-label="Turn off two-factor authentication">
      <input
        aria-label="Current code or recovery code"
        placeholder="code or recovery code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
        required
        maxLength={64}
      />
      <button type="submit" className="danger" disabled={disable.isPending}>
        Turn off
      </button>
      {disable.error && <ErrorBox error={disable.error} />}
    </form>
  );
}
