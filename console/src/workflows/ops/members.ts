import { useQuery } from "@tanstack/react-query";
import { get, type Member } from "../../api/client";
import { useCan } from "../../auth";

/** A function naming a member id (or "apikey:…") by e-mail when the role may list members. */
export function useWho(): (id: string | null | undefined) => string {
  const canList = useCan("members:read");
  const members = useQuery({
    queryKey: ["members"],
    queryFn: () => get<Member[]>("/members"),
    enabled: canList,
    staleTime: 60_000,
  });
  const byId = new Map((members.data ?? []).map((m) => [m.id, m.email]));
  return (id) => (id ? (byId.get(id) ?? id) : "—");
}
