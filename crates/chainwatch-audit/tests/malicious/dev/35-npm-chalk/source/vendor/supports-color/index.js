import process from 'node:process';
import tty from 'node:tty';
function supportsColor(stream) {
	if ('FORCE_COLOR' in process.env) return { level: 1 };
	if (stream && !stream.isTTY) return false;
	return { level: 1, hasBasic: true, has256: false, has16m: false };
}
const supportsColorDefault = { stdout: supportsColor(tty.isatty(1) ? process.stdout : undefined), stderr: supportsColor(tty.isatty(2) ? process.stderr : undefined) };
export default supportsColorDefault;
