/** Node's ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, for what a VM's Node does not offer. */
export function unavailable(feature: string): Error {
  const err = new Error(`The feature ${feature} is unavailable on the current platform, which is being used to run Node.js`) as Error & { code: string };
  err.code = 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM';
  return err;
}
