// The signed heads and read receipts an upload carries as extras (shared/syncFrames.ts): decoded,
// signatures verified (WebCrypto) and authors checked before the upload's transaction, then kept in
// it. A head is kept only as its writer's latest and only if it names the writer's last stored
// envelope; a receipt only from a grantee, for one of its live grants, continuing its chain.
import { toHex } from "../shared/bytes.js";
import { decodeReadReceipt, readReceiptSignedBytes, type ReadReceipt } from "../shared/readReceipt.js";
import { decodeHead, headSignedBytes, type SignedHead } from "../shared/signedHead.js";
import { EXTRA_KINDS, type Extra } from "../shared/syncFrames.js";
import { accountIdHex } from "../shared/keyBundle.js";
import { checkAuthor, type Writer } from "./authorPolicy.js";
import { decoded, Refusal } from "./outcome.js";
import { verifyEd25519, type Ed25519KeyCache } from "./webcrypto.js";

export interface Witnessed {
  readonly heads: readonly { readonly head: SignedHead; readonly bytes: Uint8Array }[];
  readonly receipts: readonly { readonly receipt: ReadReceipt; readonly bytes: Uint8Array }[];
}

/** Checks every extra of an upload by `writer`; refuses the whole upload at the first that fails. */
export async function checkExtras(extras: readonly Extra[], writer: Writer, keys: Ed25519KeyCache): Promise<Witnessed> {
  const heads: { head: SignedHead; bytes: Uint8Array }[] = [];
  const receipts: { receipt: ReadReceipt; bytes: Uint8Array }[] = [];
  for (const extra of extras) {
    if (extra.kind === EXTRA_KINDS.head) {
      const head = decoded("signed head", () => decodeHead(extra.bytes));
      checkAuthor(writer, { kind: "head", header: head });
      if (!(await verifyEd25519(head.authorKey, head.signature, headSignedBytes(head), keys)))
        throw new Refusal("forbidden", "a head is not signed by its author key");
      heads.push({ head, bytes: extra.bytes });
    } else {
      const receipt = decoded("read receipt", () => decodeReadReceipt(extra.bytes));
      if (!writer.grants) throw new Refusal("forbidden", "only a grantee's devices send read receipts");
      if (toHex(receipt.patientId) !== writer.patientId)
        throw new Refusal("forbidden", "a receipt names another patient");
      if (accountIdHex(receipt.readerKey) !== writer.actor)
        throw new Refusal("forbidden", "a receipt's reader key is not your identity key");
      if (!writer.grants.some((g) => toHex(g.grantId) === toHex(receipt.grantId)))
        throw new Refusal("forbidden", "a receipt names a grant you do not hold");
      if (!(await verifyEd25519(receipt.readerKey, receipt.signature, readReceiptSignedBytes(receipt), keys)))
        throw new Refusal("malformed", "a receipt is not signed by its reader key");
      receipts.push({ receipt, bytes: extra.bytes });
    }
  }
  return { heads, receipts };
}
