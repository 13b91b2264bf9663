// One error vocabulary on every path: the server's refusal codes become the typed errors a caller
// catches, the same whether a pull, a grant listing, an open or a push met them.
import {
  ExpiredGrant,
  MalformedInput,
  OutsideGrant,
  RequestRefused,
  RevokedGrant,
  type StewardError,
} from "../../shared/errors.js";

/** The error for an HTTP refusal: a typed class where one names the case, RequestRefused otherwise. */
export function refusalError(status: number, code: string, message: string): StewardError {
  switch (code) {
    case "expired_grant":
      return new ExpiredGrant(message);
    case "revoked_grant":
      return new RevokedGrant(message);
    case "outside_grant":
      return new OutsideGrant(message);
    case "malformed":
    case "too_large":
      return new MalformedInput(message);
    default:
      return new RequestRefused(status, code, message);
  }
}
