import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import {
  del,
  get,
  patch,
  post,
  type Channel,
  type ChannelCreated,
  type ChannelType,
  type Credential,
  type TestSendResult,
} from "../api/client";
import { useCan } from "../auth";
import { CopyField } from "../components/Copy";
import { Empty, ErrorBox, Loading } from "../components/Status";

const LABELS: Record<string, string> = {
  webchat: "Web chat",
  whatsapp: "WhatsApp",
  messenger: "Messenger",
  instagram: "Instagram",
  telegram: "Telegram",
  slack: "Slack",
  signal: "Signal",
  twilio: "SMS (Twilio)",
  email: "E-mail",
};

const typeLabel = (type: string) => LABELS[type] ?? type;
const fieldLabel = (name: string) => name.replace(/_/g, " ");

/** The tenant's active vault credentials, for readers of the vault (others type secrets in). */
function useVaultCredentials() {
  const canRead = useCan("vault:read");
  return useQuery({
    queryKey: ["vault"],
    queryFn: () => get<Credential[]>("/vault/credentials"),
    enabled: canRead,
    select: (all) => all.filter((c) => c.status === "active"),
  });
}

/** One secret of a channel: typed in (stored encrypted with the channel) or taken from the vault. */
function SecretInput({
  name,
  value,
  source,
  vault,
  onValue,
  onSource,
}: {
  name: string;
  value: string;
  source: string;
  vault: Credential[];
  onValue: (value: string) => void;
  onSource: (credentialId: string) => void;
}) {
  return (
    <div className="secret-field">
      {vault.length > 0 && (
        <label>
          {fieldLabel(name)} from
          <select aria-label={`${fieldLabel(name)} source`} value={source} onChange={(e) => onSource(e.target.value)}>
            <option value="">typed in here</option>
            {vault.map((c) => (
              <option key={c.id} value={c.id}>
                vault: {c.name} ({c.type})
              </option>
            ))}
          </select>
        </label>
      )}
      {!source && (
        <label>
          {fieldLabel(name)}
          <input
            name={name}
            type="password"
            autoComplete="new-password"
            required
            value={value}
            onChange={(e) => onValue(e.target.value)}
          />
        </label>
      )}
    </div>
  );
}

