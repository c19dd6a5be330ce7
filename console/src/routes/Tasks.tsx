import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { get, patch, post, type Schemas, type TeamMember } from "../api/client";
import { useCan, useMe } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { useTeam } from "../workflows/ops/members";

type Task = Schemas["frontdesk__tasks__schemas__TaskPublic"];
type TaskCreate = Schemas["TaskCreate"];
type Priority = TaskCreate["priority"];

const STATUSES = ["", "open", "in_progress", "completed", "cancelled"] as const;
const STATUS_LABEL: Record<string, string> = {
  "": "All",
  open: "Open",
  in_progress: "In progress",
  completed: "Completed",
  cancelled: "Cancelled",
};
// The conversation badges' colours: waiting, someone on it, done, closed.
const STATUS_CLASS: Record<Task["status"], string> = {
  open: "s-waiting",
  in_progress: "s-human",
  completed: "s-bot",
  cancelled: "s-closed",
};
const PRIORITIES: Priority[] = ["low", "normal", "high", "urgent"];

export interface Assignee {
  id: string;
  label: string;
}

/** Who can be picked as assignee: every member of the team, or oneself until it has loaded. */
export function assigneeOptions(members: TeamMember[] | undefined, meId: string, meEmail: string): Assignee[] {
  if (!members) return [{ id: meId, label: `${meEmail} (you)` }];
  return members.map((m) => ({ id: m.id, label: m.id === meId ? `${m.email} (you)` : m.email }));
}

/** A readable assignee: the member's e-mail when known, else the end of the id. */
export function assigneeLabel(id: string | null, options: Assignee[]): string {
  if (!id) return "—";
  return options.find((o) => o.id === id)?.label ?? `member …${id.slice(-6)}`;
}

