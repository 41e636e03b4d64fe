const level = globalThis.navigator && globalThis.navigator.userAgentData ? 3 : 1;
const colorSupport = level !== 0 && { level, hasBasic: true, has256: level >= 2, has16m: level >= 3 };
export default { stdout: colorSupport, stderr: colorSupport };
