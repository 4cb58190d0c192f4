import { useQuery } from "@tanstack/react-query";
import { sameAddress } from "../../../sdk/market-reads";
import type { RoleName } from "../../../sdk/roles";
import { useRoles } from "../wallet/roles";
import { useSession } from "../wallet/session";
import { useChallengeIds } from "./challenges";
import { CreateChallenge } from "./CreateChallenge";
import { PauseControl } from "./PauseControl";
import { Promotions } from "./Promotions";
import { SetFee } from "./SetFee";

const ROLE_TEXT: Record<RoleName, string> = {
  DEFAULT_ADMIN_ROLE: "admin of the market",
  CHALLENGE_MANAGER_ROLE: "challenge manager",
  KEEPER_ROLE: "keeper",
  PAUSER_ROLE: "pauser",
};

/** The operator's controls, each shown only to an account that may use it, and the past promotions for all. */
export function OperatorPage() {
  const { account } = useSession();
  const roles = useRoles(account?.address);
  const administered = useAdministered(account?.address);
  const held = roles.data ? (Object.keys(ROLE_TEXT) as RoleName[]).filter((r) => roles.data[r]) : [];
  return (
    <>
      <section aria-labelledby="roles-title">
        <h2 id="roles-title">Your roles</h2>
        {!account ? (
          <p>Connect a wallet to see what it may do here.</p>
        ) : !roles.data || !administered.data ? (
          <p>Reading your roles…</p>
        ) : (
          <p data-testid="roles">
            {held.length === 0 && administered.data.length === 0
              ? "This account holds no role of the market and administers no challenge."
              : [
                  ...held.map((r) => ROLE_TEXT[r]),
                  ...(administered.data.length > 0
                    ? [`admin of challenge${administered.data.length === 1 ? "" : "s"} ${administered.data.join(", ")}`]
                    : []),
                ].join("; ")}
          </p>
        )}
      </section>
      {roles.data?.CHALLENGE_MANAGER_ROLE && <CreateChallenge />}
      {administered.data && administered.data.length > 0 && <SetFee challenges={administered.data} />}
      {roles.data?.PAUSER_ROLE && <PauseControl />}
      <Promotions />
    </>
  );
}

/** The challenges whose admin (the one who sets their fee) is `address`. */
function useAdministered(address: string | undefined) {
  const { reader } = useSession();
  const ids = useChallengeIds();
  return useQuery({
    queryKey: ["administered", reader.address, address, ids.data?.join()],
    queryFn: async () => {
      const all = await Promise.all(ids.data!.map((id) => reader.contract.challenge(id)));
      return ids.data!.filter((_, i) => sameAddress(all[i].admin, address!));
    },
    enabled: address !== undefined && ids.data !== undefined,
    refetchInterval: 10_000,
  });
}