/** A `datetime-local` value as an ISO date with a time zone (the API refuses naive dates). */
export function dueIso(local: string): string | null {
  if (!local) return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** What the API kept when the task was closed: the member's note, a workflow's result. */
export function closing(data: Task["data"]): { note: string; result: string } {
  const note = typeof data.note === "string" ? data.note : "";
  const result =
    data.result && typeof data.result === "object" && Object.keys(data.result).length > 0
      ? JSON.stringify(data.result)
      : "";
  return { note, result };
}

function when(value: string | null): string {
  return value ? new Date(value).toLocaleString() : "—";
}

function useAssignees(): Assignee[] {
  const me = useMe();
  return assigneeOptions(useTeam(), me.member?.id ?? "", me.member?.email ?? "");
}

/** Whose tasks the list shows: anyone's, the signed-in member's, or nobody's. */
type Owner = "" | "mine" | "nobody";

export default function Tasks() {
  const canWrite = useCan("tasks:write");
  const assignees = useAssignees();
  const [status, setStatus] = useState<string>("");
  const [owner, setOwner] = useState<Owner>("");
  const [adding, setAdding] = useState(false);
  const list = useQuery({
    queryKey: ["tasks", status, owner],
    queryFn: () =>
      get<Task[]>("/tasks", {
        status,
        mine: owner === "mine" || undefined,
        unassigned: owner === "nobody" || undefined,
        limit: 200,
      }),
  });
  return (
    <section>
      <div className="row between">
        <h1>Tasks</h1>
        {canWrite && !adding && <button onClick={() => setAdding(true)}>New task</button>}
      </div>
      {adding && <TaskForm assignees={assignees} onDone={() => setAdding(false)} />}
      <div className="row filters">
        <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </select>
        <select aria-label="Whose tasks" value={owner} onChange={(e) => setOwner(e.target.value as Owner)}>
          <option value="">Anyone's</option>
          <option value="mine">Assigned to me</option>
          <option value="nobody">Unassigned</option>
        </select>
      </div>
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
      {list.data?.length === 0 && <Empty>No tasks match.</Empty>}
      {list.data && list.data.length > 0 && (
        <div className="scroll">
          <table aria-label="Tasks">
            <thead>
              <tr>
                <th>Task</th>
                <th>Status</th>
                <th>Assignee</th>
                <th>Due</th>
                <th>Conversation</th>
                <th>Created</th>
                {canWrite && <th />}
              </tr>
            </thead>
            <tbody>
              {list.data.map((task) => (
                <TaskRow key={task.id} task={task} assignees={assignees} canWrite={canWrite} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function useRefresh(): () => void {
  const client = useQueryClient();
  return () => void client.invalidateQueries({ queryKey: ["tasks"] });
}

function TaskForm({ assignees, onDone }: { assignees: Assignee[]; onDone: () => void }) {
  const refresh = useRefresh();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [assignee, setAssignee] = useState("");
  const [due, setDue] = useState("");
  const [priority, setPriority] = useState<Priority>("normal");
  const [conversation, setConversation] = useState("");
  const create = useMutation({
    mutationFn: () =>
      post<Task>("/tasks", {
        title,
        description,
        priority,
        assignee_id: assignee || null,
        due_at: dueIso(due),
        conversation_id: conversation.trim() || null,
      } satisfies TaskCreate),
    onSuccess: () => {
      refresh();
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="New task">
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={300} />
      </label>
      <label>
        Description
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} maxLength={5000} />
      </label>
      <label>
        Assignee
        <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
          <option value="">Nobody</option>
          {assignees.map((a) => (
            <option key={a.id} value={a.id}>
              {a.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Due
        <input type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
      </label>
      <label>
        Priority
        <select value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
          {PRIORITIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label>
        Conversation id (optional)
        <input value={conversation} onChange={(e) => setConversation(e.target.value)} maxLength={36} className="mono" />
      </label>
      {create.error && <ErrorBox error={create.error} />}
      <div className="row">
        <button type="submit" disabled={create.isPending}>
          Create task
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function TaskRow({ task, assignees, canWrite }: { task: Task; assignees: Assignee[]; canWrite: boolean }) {
  const { note, result } = closing(task.data);
  const active = task.status === "open" || task.status === "in_progress";
  return (
    <tr data-testid="task-row">
      <td>
        <strong>{task.title}</strong> <span className="muted small mono task-ref">{task.ref}</span>
        {task.priority !== "normal" && <span className="badge">{task.priority}</span>}
        {task.description && <div className="muted small task-text">{task.description}</div>}
        {note && (
          <div className="small task-text" data-testid="task-note">
            Note: {note}
          </div>
        )}
        {result && <div className="small mono wrap">Result: {result}</div>}
      </td>
      <td>
        <span className={`badge ${STATUS_CLASS[task.status]}`}>{STATUS_LABEL[task.status]}</span>
      </td>
      <td>
        {canWrite && active ? <Reassign task={task} assignees={assignees} /> : assigneeLabel(task.assignee_id, assignees)}
      </td>
      <td>
        {when(task.due_at)}
        {task.overdue && <div className="small overdue">overdue</div>}
      </td>
      <td>
        {task.conversation_id ? (
          <Link to={`/inbox/${task.conversation_id}`} className="mono">
            #{task.conversation_id.slice(-6)}
          </Link>
        ) : (
          "—"
        )}
      </td>
      <td>{when(task.created_at)}</td>
      {canWrite && <td>{active && <TaskActions task={task} />}</td>}
    </tr>
  );
}

function Reassign({ task, assignees }: { task: Task; assignees: Assignee[] }) {
  const refresh = useRefresh();
  const change = useMutation({
    mutationFn: (assignee: string) => patch<Task>(`/tasks/${task.id}`, { assignee_id: assignee || null }),
    onSuccess: refresh,
  });
  // A member the list does not hold (not loaded yet, or removed since) stays choosable as is.
  const current = task.assignee_id;
  const options = current && !assignees.some((a) => a.id === current)
    ? [...assignees, { id: current, label: assigneeLabel(current, assignees) }]
    : assignees;
  return (
    <>
      <select
        aria-label="Assignee"
        value={current ?? ""}
        disabled={change.isPending}
        onChange={(e) => change.mutate(e.target.value)}
      >
        <option value="">Nobody</option>
        {options.map((a) => (
          <option key={a.id} value={a.id}>
            {a.label}
          </option>
        ))}
      </select>
      {change.error && <ErrorBox error={change.error} />}
    </>
  );
}

function TaskActions({ task }: { task: Task }) {
  const refresh = useRefresh();
  const [closing, setClosing] = useState<"complete" | "cancel" | null>(null);
  const start = useMutation({ mutationFn: () => post<Task>(`/tasks/${task.id}/start`), onSuccess: refresh });
  if (closing) return <CloseForm task={task} action={closing} onDone={() => setClosing(null)} />;
  return (
    <div className="row flow">
      {task.status === "open" && (
        <button type="button" onClick={() => start.mutate()} disabled={start.isPending}>
          Start
        </button>
      )}
      <button type="button" className="secondary" onClick={() => setClosing("complete")}>
        Complete
      </button>
      <button type="button" className="danger" onClick={() => setClosing("cancel")}>
        Cancel task
      </button>
      {start.error && <ErrorBox error={start.error} />}
    </div>
  );
}

/** Completing or cancelling, with the note the API keeps on the task. */
function CloseForm({ task, action, onDone }: { task: Task; action: "complete" | "cancel"; onDone: () => void }) {
  const refresh = useRefresh();
  const [note, setNote] = useState("");
  const close = useMutation({
    mutationFn: () => post<Task>(`/tasks/${task.id}/${action}`, { note: note.trim() || null }),
    onSuccess: () => {
      refresh();
      onDone();
    },
  });
  const label = action === "complete" ? "Complete task" : "Cancel task";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    close.mutate();
  };
  return (
    <form className="form" onSubmit={submit} aria-label={label}>
      <label>
        {action === "complete" ? "Note (optional)" : "Why (optional)"}
        <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={2000} />
      </label>
      {close.error && <ErrorBox error={close.error} />}
      <div className="row">
        <button type="submit" className={action === "cancel" ? "danger" : undefined} disabled={close.isPending}>
          {label}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Back
        </button>
      </div>
    </form>
  );
}
