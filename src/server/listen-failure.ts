import {createServer} from 'node:net';

/**
 * Says why the server could not listen on host:port, naming the flag to
 * change (`--port`, or `--host`), or undefined if it cannot tell. grpc-js
 * reports only "No address added out of total 1 resolved", so a plain socket
 * tries the same address.
 */
export async function explainListenFailure(host: string, port: number, flag: string): Promise<string | undefined> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, host, resolve);
    });
    return undefined;
  } catch (error: unknown) {
    switch ((error as NodeJS.ErrnoException).code) {
      case 'EADDRINUSE':
        return `port ${port} is already in use (${flag})`;
      case 'EACCES':
        return `no permission to listen on port ${port} (${flag}; ports below 1024 need privileges)`;
      case 'EADDRNOTAVAIL':
        return `${host} is not an address of this machine (--host)`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `cannot resolve the host name ${host} (--host)`;
      default:
        return undefined;
    }
  } finally {
    probe.close();
  }
}
