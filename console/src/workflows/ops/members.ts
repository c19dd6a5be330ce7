import { useQuery } from "@tanstack/react-query";
import { get, type Member } from "../../api/client";
import { useCan } from "../../auth";

/** The tenant's members when the role may list them (``members:read``), else undefined. */
export function useMemberList(): Member[] | undefined {
  const canList = useCan("members:read");
  const members = useQuery({
    queryKey: ["members"],
    queryFn: () => get<Member[]>("/members"),
    enabled: canList,
    staleTime: 60_000,
  });
  return canList ? members.data : undefined;
}

/** A function naming a member id (or "apikey:…") by e-mail when the role may list members. */
export function useWho(): (id: string | null | undefined) => string {
  const byId = new Map((useMemberList() ?? []).map((m) => [m.id, m.email]));
  return (id) => (id ? (byId.get(id) ?? id) : "—");
}
