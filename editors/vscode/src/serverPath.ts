// Which `vaultlink` binary the extension starts: the `vaultlink.server.path` setting (not in an
// untrusted workspace), else `vaultlink` on PATH, else the binary shipped in the extension's
// `server/` folder. Pure: the file system and the environment are handed in; unit-tested.

import * as path from 'node:path';

export type ServerSource = 'setting' | 'PATH' | 'bundled';

export interface ServerLookup {
  /** `vaultlink.server.path` as configured (empty: not set). */
  configured: string;
  /** Whether the workspace is trusted; the setting is ignored when it is not. */
  trusted: boolean;
  /** The `PATH` variable. */
  envPath: string;
  /** `process.platform`. */
  platform: string;
  /** The extension's folder. */
  extensionDir: string;
  /** The first workspace folder, for a relative `vaultlink.server.path`. */
  workspaceDir?: string;
  /** Whether a file exists and can be run. */
  isExecutable: (file: string) => boolean;
}

export type Resolved =
  | { ok: true; path: string; source: ServerSource; log: string[] }
  | {
      ok: false;
      message: string;
      log: string[];
      /** Set when trusting the workspace would start the server with the setting's binary. */
      waitsForTrust?: boolean;
    };

/** Finds the server binary, with a line per place looked at for the log. */
export function resolveServer(l: ServerLookup): Resolved {
  const log: string[] = [];
  const exe = l.platform === 'win32' ? 'vaultlink.exe' : 'vaultlink';
  const p = l.platform === 'win32' ? path.win32 : path.posix;

  const ignoredSetting = l.configured.trim() !== '' && !l.trusted;
  if (l.configured.trim() !== '') {
    if (!l.trusted) {
      log.push(
        `vaultlink.server.path (${l.configured}) is ignored: this workspace is not trusted`,
      );
    } else {
      const configured = l.configured.trim();
      const file = p.isAbsolute(configured) || l.workspaceDir === undefined
        ? configured
        : p.join(l.workspaceDir, configured);
      if (l.isExecutable(file)) {
        log.push(`using ${file} (from the setting vaultlink.server.path)`);
        return { ok: true, path: file, source: 'setting', log };
      }
      // A path set on purpose that does not work is an error, not a reason to run another binary.
      log.push(`vaultlink.server.path: ${file} is not an executable file`);
      return {
        ok: false,
        message: `vaultlink.server.path is set to ${file}, which is not an executable file: fix the setting or clear it to use \`vaultlink\` on PATH`,
        log,
      };
    }
  }

  const sep = l.platform === 'win32' ? ';' : ':';
  for (const dir of l.envPath.split(sep)) {
    if (dir === '') continue;
    const file = p.join(dir, exe);
    if (l.isExecutable(file)) {
      log.push(`using ${file} (\`${exe}\` on PATH)`);
      return { ok: true, path: file, source: 'PATH', log };
    }
  }
  log.push(`no \`${exe}\` on PATH`);

  const bundled = p.join(l.extensionDir, 'server', exe);
  if (l.isExecutable(bundled)) {
    log.push(`using ${bundled} (shipped with the extension)`);
    return { ok: true, path: bundled, source: 'bundled', log };
  }
  log.push(`no binary shipped with the extension (${bundled})`);
  if (ignoredSetting) {
    return {
      ok: false,
      message:
        `vaultlink: this folder is in Restricted Mode, so the setting vaultlink.server.path (${l.configured.trim()}) is not used, and there is no \`${exe}\` on PATH or in the extension. Trust the folder to start the language server.`,
      log,
      waitsForTrust: true,
    };
  }
  return {
    ok: false,
    message:
      'vaultlink: the `vaultlink` binary was not found. Install it (`cargo install --path server` in the vaultlink repository) so that it is on PATH, or set vaultlink.server.path.',
    log,
  };
}
