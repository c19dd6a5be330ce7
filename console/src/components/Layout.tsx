import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { NavLink } from "react-router-dom";
import { post } from "../api/client";
import { useMe } from "../auth";
import { useLiveEvents } from "../live";

interface NavItem {
  to: string;
  label: string;
  permission: string;
}

export const NAV: NavItem[] = [
  { to: "/", label: "Dashboard", permission: "conversations:read" },
  { to: "/inbox", label: "Inbox", permission: "conversations:read" },
  { to: "/tasks", label: "Tasks", permission: "tasks:read" },
  { to: "/satisfaction", label: "Satisfaction", permission: "conversations:read" },
  { to: "/faq", label: "FAQ", permission: "faq:read" },
  { to: "/knowledge", label: "Knowledge", permission: "knowledge:read" },
  { to: "/channels", label: "Channels", permission: "channels:read" },
  { to: "/intents", label: "Intents", permission: "nlu:read" },
  { to: "/routing", label: "Routing", permission: "routing:read" },
  { to: "/workflows", label: "Workflows", permission: "workflows:read" },
  { to: "/assessments", label: "Assessments", permission: "assessments:read" },
  // Viewers may read the vault's list through the API; the page is for those who manage it.
  { to: "/vault", label: "Vault", permission: "vault:write" },
  { to: "/members", label: "Members & keys", permission: "members:read" },
  { to: "/settings", label: "Settings", permission: "tenant:write" },
  { to: "/account", label: "Account security", permission: "tenant:read" },
];

/** Places kept for the pages that arrive with their own issues. */
export const COMING = ["Bots"];

export function Layout({ children }: { children: ReactNode }) {
  const me = useMe();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const { connected } = useLiveEvents();
  const logout = useMutation({
    mutationFn: () => post<void>("/auth/logout"),
    onSettled: () => {
      client.clear();
      window.location.assign("/login");
    },
  });
  const items = NAV.filter((item) => me.permissions.includes(item.permission));
  return (
    <div className="shell">
      <header className="topbar">
        <button type="button" className="menu" aria-label="Menu" aria-expanded={open} onClick={() => setOpen(!open)}>
          ☰
        </button>
        <span className="brand">Frontdesk</span>
        <span className={connected ? "live on" : "live"} title={connected ? "Live updates on" : "Reconnecting…"}>
          {connected ? "● live" : "○ offline"}
        </span>
        <span className="who">
          {me.member?.email} · <span className="badge">{me.role}</span> · {me.tenant.slug}
        </span>
        <button type="button" className="secondary" onClick={() => logout.mutate()}>
          Log out
        </button>
      </header>
      <nav className={open ? "side open" : "side"} aria-label="Main">
        {items.map((item) => (
          <NavLink key={item.to} to={item.to} end={item.to === "/"} onClick={() => setOpen(false)}>
            {item.label}
          </NavLink>
        ))}
        <div className="soon" aria-label="Coming soon">
          {COMING.map((label) => (
            <span key={label} title="Arrives with its own issue">
              {label} <small>soon</small>
            </span>
          ))}
        </div>
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}
