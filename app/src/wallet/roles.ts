import { useQuery } from "@tanstack/react-query";
import { ROLE_NAMES, roleId, type RoleName } from "../../../sdk/roles";
import { useSession } from "./session";

/** Which of the market's roles `address` holds, read on chain (AccessControl's hasRole). */
export function useRoles(address: string | undefined) {
  const { reader } = useSession();
  return useQuery({
    queryKey: ["roles", reader.address, address],
    queryFn: async () => {
      const held = await Promise.all(ROLE_NAMES.map((name) => reader.contract.hasRole(roleId(name), address!)));
      return Object.fromEntries(ROLE_NAMES.map((name, i) => [name, held[i]])) as Record<RoleName, boolean>;
    },
    enabled: address !== undefined,
    refetchInterval: 10_000,
  });
}
