// The two uploaders' packages ship no types; these are the parts the tests call.
declare module "minimed-connect-to-nightscout" {
  const minimed: {
    transform(
      data: Record<string, unknown>,
      sgvLimit?: number,
    ): { entries: Record<string, unknown>[]; devicestatus: Record<string, unknown>[] };
    nightscout: {
      upload(
        entries: unknown[],
        endpoint: string,
        secret: string,
        callback: (error: Error | null, response?: { statusCode: number; body: unknown }) => void,
      ): void;
    };
  };
  export default minimed;
}
