import { useMe } from "../auth";

/** The web chat channel every tenant has; the other channels arrive with the channels issue. */
export function Channels() {
  const me = useMe();
  const origin = window.location.origin;
  const sessions = `${origin}/api/v1/webchat/${me.tenant.slug}/sessions`;
  return (
    <section>
      <h1>Channels</h1>
      <table>
        <thead>
          <tr>
            <th>Channel</th>
            <th>Status</th>
            <th>Endpoint</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>Web chat</td>
            <td>
              <span className="badge s-bot">connected</span>
            </td>
            <td>
              <code className="wrap">{sessions}</code>
            </td>
          </tr>
        </tbody>
      </table>
      <div className="panel">
        <h2>Connect web chat</h2>
        <p>
          Your web chat is always on. A site opens a session with <code>POST {sessions}</code>, then posts the visitor's
          messages and reads the replies (live over server-sent events). Provider channels (WhatsApp, Telegram, e-mail…)
          and their webhook URLs, of the form <code>{`${origin}/webhooks/${me.tenant.slug}/<channel id>`}</code>, are
          listed here once the channels feature lands.
        </p>
      </div>
    </section>
  );
}
