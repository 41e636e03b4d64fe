pub const MAX_PRECISION: u32 = 28;
pub const MAX_PRECISION_I32: i32 = 28;
pub const SIGN_MASK: u32 = 0x8000_0000;
pub const UNSIGN_MASK: u32 = 0x4FFF_FFFF;
pub const SCALE_MASK: u32 = 0x00FF_0000;
pub const SCALE_SHIFT: u32 = 16;
pub const U32_MASK: u64 = u32::MAX as _;
