import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { put, type Schemas } from "../../api/client";
import { useMe } from "../../auth";
import { ErrorBox } from "../Status";

type AvailabilityState = Schemas["AvailabilityPublic"];

/** The signed-in member's switch: whether handed-over conversations may come to them. */
export function Availability() {
  const me = useMe();
  const client = useQueryClient();
  // What the member just chose, shown at once and until the refreshed profile says it too.
  const [wanted, setWanted] = useState<boolean | null>(null);
  const change = useMutation({
    mutationFn: (available: boolean) => put<AvailabilityState>("/members/me/availability", { available }),
    onSettled: async () => {
      await client.invalidateQueries({ queryKey: ["me"] });
      setWanted(null);
    },
  });
  if (!me.member) return null;
  const available = wanted ?? me.member.available;
  return (
    <div className="availability">
      <label className="inline">
        <input
          type="checkbox"
          role="switch"
          aria-label="Available for hand-overs"
          checked={available}
          disabled={change.isPending}
          onChange={(e) => {
            setWanted(e.target.checked);
            change.mutate(e.target.checked);
          }}
        />{" "}
        {available ? "Available for hand-overs" : "Away: customers who ask for a person get a callback"}
      </label>
      {change.error && <ErrorBox error={change.error} />}
    </div>
  );
}
