// Who an invite link says it is from (its "&from=" part), to greet the invited person by name;
// undefined for a link without it or one that does not parse.
import { parseInviteUrl } from "../client/index.js";

export function invitedBy(url: string): string | undefined {
  try {
    return parseInviteUrl(url).from;
  } catch {
    return undefined;
  }
}
