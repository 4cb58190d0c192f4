import { canAnswer } from "../../../sdk/market-reads";
import type { ListMember, ModelerList } from "../../../sdk/types";
import { ZeroAddress } from "ethers";
import { Address } from "./Address";
import { Moment } from "./Moment";

/** Where a list member stands for a request made at `now`, in words. */
function memberStatus(m: ListMember, now: bigint): string {
  if (m.evicted) return "evicted";
  if (m.host === ZeroAddress) return "not opted in yet";
  return canAnswer(m, now) ? "serving" : "opted in, serves later";
}

/** A promoted list: each modeler in rank order with its host and status. */
export function ListTable({ list, title, now }: { list: ModelerList; title: string; now: bigint }) {
  return (
    <table>
      <caption>
        {title}: list {list.listId.toString()}, serving from epoch {list.activationEpoch.toString()}
      </caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Modeler</th>
          <th scope="col">Host</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {list.members.map((m) => (
          <tr key={m.modeler}>
            <td>{m.index}</td>
            <td>
              <Address address={m.modeler} />
            </td>
            <td>{m.host === ZeroAddress ? "none" : <Address address={m.host} />}</td>
            <td>
              {memberStatus(m, now)}
              {m.host !== ZeroAddress && m.optedInAt > now && (
                <>
                  {" "}
                  from <Moment t={m.optedInAt} />
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
