// The transport's own limit: a bare vscode-jsonrpc server over stdio that answers `ping`.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
connection.onRequest('ping', () => ({}));
connection.onClose(() => process.exit(0));
connection.listen();
