import { isIP } from 'node:net';
import type { Static } from '@sinclair/typebox';
import type { VmCreate } from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import { compileInjectRules, InjectRuleError, type CompiledRule } from './inject-headers.js';

/** vm/create's network fields past their schema: overrides that are addresses (patterns: the policy's matcher checks them). */
export function checkNetworkParams(params: Static<typeof VmCreate.params>): void {
  for (const [name, addresses] of Object.entries(params.dns?.overrides ?? {})) {
    addresses.forEach((address, i) => {
      if (!isIP(address)) throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `dns.overrides['${name}'][${i}] is '${address}', not an IP address`, { field: `/dns/overrides/${name}/${i}` });
    });
  }
}

/** network.inject compiled; a rule that does not parse is a bad request naming it (never its header values). */
export function injectRules(params: Static<typeof VmCreate.params>): CompiledRule[] {
  try {
    return compileInjectRules(params.network?.inject ?? []);
  } catch (err) {
    if (!(err instanceof InjectRuleError)) throw err;
    throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', err.message, { field: '/network/inject' });
  }
}
