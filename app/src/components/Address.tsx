import { shortAddress } from "../format";

/** An address shortened for reading, whole in its title and for screen readers. */
export function Address({ address }: { address: string }) {
  return (
    <span className="address" title={address}>
      <span aria-hidden="true">{shortAddress(address)}</span>
      <span className="visually-hidden">{address}</span>
    </span>
  );
}
