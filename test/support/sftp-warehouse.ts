import { type SftpTestServer, startSftpServer } from './sftp-server.ts';
import { openWarehouseFixture, type WarehouseFixture } from './warehouse-fixture.ts';

/**
 * A warehouse and a test SFTP server, for the tests of SFTP pipelines: the server's password is in SFTP_PASSWORD
 * until closeSftpWarehouse, as the runner reads secrets from the process's environment.
 */
export async function openSftpWarehouse(
  label: string,
): Promise<{ fx: WarehouseFixture; server: SftpTestServer }> {
  const fx = await openWarehouseFixture(label);
  try {
    const server = await startSftpServer();
    process.env.SFTP_PASSWORD = server.password;
    return { fx, server };
  } catch (error) {
    await fx.close();
    throw error;
  }
}

/** Undoes openSftpWarehouse; either may be missing, as when it failed. */
export async function closeSftpWarehouse(opened: {
  fx?: WarehouseFixture;
  server?: SftpTestServer;
}): Promise<void> {
  delete process.env.SFTP_PASSWORD;
  await opened.server?.close();
  await opened.fx?.close();
}