/** The form that connects a channel of any type with the fields its adapter requires. */
function ConnectForm({ types, onCreated }: { types: ChannelType[]; onCreated: (c: ChannelCreated) => void }) {
  const choices = types.filter((t) => t.webhook);
  const [type, setType] = useState(choices[0]?.type ?? "");
  const [name, setName] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [sources, setSources] = useState<Record<string, string>>({});
  const vault = useVaultCredentials();
  const spec = choices.find((t) => t.type === type);
  const create = useMutation({
    mutationFn: () => {
      const secrets = spec?.required_credentials ?? [];
      const typed = secrets.filter((k) => !sources[k]);
      const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => values[k]).map((k) => [k, values[k]]));
      return post<ChannelCreated>("/channels", {
        type,
        name: name.trim() || typeLabel(type),
        config: pick(spec?.required_config ?? []),
        credentials: pick(typed),
        vault_credentials: Object.fromEntries(
          secrets.filter((k) => sources[k]).map((k) => [k, { credential_id: sources[k] }]),
        ),
      });
    },
    onSuccess: (created) => {
      setValues({});
      setSources({});
      setName("");
      onCreated(created);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Connect a channel">
      <h2>Connect a channel</h2>
      <label>
        Type
        <select name="type" value={type} onChange={(e) => setType(e.target.value)}>
          {choices.map((t) => (
            <option key={t.type} value={t.type}>
              {typeLabel(t.type)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Name
        <input name="name" value={name} maxLength={200} placeholder={typeLabel(type)} onChange={(e) => setName(e.target.value)} />
      </label>
      {spec?.required_config.map((k) => (
        <label key={k}>
          {fieldLabel(k)}
          <input
            name={k}
            autoComplete="off"
            required
            value={values[k] ?? ""}
            onChange={(e) => setValues({ ...values, [k]: e.target.value })}
          />
        </label>
      ))}
      {spec?.required_credentials.map((k) => (
        <SecretInput
          key={k}
          name={k}
          value={values[k] ?? ""}
          source={sources[k] ?? ""}
          vault={vault.data ?? []}
          onValue={(v) => setValues({ ...values, [k]: v })}
          onSource={(id) => setSources({ ...sources, [k]: id })}
        />
      ))}
      {spec?.generated_credential && (
        <p className="muted small">Frontdesk generates the {fieldLabel(spec.generated_credential)}; it is shown once.</p>
      )}
      {create.error && <ErrorBox error={create.error} />}
      <div className="row">
        <button type="submit" disabled={create.isPending || !spec}>
          Connect
        </button>
      </div>
    </form>
  );
}

/** The webhook URL and the generated secret of a new channel, shown once. */
function Created({ channel, generated, onClose }: { channel: ChannelCreated; generated?: string | null; onClose: () => void }) {
  return (
    <div className="panel created" role="status" aria-label="Channel connected">
      <h2>{channel.name} is connected</h2>
      <p>Give the provider this webhook URL{channel.verify_token ? " and secret" : ""}. The secret is not shown again.</p>
      {channel.webhook_url && <CopyField label="Webhook URL" value={channel.webhook_url} />}
      {channel.verify_token && <CopyField label={fieldLabel(generated ?? "secret")} value={channel.verify_token} />}
      <button type="button" className="secondary" onClick={onClose}>
        Done
      </button>
    </div>
  );
}

function TestSend({ channel }: { channel: Channel }) {
  const [to, setTo] = useState("");
  const [text, setText] = useState("Test message from Frontdesk");
  const send = useMutation({
    mutationFn: () => post<TestSendResult>(`/channels/${channel.id}/test-send`, { to: to.trim(), reply: { text } }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    send.mutate();
  };
  return (
    <form className="row flow" onSubmit={submit} aria-label={`Test-send on ${channel.name}`}>
      <input aria-label="Recipient" placeholder="Recipient id" required value={to} onChange={(e) => setTo(e.target.value)} />
      <input aria-label="Text" required value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" className="secondary" disabled={send.isPending}>
        Send test
      </button>
      {send.data && (
        <span className="muted small">
          Sent ({send.data.provider_message_ids.join(", ") || "no id"})
          {send.data.degradations.length > 0 && ` · degraded: ${send.data.degradations.join(", ")}`}
        </span>
      )}
      {send.error && <ErrorBox error={send.error} />}
    </form>
  );
}

function ChannelRow({
  channel,
  canWrite,
  vaultNames,
  onChange,
}: {
  channel: Channel;
  canWrite: boolean;
  vaultNames: Record<string, string>;
  onChange: () => void;
}) {
  const [testing, setTesting] = useState(false);
  const toggle = useMutation({
    mutationFn: () => patch<Channel>(`/channels/${channel.id}`, { enabled: !channel.enabled }),
    onSuccess: onChange,
  });
  const remove = useMutation({ mutationFn: () => del(`/channels/${channel.id}`), onSuccess: onChange });
  const secrets = Object.entries(channel.credentials);
  const vaulted = Object.entries(channel.vault_credentials ?? {});
  return (
    <tr data-testid="channel-row">
      <td>{typeLabel(channel.type)}</td>
      <td>
        {channel.name}
        {secrets.length + vaulted.length > 0 && (
          <div className="muted small">
            {secrets.map(([k, v]) => (
              <span key={k}>
                {fieldLabel(k)}: <code>{v}</code>{" "}
              </span>
            ))}
            {vaulted.map(([k, ref]) => (
              <span key={k} data-testid="vault-field">
                {fieldLabel(k)}: vault · {vaultNames[ref.credential_id] ?? ref.credential_id}{" "}
              </span>
            ))}
          </div>
        )}
      </td>
      <td>
        <span className={channel.enabled ? "badge s-bot" : "badge s-closed"}>{channel.enabled ? "enabled" : "disabled"}</span>
      </td>
      <td>{channel.webhook_url ? <code className="wrap">{channel.webhook_url}</code> : <span className="muted">in app</span>}</td>
      {canWrite && (
        <td>
          <div className="row flow">
            {channel.webhook_url && (
              <button type="button" className="secondary" onClick={() => setTesting(!testing)}>
                Test send
              </button>
            )}
            <button type="button" className="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
              {channel.enabled ? "Disable" : "Enable"}
            </button>
            {channel.type !== "webchat" && (
              <button
                type="button"
                className="danger"
                onClick={() => window.confirm(`Delete the channel "${channel.name}"?`) && remove.mutate()}
              >
                Delete
              </button>
            )}
          </div>
          {testing && <TestSend channel={channel} />}
          {toggle.error && <ErrorBox error={toggle.error} />}
          {remove.error && <ErrorBox error={remove.error} />}
        </td>
      )}
    </tr>
  );
}

/** Every channel of the tenant; connect, test, enable / disable and delete them. */
export default function Channels() {
  const canWrite = useCan("channels:write");
  const client = useQueryClient();
  const [created, setCreated] = useState<ChannelCreated | null>(null);
  const list = useQuery({ queryKey: ["channels"], queryFn: () => get<Channel[]>("/channels") });
  const types = useQuery({ queryKey: ["channel-types"], queryFn: () => get<ChannelType[]>("/channels/types") });
  const refresh = () => void client.invalidateQueries({ queryKey: ["channels"] });
  const vault = useVaultCredentials();
  const vaultNames = Object.fromEntries((vault.data ?? []).map((c) => [c.id, c.name]));
  const generated = types.data?.find((t) => t.type === created?.type)?.generated_credential;
  return (
    <section>
      <h1>Channels</h1>
      {created && <Created channel={created} generated={generated} onClose={() => setCreated(null)} />}
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
      {list.data?.length === 0 && <Empty>No channels yet.</Empty>}
      {list.data && list.data.length > 0 && (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>Type</th>
                <th>Name</th>
                <th>Status</th>
                <th>Webhook URL</th>
                {canWrite && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {list.data.map((channel) => (
                <ChannelRow key={channel.id} channel={channel} canWrite={canWrite} vaultNames={vaultNames} onChange={refresh} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canWrite && types.error && <ErrorBox error={types.error} />}
      {canWrite && types.data && (
        <ConnectForm
          types={types.data}
          onCreated={(c) => {
            setCreated(c);
            refresh();
          }}
        />
      )}
    </section>
  );
}
