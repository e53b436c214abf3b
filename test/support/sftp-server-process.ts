// The SFTP test server (sftp-server.ts) in a process of its own (sftp-server-as-user.ts starts it): it prints how
// to reach it as one JSON line, and closes on SIGTERM.
import { startSftpServer } from './sftp-server.ts';

const server = await startSftpServer();
const { port, hostKeySha256, root, username, password } = server;
process.stdout.write(`${JSON.stringify({ port, hostKeySha256, root, username, password })}\n`);
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
