import platform

MACOS = platform.system() == "Darwin"
LINUX = platform.system() == "Linux"
ARM64 = platform.machine() in {"arm64", "aarch64"}
