import { action, marketTask, parseAddress, table, UsageError, type CommonArgs } from "./lib/cli";

interface RolesArgs extends CommonArgs {
  grant?: string;
  to?: string;
  revoke?: string;
  fromAccount?: string;
}

const NAMES_HELP = "KEEPER, PAUSER, CHALLENGE_MANAGER or ADMIN (any case, _ROLE optional)";

/** The one change asked for, if any, from --grant/--to or --revoke/--from-account. */
function changeAsked(args: RolesArgs): { change: "grant" | "revoke"; role: string; account: string } | undefined {
  if (args.grant !== undefined && args.revoke !== undefined) throw new UsageError("give --grant or --revoke, not both");
  if (args.to !== undefined && args.grant === undefined) throw new UsageError("--to goes with --grant");
  if (args.fromAccount !== undefined && args.revoke === undefined) {
    throw new UsageError("--from-account goes with --revoke");
  }
  if (args.grant !== undefined) {
    if (args.to === undefined) throw new UsageError("--grant needs --to <address>");
    return { change: "grant", role: args.grant, account: parseAddress(args.to, "--to") };
  }
  if (args.revoke !== undefined) {
    if (args.fromAccount === undefined) throw new UsageError("--revoke needs --from-account <address>");
    return { change: "revoke", role: args.revoke, account: parseAddress(args.fromAccount, "--from-account") };
  }
  return undefined;
}

marketTask(
  "roles",
  "Lists every role's holders; --grant ROLE --to ADDRESS or --revoke ROLE --from-account ADDRESS changes one, " +
    "as an admin. A grant already held or a revoke not held sends nothing and exits 0",
)
  .addOptionalParam("grant", `the role to grant: ${NAMES_HELP}`)
  .addOptionalParam("to", "the account --grant gives the role to")
  .addOptionalParam("revoke", `the role to revoke: ${NAMES_HELP}`)
  .addOptionalParam("fromAccount", "the account --revoke takes the role from (--from is the signer)")
  .setAction(
    action(async (ctx, args: RolesArgs) => {
      const asked = changeAsked(args);
      // Loaded here, not at the top: the SDK needs the TypeChain types, which the first compile makes.
      const roles = await import("../sdk/roles");
      const market = ctx.market.contract;
      const range = { fromBlock: ctx.fromBlock };
      let holders = await roles.roleHolders(market, range);
      const lines: string[] = [];
      let change;
      if (asked) {
        const role = roles.roleNamed(asked.role);
        if (!role) throw new UsageError(`unknown role "${asked.role}": use ${NAMES_HELP}`);
        const { account } = asked;
        const holds = await market.hasRole(roles.roleId(role), account);
        // Idempotent, as the deploy script is: the state asked for already holds, so a script may rerun it.
        if (holds === (asked.change === "grant")) {
          change = { action: asked.change, role, account, sent: false };
          lines.push(`roles: ${account} ${holds ? "already holds" : "does not hold"} ${role}; nothing sent`);
        } else {
          const admins = holders.DEFAULT_ADMIN_ROLE;
          const signer = ctx.signer.address;
          if (!(await market.hasRole(roles.roleId("DEFAULT_ADMIN_ROLE"), signer))) {
            throw new UsageError(
              `${signer} lacks DEFAULT_ADMIN_ROLE, needed to ${asked.change} ${role}: sign with --from <admin> ` +
                `(admins: ${admins.join(", ") || "none"})`,
            );
          }
          // Without an admin no role could ever be granted again.
          if (role === "DEFAULT_ADMIN_ROLE" && asked.change === "revoke" && admins.length === 1) {
            throw new UsageError(`${account} is the only admin: grant ADMIN to another account before revoking it`);
          }
          const { txHash } = await roles.changeRole(market, asked.change, role, account);
          change = { action: asked.change, role, account, sent: true, txHash };
          const done = asked.change === "grant" ? `granted ${role} to` : `revoked ${role} from`;
          lines.push(`roles: ${done} ${account} (tx ${txHash})`);
          holders = await roles.roleHolders(market, range);
        }
      }
      lines.push(
        `roles of ${ctx.market.address} (events since block ${ctx.fromBlock}):`,
        ...table(
          ["role", "holder"],
          roles.ROLE_NAMES.flatMap((n) => (holders[n].length > 0 ? holders[n] : ["nobody"]).map((h) => [n, h])),
        ),
      );
      return { data: { market: ctx.market.address, fromBlock: ctx.fromBlock, holders, change }, lines };
    }),
  );
