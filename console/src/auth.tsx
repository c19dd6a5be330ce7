import { createContext, useContext } from "react";
import type { Me } from "./api/client";

export const MeContext = createContext<Me | null>(null);

/** The logged-in member (the app renders pages only once it is known). */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside a logged-in page");
  return me;
}

/** True when the member's role grants ``permission``. */
export function useCan(permission: string): boolean {
  return useMe().permissions.includes(permission);
}
