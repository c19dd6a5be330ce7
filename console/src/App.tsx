import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { ApiError, get, hasSession, type Me } from "./api/client";
import { MeContext } from "./auth";
import { Layout } from "./components/Layout";
import { ErrorBox, Loading } from "./components/Status";
import { Faq } from "./routes/Faq";
import { Inbox } from "./routes/Inbox";
import { Login } from "./routes/Login";
import { Members } from "./routes/Members";
import { Settings } from "./routes/Settings";

// The dashboard carries the chart library: it loads with its route, not up front.
const Dashboard = lazy(() => import("./routes/Dashboard"));
const Channels = lazy(() => import("./routes/Channels"));
const Vault = lazy(() => import("./routes/Vault"));
const Intents = lazy(() => import("./routes/Intents"));
const Knowledge = lazy(() => import("./routes/Knowledge"));
const Routing = lazy(() => import("./routes/Routing"));
const WorkflowList = lazy(() => import("./workflows/WorkflowList"));
const WorkflowEditor = lazy(() => import("./workflows/EditorPage"));
const WorkflowVersions = lazy(() => import("./workflows/Versions"));
const WorkflowSimulate = lazy(() => import("./workflows/ops/SimulatePage"));
const WorkflowRuns = lazy(() => import("./workflows/Runs"));
const WorkflowRun = lazy(() => import("./workflows/RunDetail"));
const WorkflowAudit = lazy(() => import("./workflows/AuditLog"));
const Account = lazy(() => import("./routes/Account"));
const Tasks = lazy(() => import("./routes/Tasks"));
const Satisfaction = lazy(() => import("./routes/Satisfaction"));
const Assessments = lazy(() => import("./routes/Assessments"));

function Guard({ me, permission, children }: { me: Me; permission: string; children: ReactNode }) {
  if (!me.permissions.includes(permission)) {
    return (
      <div className="status error" role="alert">
        <strong>No access.</strong> Your role ({me.role}) cannot open this page.
      </div>
    );
  }
  return <>{children}</>;
}

export function App() {
  const location = useLocation();
  // Without a session cookie there is nobody to ask about: go straight to the login page.
  const me = useQuery({
    queryKey: ["me"],
    queryFn: () => (hasSession() ? get<Me>("/auth/me") : Promise.resolve(null)),
    retry: false,
  });
  if (me.isPending) return <Loading />;
  if (me.error && !(me.error instanceof ApiError && me.error.status === 401)) {
    return <ErrorBox error={me.error} retry={() => void me.refetch()} />;
  }
  if (!me.data || !me.data.member) {
    if (location.pathname === "/login") return <Login />;
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  const user = me.data;
  return (
    <MeContext.Provider value={user}>
      <Routes>
        <Route path="/login" element={<Navigate to="/" replace />} />
        <Route
          path="*"
          element={
            <Layout>
              <Suspense fallback={<Loading />}>
                <Routes>
                  <Route path="/" element={<Dashboard />} />
                  <Route path="/inbox" element={<Inbox />} />
                  <Route path="/inbox/:conversationId" element={<Inbox />} />
                  <Route path="/faq" element={<Guard me={user} permission="faq:read"><Faq /></Guard>} />
                  <Route
                    path="/knowledge"
                    element={<Guard me={user} permission="knowledge:read"><Knowledge /></Guard>}
                  />
                  <Route
                    path="/channels"
                    element={<Guard me={user} permission="channels:read"><Channels /></Guard>}
                  />
                  <Route path="/vault" element={<Guard me={user} permission="vault:write"><Vault /></Guard>} />
                  <Route path="/intents" element={<Guard me={user} permission="nlu:read"><Intents /></Guard>} />
                  <Route
                    path="/routing"
                    element={<Guard me={user} permission="routing:read"><Routing /></Guard>}
                  />
                  <Route
                    path="/workflows"
                    element={<Guard me={user} permission="workflows:read"><WorkflowList /></Guard>}
                  />
                  <Route
                    path="/workflows/:workflowId"
                    element={<Guard me={user} permission="workflows:read"><WorkflowEditor /></Guard>}
                  />
                  <Route
                    path="/workflows/:workflowId/versions"
                    element={<Guard me={user} permission="workflows:read"><WorkflowVersions /></Guard>}
                  />
                  <Route
                    path="/workflows/:workflowId/simulate"
                    element={<Guard me={user} permission="workflows:read"><WorkflowSimulate /></Guard>}
                  />
                  <Route
                    path="/workflows/:workflowId/runs"
                    element={<Guard me={user} permission="workflows:read"><WorkflowRuns /></Guard>}
                  />
                  <Route
                    path="/workflow-runs/:instanceId"
                    element={<Guard me={user} permission="workflows:read"><WorkflowRun /></Guard>}
                  />
                  <Route
                    path="/workflows/:workflowId/audit"
                    element={<Guard me={user} permission="workflows:read"><WorkflowAudit /></Guard>}
                  />
                  <Route path="/tasks" element={<Guard me={user} permission="tasks:read"><Tasks /></Guard>} />
                  <Route
                    path="/satisfaction"
                    element={<Guard me={user} permission="conversations:read"><Satisfaction /></Guard>}
                  />
                  <Route
                    path="/assessments"
                    element={<Guard me={user} permission="assessments:read"><Assessments /></Guard>}
                  />
                  <Route
                    path="/members"
                    element={<Guard me={user} permission="members:read"><Members /></Guard>}
                  />
                  <Route
                    path="/settings"
                    element={<Guard me={user} permission="tenant:write"><Settings /></Guard>}
                  />
                  <Route path="/account" element={<Account />} />
                  <Route path="*" element={<div className="status">Page not found.</div>} />
                </Routes>
              </Suspense>
            </Layout>
          }
        />
      </Routes>
    </MeContext.Provider>
  );
}
