import type { DragEvent } from "react";
import type { Catalog } from "../nodes";

export const DRAG_TYPE = "application/x-frontdesk-node";

/** Node types grouped by kind: drag one onto the canvas, or click it to add it. */
export function Palette({ catalog, onAdd, disabled }: { catalog: Catalog; onAdd: (type: string) => void; disabled?: boolean }) {
  const start = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(DRAG_TYPE, type);
    event.dataTransfer.effectAllowed = "move";
  };
  return (
    <aside className="wf-palette" aria-label="Node palette">
      {catalog.groups.map((group) => {
        const members = catalog.nodes.filter((n) => n.group === group.key);
        if (!members.length) return null;
        return (
          <div key={group.key} className="wf-palette-group">
            <h3>{group.label}</h3>
            {members.map((n) => (
              <button
                key={n.type}
                type="button"
                className={`wf-palette-item wf-kind-${n.group}`}
                draggable={!disabled}
                disabled={disabled}
                onDragStart={(e) => start(e, n.type)}
                onClick={() => onAdd(n.type)}
                title={n.description}
                aria-label={`Add ${n.label}`}
                data-type={n.type}
              >
                {n.label}
              </button>
            ))}
          </div>
        );
      })}
    </aside>
  );
}
