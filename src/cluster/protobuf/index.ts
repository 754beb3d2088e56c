// cluster/protobuf: reading Kubernetes protobuf list answers (the encoding kube-proxy asks for) into
// the proxy's slim Service and EndpointSlice shapes; the wire format, the envelope, the messages.
export { decodeList, decodeObject, ProtobufListReader, statusMessage } from './envelope.js';
export { decodeEndpointSlice, decodeService, type MessageDecoder } from './objects.js';
export { ProtobufError, ProtoReader } from './wire.js';
