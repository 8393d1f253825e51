import { NetError, type VmNetwork } from './vm-network.js';

/**
 * A network that lets nothing through, as a firewall that drops everything: what a VM's
 * command binaries reach until the VM's own VmNetwork (the policy broker) is wired in.
 */
export const refusingNetwork: VmNetwork = {
  lookup: async (name) => {
    throw new NetError('ENOTFOUND', `getaddrinfo ENOTFOUND ${name}`);
  },
  connect: async (target) => {
    throw new NetError('ECONNREFUSED', `connect ECONNREFUSED ${target.host}:${target.port}`);
  },
  listen: async () => {
    throw new NetError('EACCES', 'listen EACCES');
  },
};
