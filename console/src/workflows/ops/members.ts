import { useQuery } from "@tanstack/react-query";
import { get, type TeamMember } from "../../api/client";

/** The tenant's members as every role may see them (``GET /team``); undefined until loaded. */
export function useTeam(): TeamMember[] | undefined {
  return useQuery({
    queryKey: ["team"],
    queryFn: () => get<TeamMember[]>("/team"),
    staleTime: 60_000,
  }).data;
}

/** A function naming a member id (or "apikey:…") by e-mail. */
export function useWho(): (id: string | null | undefined) => string {
  const byId = new Map((useTeam() ?? []).map((m) => [m.id, m.email]));
  return (id) => (id ? (byId.get(id) ?? id) : "—");
}
