// client-node's objects must satisfy the structural shapes the core reads (checked at compile time).
import { expect } from 'chai';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { EndpointSliceLike, NodeLike, ServiceLike } from '../../../src/model/index.js';
import { realServerKey, virtualServerKey } from '../../../src/model/index.js';

describe('model', () => {
  it('accepts client-node objects where it reads Kubernetes objects', () => {
    const service: V1Service = { metadata: { name: 'a', namespace: 'b' }, spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }] } };
    const slice: V1EndpointSlice = { addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'] }] };
    const node: V1Node = { metadata: { name: 'n1' } };
    const asShapes: [ServiceLike, EndpointSliceLike, NodeLike] = [service, slice, node];
    expect(asShapes).to.have.length(3);
  });

  it('keys virtual and real servers by protocol, address and port, bracketing IPv6', () => {
    expect(virtualServerKey({ family: 4, protocol: 'TCP', address: '10.96.0.1', port: 80, fwmark: 0 })).to.equal('TCP/10.96.0.1:80');
    expect(virtualServerKey({ family: 6, protocol: 'UDP', address: 'fd00::a', port: 53, fwmark: 0 })).to.equal('UDP/[fd00::a]:53');
    expect(virtualServerKey({ family: 4, protocol: 'TCP', address: '0.0.0.0', port: 0, fwmark: 0x4000 })).to.equal('FWM/4/0x4000');
    expect(realServerKey({ address: 'fd00::5', port: 8080 })).to.equal('[fd00::5]:8080');
  });
});
