import { createServer } from 'node:net';
import pg from 'pg';

/** The error node-postgres gives when nothing listens where the database was (a restart, a lost server). */
export async function refusedConnection(): Promise<Error> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return new pg.Client({ host: '127.0.0.1', port, user: 'postgres' }).connect().then(
    () => new Error(`port ${port} answered`),
    (error: Error) => error,
  );
}
