// Types of install-command.js for the TypeScript that imports it (the unit tests).
export interface InstallInfo {
  version: string;
  serverUrl: string;
  installUrl: string;
  ingestKey: string | null;
  tokenNeeded: boolean;
  tokenIncluded: boolean;
  downloads: string[];
}
export function shellWord(text: string): string;
export const KEY_PLACEHOLDER: string;
export function installCommand(info: InstallInfo, deviceId?: string): string;
