import { isIP } from 'node:net';
import type { Static } from '@sinclair/typebox';
import type { VmCreate } from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import { compileNetworkPattern } from '../permissions/network-match.js';
import { compileInjectRules, InjectRuleError, type CompiledRule } from './inject-headers.js';

/** vm/create's network fields past their schema: patterns that parse, overrides that are addresses. */
export function checkNetworkParams(params: Static<typeof VmCreate.params>): void {
  const scope = params.permissions?.network;
  if (scope && typeof scope === 'object') {
    scope.rules.forEach((rule, i) =>
      (rule.patterns ?? []).forEach((pattern, j) => {
        const compiled = compileNetworkPattern(pattern);
        if (typeof compiled === 'string') throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `permissions.network: ${compiled}`, { field: `/permissions/network/rules/${i}/patterns/${j}` });
      }),
    );
  }
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
